"""The queue a page at a time (SQLite and PostgreSQL, through the real console app): pages
are disjoint and together the whole queue in urgency order, the total is shown, filters and
page size stay in the links, a ticket arriving between two page loads neither shows twice
nor drops out (keyset paging), every page keeps an agent's scope, bad paging values are 400."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from intake.records import (
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Customer,
    Priority,
    Severity,
    SlaDeadlines,
    Status,
)
from intake.workflow import urgency_key
from tests.integration.console.conftest import Browser, Console
from tousu.console.paging import decode_instant

ROW = re.compile(r'<tr class="[^"]*" data-number="(TS-[0-9-]+)"')
LINK = re.compile(r'rel="(first|prev|next)" class="[^"]*" href="([^"]+)"')
PRIORITIES = list(Priority)
XSS = "<script>window.__pwned = 1</script>阿姨把花瓶打碎了"


def _shape(index: int, now: datetime) -> dict[str, object]:
    """Varied urgency: overdue, due soon, on track, paused, in progress, resolved; two teams."""
    due = now + timedelta(minutes=(index * 37) % 400 - 120)
    dispatch = index % 4 == 3
    return {
        "team": "dispatch" if dispatch else "customer_service",
        "assignee": "wu.lei" if dispatch else ("zhang.min" if index % 3 == 0 else None),
        "status": Status.IN_PROGRESS if index % 5 == 1 else (Status.RESOLVED if index % 17 == 2 else Status.PENDING),
        "priority": PRIORITIES[index % 4],
        "sla": SlaDeadlines(
            first_response_due=due,
            report_due=due + timedelta(days=7),
            paused_at=now if index % 11 == 5 else None,
            resolved_at=now if index % 17 == 2 else None,
        ),
        "received_at": now - timedelta(minutes=index % 7),
    }


async def _seed(console: Console, count: int, start: int = 1, *, due_in: timedelta | None = None) -> list[str]:
    """`count` complaints written straight to the store (the pipeline's routing would pick
    teams and deadlines itself; these need them chosen)."""
    now = datetime.now(UTC)
    numbers = []
    async with console.runtime.store.transaction() as tx:
        customer = await tx.customers.add(Customer(id=f"pages-{start}", created_at=now))
        for index in range(start, start + count):
            shape = _shape(index, now)
            if due_in is not None:
                shape["sla"] = SlaDeadlines(first_response_due=now + due_in, report_due=now + due_in)
                shape["status"], shape["received_at"] = Status.PENDING, now
            number = f"TS-20261201-{index:06d}"
            await tx.complaints.add(
                Complaint(
                    number=number,
                    customer_id=customer.id,
                    channel=ChannelName.WEBCHAT,
                    conversation=ConversationRef(ChannelName.WEBCHAT, number),
                    content=XSS if index == 7 else f"第 {index} 号投诉：阿姨迟到",
                    category=Category.PUNCTUALITY,
                    severity=Severity.NORMAL,
                    confidence=0.9,
                    **shape,  # type: ignore[arg-type]
                )
            )
            numbers.append(number)
    return numbers


async def _page(browser: Browser, path: str) -> tuple[list[str], dict[str, str], str]:
    response = await browser.get(path)
    body = await response.text()
    assert response.status == 200, body
    links = {rel: html.unescape(href) for rel, href in LINK.findall(body)}
    return ROW.findall(body), links, body


async def _walk(browser: Browser, path: str) -> list[list[str]]:
    pages = []
    while True:
        rows, links, _ = await _page(browser, path)
        pages.append(rows)
        if "next" not in links:
            return pages
        path = links["next"]


async def _expected(console: Console, at: datetime, keep: object = None) -> list[str]:
    async with console.runtime.store.snapshot() as tx:
        found = [await tx.complaints.get(f"TS-20261201-{i:06d}", with_transcript=False) for i in range(1, 200)]
    rows = [c for c in found if c is not None and c.status != Status.CLOSED and (keep is None or keep(c))]  # type: ignore[operator]
    return [c.number for c in sorted(rows, key=lambda c: (*urgency_key(c, at), c.number))]


def _at(link: str) -> datetime:
    found = re.search(r"[?&]at=(\d+)", link)
    assert found is not None, link
    return decode_instant(found.group(1))


async def test_pages_are_disjoint_complete_and_in_urgency_order(routed: Console) -> None:
    await _seed(routed, 130)
    manager = routed.browsers["manager"]
    first, links, body = await _page(manager, "/console/queue")
    assert len(first) == 50 and "第 1–50 条，共 130 条" in body
    assert "prev" not in links and "first" not in links
    second, links2, body2 = await _page(manager, links["next"])
    assert len(second) == 50 and "第 51–100 条，共 130 条" in body2
    third, links3, body3 = await _page(manager, links2["next"])
    assert len(third) == 30 and "第 101–130 条，共 130 条" in body3 and "next" not in links3
    assert not set(first) & set(second) and not set(second) & set(third) and not set(first) & set(third)
    assert first + second + third == await _expected(routed, _at(links["next"]))
    back, _, _ = await _page(manager, links3["prev"])
    assert back == second
    fresh, _, _ = await _page(manager, links3["first"])
    assert fresh == first
    async with routed.runtime.store.transaction() as tx:  # the last page's tickets are closed meanwhile
        for number in third:
            complaint = await tx.complaints.get(number, with_transcript=False)
            assert complaint is not None
            complaint.status = Status.CLOSED
            await tx.complaints.save(complaint)
    emptied, emptied_links, emptied_body = await _page(manager, links2["next"])
    assert emptied == [] and "这一页已没有工单，共 100 条" in emptied_body and "first" in emptied_links
    # what a customer wrote stays text on every page
    assert "<script>window.__pwned" not in body + body2 + body3
    assert "&lt;script&gt;window.__pwned" in body + body2 + body3


async def test_filters_view_and_size_stay_in_the_links(routed: Console) -> None:
    await _seed(routed, 130)
    manager = routed.browsers["manager"]
    path = "/console/queue?view=all&status=pending&channel=webchat&size=25"
    rows, links, body = await _page(manager, path)
    assert len(rows) == 25 and 'option value="25" selected' in body
    for rel in ("next",):
        for part in ("view=all", "status=pending", "channel=webchat", "size=25"):
            assert part in links[rel], (rel, links[rel])
    pages = await _walk(manager, path)
    walked = [n for page in pages for n in page]
    assert walked == await _expected(routed, _at(links["next"]), lambda c: c.status == Status.PENDING)
    assert all(len(page) == 25 for page in pages[:-1])
    _, later, _ = await _page(manager, links["next"])
    for part in ("view=all", "status=pending", "channel=webchat", "size=25"):
        assert part in later["prev"] and part in later["first"]
    english, _, english_body = await _page(manager, path + "&lang=en")
    assert english == rows and f"1–25 of {len(walked)}" in english_body and ">Next<" in english_body


async def test_a_ticket_arriving_between_pages_neither_repeats_nor_vanishes(routed: Console) -> None:
    await _seed(routed, 130)
    manager = routed.browsers["manager"]
    first, links, _ = await _page(manager, "/console/queue")
    # one lands at the very top (long overdue), one among the last rows (due in two days)
    await _seed(routed, 1, start=150, due_in=timedelta(hours=-5))
    await _seed(routed, 1, start=151, due_in=timedelta(days=2))
    second, links2, body2 = await _page(manager, links["next"])
    assert "第 52–101 条，共 132 条" in body2  # the new top ticket is ahead of this page now
    third, _, _ = await _page(manager, links2["next"])
    seen = first + second + third
    assert len(seen) == len(set(seen)) == 131
    assert "TS-20261201-000151" in third and "TS-20261201-000150" not in seen
    assert set(seen) | {"TS-20261201-000150"} == set(await _expected(routed, _at(links["next"])))
    back, back_links, _ = await _page(manager, links2["prev"])
    assert back == first and "first" in back_links  # the new one waits on the first page
    top, _, _ = await _page(manager, back_links["first"])
    assert top[0] == "TS-20261201-000150" and top[1:] == first[:49]
    # the live refresh of the page shown asks for the same page
    rows, _, _ = await _page(manager, links2["next"].replace("/console/queue?", "/console/queue/rows?"))
    assert rows == third


async def test_every_page_keeps_the_agents_scope(routed: Console) -> None:
    numbers = await _seed(routed, 130)
    for role, allowed in (
        ("agent", lambda c: c.team == "customer_service" or c.assignee == "zhang.min"),
        ("other_agent", lambda c: c.team == "dispatch" or c.assignee == "wu.lei"),
        ("lead", lambda c: c.team == "customer_service"),
    ):
        browser = routed.browsers[role]
        _, links, body = await _page(browser, "/console/queue?size=25")
        pages = await _walk(browser, "/console/queue?size=25")
        walked = [n for page in pages for n in page]
        expected = await _expected(routed, _at(links["next"]), allowed)
        assert walked == expected, role
        assert f"共 {len(expected)} 条" in body and len(expected) < len(numbers)
    mine = await _walk(routed.browsers["agent"], "/console/queue?view=mine&size=25")
    assert [n for page in mine for n in page] == await _expected(
        routed, datetime.now(UTC).replace(microsecond=0), lambda c: c.assignee == "zhang.min"
    )


async def test_bad_paging_values_are_a_clear_400(routed: Console) -> None:
    await _seed(routed, 30)
    manager = routed.browsers["manager"]
    _, links, _ = await _page(manager, "/console/queue?size=25")
    cursor = re.search(r"after=([^&]+)", links["next"])
    assert cursor is not None
    size_message = "请求内容有误：每页条数只能是 25 / 50 / 100 / 200"
    for query, message in (
        ("size=7", size_message),
        ("size=abc", size_message),
        ("size=-50", size_message),
        ("after=garbage", "翻页参数 after 无效，请从第一页重新翻页"),
        ("before=1.2.3", "翻页参数 before 无效"),
        ("after=9.1.1.1.TS-1", "翻页参数 after 无效"),
        ("after=0..1.1.TS-1", "翻页参数 after 无效"),  # an overdue position needs its deadline
        ("after=0.9999999999999999999.1.1.TS-1", "翻页参数 after 无效"),  # past the year 9999
        ("at=yesterday", "翻页参数 at 无效"),
        (f"after={cursor.group(1)}&before={cursor.group(1)}", "翻页参数 after / before 无效"),
    ):
        response = await manager.get(f"/console/queue?{query}")
        assert response.status == 400, (query, response.status)
        assert message in await response.text(), query
        rows = await manager.get(f"/console/queue/rows?{query}")
        assert rows.status == 400, query
    english = await manager.get("/console/queue?size=7&lang=en")
    assert english.status == 400 and "Rows per page must be one of 25 / 50 / 100 / 200" in await english.text()
    assert (await manager.get("/console/ledger?page=abc")).status == 400
    assert (await manager.get("/console/ledger?page=0")).status == 400
    assert "页码须是从 1 起的整数" in await (await manager.get("/console/ledger?page=-1&lang=zh")).text()


async def test_customers_at_risk_page_by_number_like_the_ledger(routed: Console) -> None:
    now = datetime.now(UTC)
    async with routed.runtime.store.transaction() as tx:
        for index in range(1, 31):  # 30 customers, each with an open complaint past its SLA
            customer = await tx.customers.add(Customer(id=f"risk-{index:02d}", name=f"客户{index}", created_at=now))
            number = f"TS-20261130-{index:06d}"
            await tx.complaints.add(
                Complaint(
                    number=number,
                    customer_id=customer.id,
                    channel=ChannelName.WEBCHAT,
                    conversation=ConversationRef(ChannelName.WEBCHAT, number),
                    received_at=now - timedelta(hours=3, minutes=index),
                    content="阿姨没来",
                    category=Category.PUNCTUALITY,
                    severity=Severity.NORMAL,
                    priority=Priority.NORMAL,
                    confidence=0.9,
                    team="customer_service",
                    sla=SlaDeadlines(first_response_due=now - timedelta(hours=2)),
                )
            )
    manager = routed.browsers["manager"]
    customers = re.compile(r'<tr data-customer="(risk-\d+)">\s*<td[^>]*>(\d+)</td>')
    response = await manager.get("/console/risk?size=25&team=customer_service")
    body = await response.text()
    first = customers.findall(body)
    assert len(first) == 25 and [int(n) for _, n in first] == list(range(1, 26))
    assert "第 1 / 2 页，共 30 条" in body
    links = {rel: html.unescape(href) for rel, href in LINK.findall(body)}
    assert "size=25" in links["next"] and "team=customer_service" in links["next"] and "page=2" in links["next"]
    second_body = await (await manager.get(links["next"])).text()
    second = customers.findall(second_body)
    assert [int(n) for _, n in second] == list(range(26, 31)) and "第 2 / 2 页，共 30 条" in second_body
    assert {c for c, _ in first} | {c for c, _ in second} == {f"risk-{i:02d}" for i in range(1, 31)}
    assert (await manager.get("/console/risk?page=x")).status == 400
    assert (await manager.get("/console/risk?size=1000")).status == 400

"""Every role against every console action: who may, who gets 403. Plus ticket scope and CSRF.

The table is written out here on purpose (not derived from `intake.permissions`), so a
wrong change to the permission table makes this test fail.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import ClientResponse

from storage.sql.console import SqlConsoleStore
from storage.sql.store import SqlStore
from tests.integration.console.conftest import Browser, Console

ROLES = ("agent", "lead", "manager", "operator", "admin")
DESK = {"agent", "lead", "manager"}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # {n} is a fresh complaint of the agent's team, {m} another one, {step} a follow-up, {user} an id
    allowed: set[str]
    data: dict[str, str] | None = None


CASES = [
    Case("queue", "GET", "/console/queue", DESK),
    Case("queue rows", "GET", "/console/queue/rows", DESK),
    Case("ticket view", "GET", "/console/tickets/{n}", DESK),
    Case("status", "POST", "/console/tickets/{n}/status", DESK, {"status": "in_progress"}),
    Case("classify", "POST", "/console/tickets/{n}/classify", DESK, {"category": "damage", "severity": "serious"}),
    Case("note", "POST", "/console/tickets/{n}/notes", DESK, {"kind": "fact", "text": "已核实"}),
    Case("follow-up", "POST", "/console/tickets/{n}/followups", DESK, {"text": "回访", "owner": "zhang.min"}),
    Case("follow-up done", "POST", "/console/tickets/{n}/followups/{step}/done", DESK, {}),
    Case("reply", "POST", "/console/tickets/{n}/reply", DESK, {"text": "您好，正在处理"}),
    Case("resolve", "POST", "/console/tickets/{n}/resolve", DESK, {"resolution": "已返工"}),
    Case("merge", "POST", "/console/tickets/{n}/merge", DESK, {"target": "{m}"}),
    Case("link", "POST", "/console/tickets/{n}/link", DESK, {"order_ref": "DD1", "worker_ref": "李阿姨"}),
    Case("reassign", "POST", "/console/tickets/{n}/reassign", {"lead", "manager"}, {"assignee": "liu.yang"}),
    Case("escalate", "POST", "/console/tickets/{n}/escalate", {"lead", "manager"}, {"reason": "客户要求经理处理"}),
    Case("manual form", "GET", "/console/manual", DESK),
    Case(
        "manual entry", "POST", "/console/manual", DESK, {"source": "phone", "text": "阿姨没来", "phone": "13700137000"}
    ),
    Case("scripts", "GET", "/console/scripts", {"operator", "manager"}),
    Case(
        "script preview",
        "POST",
        "/console/scripts/preview",
        {"operator", "manager"},
        {"key": "status.zh", "body": "{{ number }}"},
    ),
    Case("script save", "POST", "/console/scripts/save", {"operator"}, {"key": "thanks.zh", "body": "谢谢您！"}),
    Case("script rollback", "POST", "/console/scripts/rollback", {"operator"}, {"key": "greeting.zh", "version": "1"}),
    Case("lexicon", "GET", "/console/lexicon", {"operator", "admin"}),
    Case("lexicon check", "POST", "/console/lexicon/check", {"operator", "admin"}, {"body": "[categories.other]"}),
    Case("lexicon save", "POST", "/console/lexicon/save", {"operator"}, {"body": "[categories.other"}),
    Case("rules", "GET", "/console/rules", {"operator", "admin"}),
    Case("rules check", "POST", "/console/rules/check", {"operator", "admin"}, {"body": "[settings]"}),
    Case("rules save", "POST", "/console/rules/save", {"operator"}, {"body": "[[rules]"}),
    Case("users", "GET", "/console/users", {"admin"}),
    Case(
        "user create",
        "POST",
        "/console/users",
        {"admin"},
        {"username": "new.{role}", "role": "agent", "password": "long enough pw"},
    ),
    Case("user change", "POST", "/console/users/{user}", {"admin"}, {"role": "agent", "team": "dispatch"}),
    Case("token create", "POST", "/console/tokens", {"admin"}, {"name": "crm", "role": "intake"}),
    Case("token revoke", "POST", "/console/tokens/revoke", {"admin"}, {"name": "crm"}),
    Case("live feed", "GET", "/console/events", DESK),
    Case("dashboard", "GET", "/console/dashboard", {"lead", "manager"}),
    Case("customers at risk", "GET", "/console/risk", {"lead", "manager"}),
    Case("ledger", "GET", "/console/ledger", {"lead", "manager"}),
    Case("ledger xlsx", "GET", "/console/ledger/export.xlsx", {"lead", "manager"}),
    Case("ledger csv", "GET", "/console/ledger/export.csv", {"lead", "manager"}),
    Case("import form", "GET", "/console/customers/import", {"manager", "admin"}),
    Case("logout", "POST", "/console/logout", set(ROLES), {}),
]


async def _fill(console: Console, role: str, case: Case) -> tuple[str, dict[str, str] | None]:
    n = await console.complaint("阿姨迟到还打碎了杯子")
    await console.assign(n, "customer_service", "zhang.min")
    m = await console.complaint("阿姨迟到（重复）")
    await console.assign(m, "customer_service", "zhang.min")
    assert isinstance(console.runtime.store, SqlStore)
    async with SqlConsoleStore(console.runtime.store).transaction() as tx:
        step = await tx.worklog.add_followup(n, "回访", "zhang.min", None, datetime.now(UTC))
        user = await tx.users.by_name("wu.lei")
        assert user is not None
    values = {"n": n, "m": m, "step": str(step), "user": str(user.user.id), "role": role}
    path = case.path.format(**values)
    data = {k: v.format(**values) for k, v in case.data.items()} if case.data is not None else None
    return path, data


async def _call(browser: Browser, method: str, path: str, data: dict[str, str] | None) -> int:
    if method == "GET":
        response: ClientResponse = await asyncio.wait_for(browser.get(path), 30)
        status = response.status
        response.close()
        return status
    return (await browser.post(path, data)).status


async def test_every_role_against_every_action(console: Console) -> None:
    wrong: list[str] = []
    for case in CASES:
        for role in ROLES:
            if case.name == "logout":
                continue
            path, data = await _fill(console, role, case)
            status = await _call(console.browsers[role], case.method, path, data)
            expected_ok = role in case.allowed
            if expected_ok and status in (401, 403, 500):
                wrong.append(f"{role} should be allowed to {case.name} but got {status}")
            if not expected_ok and status != 403:
                wrong.append(f"{role} should get 403 on {case.name} but got {status}")
    assert wrong == []
    for role in ROLES:  # last: logging out ends the session of each role
        assert await _call(console.browsers[role], "POST", "/console/logout", {}) == 303


async def test_permission_table_matches_the_cases() -> None:
    from intake.permissions import PERMISSIONS

    assert PERMISSIONS["ticket:reassign"] == frozenset({"lead", "manager"})
    assert PERMISSIONS["scripts:edit"] == frozenset({"operator"})
    assert PERMISSIONS["users:manage"] == frozenset({"admin"})
    assert PERMISSIONS["stats:view"] == frozenset({"lead", "manager"})
    assert PERMISSIONS["ledger:export"] == frozenset({"lead", "manager"})
    assert PERMISSIONS["customers:import"] == frozenset({"manager", "admin"})
    assert PERMISSIONS["customers:phone"] == frozenset({"manager"})


async def test_ticket_scope(console: Console) -> None:
    mine = await console.complaint("阿姨没有带工具")
    await console.assign(mine, "customer_service", "zhang.min")
    elsewhere = await console.complaint("调度把时间排错了")
    await console.assign(elsewhere, "dispatch", "wu.lei")
    checks: list[tuple[str, str, int]] = [
        ("agent", mine, 200),
        ("agent", elsewhere, 403),
        ("other_agent", elsewhere, 200),
        ("other_agent", mine, 403),
        ("lead", mine, 200),
        ("lead", elsewhere, 403),
        ("manager", mine, 200),
        ("manager", elsewhere, 200),
    ]
    for who, number, status in checks:
        assert (await console.browsers[who].get(f"/console/tickets/{number}")).status == status, (who, number)
    reply = await console.browsers["agent"].post(f"/console/tickets/{elsewhere}/reply", {"text": "越权回复"})
    assert reply.status == 403
    merge = await console.browsers["agent"].post(f"/console/tickets/{mine}/merge", {"target": elsewhere})
    assert merge.status == 403
    assert (await console.browsers["agent"].get("/console/tickets/TS-20990101-000001")).status == 404
    assert (await console.browsers["agent"].get("/console/tickets/not-a-number")).status == 404


async def test_csrf_is_required_on_every_ticket_action(console: Console) -> None:
    number = await console.complaint("阿姨态度很差")
    await console.assign(number, "customer_service", "zhang.min")
    browser = console.browsers["agent"]
    for suffix, data in (
        ("/reply", {"text": "x"}),
        ("/status", {"status": "in_progress"}),
        ("/notes", {"kind": "fact", "text": "x"}),
        ("/resolve", {"resolution": "x"}),
    ):
        response = await browser.post(f"/console/tickets/{number}{suffix}", data, csrf=False)
        assert response.status == 403, suffix
    async with console.runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(number)
    assert complaint is not None and complaint.status == "pending"
    assert [e for e in complaint.transcript if e.author == "user:zhang.min"] == []

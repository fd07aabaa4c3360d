"""Contract of the SQL store's repositories, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from intake.errors import NotFound
from intake.ports import ComplaintFilter
from intake.records import (
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Cue,
    Customer,
    Entity,
    Event,
    Identity,
    MediaRef,
    MessageKind,
    OutboundMessage,
    Priority,
    QuickReply,
    Reply,
    Severity,
    SlaDeadlines,
    Status,
    Tier,
    TranscriptEntry,
)
from storage.sql.store import SqlStore

T0 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def conversation(address: str = "visitor-1") -> ConversationRef:
    return ConversationRef(ChannelName.WEBCHAT, address, {"session": "s1"})


def new_customer(**fields: object) -> Customer:
    values: dict[str, object] = {"id": str(uuid.uuid4()), "name": "张三", "phone": "13812345678"}
    values.update(fields)
    return Customer(**values)  # type: ignore[arg-type]


def entry(text: str, at: datetime = T0, direction: str = "in", external_id: str | None = None) -> TranscriptEntry:
    return TranscriptEntry(direction, ChannelName.WEBCHAT, text, at, external_id=external_id)


def new_complaint(number: str, customer_id: str, **fields: object) -> Complaint:
    values: dict[str, object] = {
        "number": number,
        "customer_id": customer_id,
        "channel": ChannelName.WEBCHAT,
        "conversation": conversation(),
        "received_at": T0,
        "content": "阿姨迟到了两个小时",
        "category": Category.PUNCTUALITY,
        "severity": Severity.NORMAL,
        "priority": Priority.NORMAL,
        "confidence": 0.8,
    }
    values.update(fields)
    return Complaint(**values)  # type: ignore[arg-type]


async def add_customer(store: SqlStore, **fields: object) -> Customer:
    async with store.transaction() as tx:
        return await tx.customers.add(new_customer(**fields))


# --------------------------------------------------------------------------- customers


async def test_customer_round_trip_with_identities(store: SqlStore) -> None:
    wechat = Identity(ChannelName.WECHAT, "openid-1", "小张", "union-1")
    customer = await add_customer(store, address="北京市朝阳区", tier=Tier.VIP, identities=[wechat], title="女士")
    assert customer.created_at is not None and customer.created_at.tzinfo is not None
    async with store.transaction() as tx:
        loaded = await tx.customers.get(customer.id)
    assert loaded is not None
    assert (loaded.name, loaded.phone, loaded.address, loaded.tier, loaded.title) == (
        "张三",
        "13812345678",
        "北京市朝阳区",
        Tier.VIP,
        "女士",
    )
    assert loaded.identities == [wechat]
    assert loaded.created_at == customer.created_at


async def test_added_customer_is_as_a_read_gives_it(store: SqlStore) -> None:
    """`add` does not read the customer back; what it returns must equal a later `get`,
    also when an identity already existed and keeps its stored display name and unionid."""
    other = await add_customer(store, identities=[Identity(ChannelName.WECHAT, "openid-1", "小张", "union-1")])
    local = datetime(2026, 11, 23, 16, 30, tzinfo=timezone(timedelta(hours=8)))
    identities = [Identity(ChannelName.WECHAT, "openid-1"), Identity(ChannelName.API, "api-7", "张")]
    added = await add_customer(store, identities=identities, created_at=local, first_service_at=local, satisfaction=4)
    async with store.transaction() as tx:
        loaded = await tx.customers.get(added.id)
        previous = await tx.customers.get(other.id)
    assert loaded == added
    assert [i.display_name for i in added.identities] == ["张", "小张"]
    assert added.identities[1].unionid == "union-1"
    assert added.created_at is not None and added.created_at.utcoffset() == timedelta(0)
    assert str(added.created_at) == str(loaded.created_at if loaded else None)
    assert previous is not None and previous.identities == []


async def test_find_by_identity_and_unionid(store: SqlStore) -> None:
    customer = await add_customer(store, identities=[Identity(ChannelName.WECHAT, "openid-1", unionid="union-1")])
    async with store.transaction() as tx:
        by_identity = await tx.customers.find_by_identity(Identity(ChannelName.WECHAT, "openid-1"))
        by_union = await tx.customers.find_by_identity(Identity(ChannelName.WECOM, "other-id", unionid="union-1"))
        unknown = await tx.customers.find_by_identity(Identity(ChannelName.WECHAT, "nobody"))
    assert by_identity is not None and by_identity.id == customer.id
    assert by_union is not None and by_union.id == customer.id
    assert unknown is None


async def test_find_by_phone_normalises(store: SqlStore) -> None:
    customer = await add_customer(store, phone="+86 138-1234-5678")
    async with store.transaction() as tx:
        found = await tx.customers.find_by_phone("13812345678")
        missing = await tx.customers.find_by_phone("13900000000")
        junk = await tx.customers.find_by_phone("no digits")
    assert found is not None and found.id == customer.id
    assert missing is None and junk is None


async def test_update_customer(store: SqlStore) -> None:
    customer = await add_customer(store, phone=None)
    customer.phone, customer.order_count, customer.satisfaction, customer.reachable = "13900001111", 3, 4.5, False
    async with store.transaction() as tx:
        await tx.customers.update(customer)
    async with store.transaction() as tx:
        found = await tx.customers.find_by_phone("13900001111")
    assert found is not None
    assert (found.order_count, found.satisfaction, found.reachable) == (3, 4.5, False)


async def test_update_unknown_customer_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        async with store.transaction() as tx:
            await tx.customers.update(new_customer())


async def test_link_identity_moves_it(store: SqlStore) -> None:
    telegram = Identity(ChannelName.TELEGRAM, "42", "zhang")
    first = await add_customer(store, identities=[telegram])
    second = await add_customer(store, phone="13900000000")
    async with store.transaction() as tx:
        await tx.customers.link_identity(second.id, telegram)
        owner = await tx.customers.find_by_identity(telegram)
        first_now = await tx.customers.get(first.id)
    assert owner is not None and owner.id == second.id
    assert first_now is not None and first_now.identities == []


async def test_merge_moves_identities_complaints_and_messages(store: SqlStore) -> None:
    source = await add_customer(store, name=None, address="上海", identities=[Identity(ChannelName.API, "u1")])
    target = await add_customer(store, name="李四", phone=None, order_count=2)
    async with store.transaction() as tx:
        number = await tx.complaints.next_number(T0.date())
        await tx.complaints.add(new_complaint(number, source.id, transcript=[entry("第一条")]))
        await tx.customers.merge(source.id, target.id)
    async with store.transaction() as tx:
        merged = await tx.customers.get(target.id)
        gone = await tx.customers.get(source.id)
        moved = await tx.complaints.for_customer(target.id)
        by_phone = await tx.customers.find_by_phone("13812345678")
    assert gone is None
    assert merged is not None
    assert (merged.name, merged.phone, merged.address) == ("李四", "13812345678", "上海")
    assert merged.identities == [Identity(ChannelName.API, "u1")]
    assert [c.number for c in moved] == [number]
    assert by_phone is not None and by_phone.id == target.id


# --------------------------------------------------------------------------- complaints


async def test_numbers_follow_a_per_day_sequence(store: SqlStore) -> None:
    async with store.transaction() as tx:
        first = await tx.complaints.next_number(date(2026, 11, 23))
        second = await tx.complaints.next_number(date(2026, 11, 23))
        other_day = await tx.complaints.next_number(date(2026, 11, 24))
    assert (first, second, other_day) == ("TS-20261123-000001", "TS-20261123-000002", "TS-20261124-000001")


async def test_numbers_unique_under_concurrency(store: SqlStore) -> None:
    async def take() -> str:
        async with store.transaction() as tx:
            number = await tx.complaints.next_number(date(2026, 11, 23))
            await asyncio.sleep(0)
            return number

    numbers = await asyncio.gather(*(take() for _ in range(50)))
    assert len(set(numbers)) == 50
    assert sorted(numbers) == [f"TS-20261123-{n:06d}" for n in range(1, 51)]


async def test_complaint_round_trip(store: SqlStore) -> None:
    customer = await add_customer(store)
    shanghai = timezone(timedelta(hours=8))
    complaint = new_complaint(
        "TS-20261123-000001",
        customer.id,
        received_at=datetime(2026, 11, 23, 16, 30, tzinfo=shanghai),
        cues=(Cue("lexicon", "迟到", "punctuality", 2.0),),
        entities=(Entity("phone", "13812345678", 3, 14, "13812345678"),),
        team="service",
        assignee="agent-1",
        sla=SlaDeadlines(first_response_due=T0 + timedelta(minutes=30), report_due=T0 + timedelta(days=7)),
        routing_reasons=("category punctuality → service",),
        location="朝阳区某小区",
        order_ref="ORD-1",
        worker_ref="王阿姨",
        source="phone",
        callback_needed=True,
        updated_at=T0,
        transcript=[entry("阿姨迟到了", T0, external_id="m1"), entry("已收到", T0 + timedelta(seconds=1), "out")],
    )
    async with store.transaction() as tx:
        added = await tx.complaints.add(complaint)
    assert added.id
    async with store.transaction() as tx:
        loaded = await tx.complaints.get(complaint.number)
        bare = await tx.complaints.get(complaint.number, with_transcript=False)
        missing = await tx.complaints.get("TS-20000101-000001")
    assert loaded is not None and bare is not None and missing is None
    assert loaded.received_at == T0 and loaded.received_at.tzinfo is not None
    assert loaded.received_at.utcoffset() == timedelta(0)
    assert loaded.to_json() == {**added.to_json(), "received_at": T0.isoformat()}
    assert loaded.id == added.id
    assert [t.text for t in loaded.transcript] == ["阿姨迟到了", "已收到"]
    assert loaded.transcript[0].external_id == "m1"
    assert bare.transcript == []


async def test_save_writes_every_field(store: SqlStore) -> None:
    customer = await add_customer(store)
    async with store.transaction() as tx:
        complaint = await tx.complaints.add(new_complaint("TS-20261123-000001", customer.id))
    complaint.status = Status.RESOLVED
    complaint.resolution = "退款50元"
    complaint.compensation = "50元"
    complaint.feedback = "满意"
    complaint.satisfaction = 5
    complaint.sla = SlaDeadlines(first_response_at=T0 + timedelta(minutes=5), resolved_at=T0 + timedelta(hours=2))
    complaint.rating_requested_at = T0 + timedelta(hours=3)
    async with store.transaction() as tx:
        await tx.complaints.save(complaint)
    async with store.transaction() as tx:
        loaded = await tx.complaints.get(complaint.number)
    assert loaded is not None
    assert loaded.to_json() == complaint.to_json()
    assert loaded.rating_requested_at == complaint.rating_requested_at


async def test_save_unknown_complaint_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        async with store.transaction() as tx:
            await tx.complaints.save(new_complaint("TS-20261123-999999", "nobody"))


async def test_list_filter_and_count(store: SqlStore) -> None:
    alice = await add_customer(store)
    bob = await add_customer(store, phone="13900000000")
    specs = [
        (alice.id, Category.PUNCTUALITY, Severity.NORMAL, Status.PENDING, "service", "a1"),
        (alice.id, Category.DAMAGE, Severity.SERIOUS, Status.IN_PROGRESS, "claims", "a2"),
        (bob.id, Category.SAFETY, Severity.CRITICAL, Status.CLOSED, "safety", None),
        (bob.id, Category.DAMAGE, Severity.SERIOUS, Status.RESOLVED, "claims", "a2"),
    ]
    async with store.transaction() as tx:
        for i, (customer_id, category, severity, status, team, assignee) in enumerate(specs):
            fields = {"category": category, "severity": severity, "status": status, "team": team, "assignee": assignee}
            at = T0 + timedelta(hours=i)
            await tx.complaints.add(new_complaint(f"TS-20261123-{i + 1:06d}", customer_id, received_at=at, **fields))

    async def numbers(**criteria: object) -> list[str]:
        async with store.transaction() as tx:
            return [c.number[-1] for c in await tx.complaints.list(ComplaintFilter(**criteria))]  # type: ignore[arg-type]

    assert await numbers() == ["4", "3", "2", "1"]
    assert await numbers(category=Category.DAMAGE) == ["4", "2"]
    assert await numbers(severity=Severity.CRITICAL) == ["3"]
    assert await numbers(status=(Status.PENDING, Status.IN_PROGRESS)) == ["2", "1"]
    assert await numbers(team="claims", assignee="a2") == ["4", "2"]
    assert await numbers(customer_id=bob.id) == ["4", "3"]
    assert await numbers(received_from=T0 + timedelta(hours=1), received_to=T0 + timedelta(hours=3)) == ["3", "2"]
    assert await numbers(limit=2, offset=1) == ["3", "2"]
    assert await numbers(channel=ChannelName.TELEGRAM) == []
    async with store.transaction() as tx:
        assert await tx.complaints.count(ComplaintFilter(category=Category.DAMAGE, limit=1)) == 2
        assert await tx.complaints.count(ComplaintFilter()) == 4
        assert [c.number[-1] for c in await tx.complaints.for_customer(alice.id)] == ["2", "1"]
        listed = await tx.complaints.list(ComplaintFilter(limit=1))
    assert listed[0].transcript == []


async def test_transcript_and_conversation_history(store: SqlStore) -> None:
    customer = await add_customer(store)
    chat = conversation()
    async with store.transaction() as tx:
        await tx.complaints.append_message(chat, None, None, entry("你好", T0))
        await tx.complaints.add(new_complaint("TS-20261123-000001", customer.id, conversation=chat))
        for i, text in enumerate(["阿姨没来", "请尽快处理"], start=1):
            at = T0 + timedelta(minutes=i)
            await tx.complaints.append_message(
                chat, customer.id, "TS-20261123-000001", entry(text, at, external_id=f"m{i}")
            )
        media = TranscriptEntry(
            "out",
            ChannelName.WEBCHAT,
            "已为您登记",
            T0 + timedelta(minutes=3),
            kind=MessageKind.IMAGE,
            media=(MediaRef("image", "media-1", "照片"),),
            author="bot",
            template="ack",
            template_version=2,
        )
        await tx.complaints.append_message(chat, customer.id, "TS-20261123-000001", media)
        await tx.complaints.append_message(conversation("other"), None, None, entry("别人的消息"))
    async with store.transaction() as tx:
        history = await tx.complaints.conversation_history(chat)
        last_two = await tx.complaints.conversation_history(chat, limit=2)
        complaint = await tx.complaints.get("TS-20261123-000001")
        edited = await tx.complaints.update_message(chat, "m1", "阿姨没来（已编辑）")
        unknown = await tx.complaints.update_message(chat, "nope", "x")
    assert [h.text for h in history] == ["你好", "阿姨没来", "请尽快处理", "已为您登记"]
    assert [h.text for h in last_two] == ["请尽快处理", "已为您登记"]
    assert history[-1] == media
    assert complaint is not None and [t.text for t in complaint.transcript] == ["阿姨没来", "请尽快处理", "已为您登记"]
    assert edited is True and unknown is False
    async with store.transaction() as tx:
        history = await tx.complaints.conversation_history(chat)
    assert history[1].text == "阿姨没来（已编辑）"


async def test_append_messages_keeps_their_order(store: SqlStore) -> None:
    customer = await add_customer(store)
    chat = conversation()
    texts = ["第一条", "第二条", "第三条"]
    async with store.transaction() as tx:
        await tx.complaints.add(new_complaint("TS-20261123-000001", customer.id, conversation=chat))
        await tx.complaints.append_messages(chat, customer.id, "TS-20261123-000001", [entry(t) for t in texts])
        await tx.complaints.append_messages(chat, customer.id, None, [entry("不属于投诉")])
        await tx.complaints.append_messages(chat, customer.id, "TS-20261123-000001", [])
    async with store.transaction() as tx:
        complaint = await tx.complaints.get("TS-20261123-000001")
        history = await tx.complaints.conversation_history(chat)
        # a new transaction looks the complaint's id up again
        await tx.complaints.append_messages(chat, customer.id, "TS-20261123-000001", [entry("第四条")])
        again = await tx.complaints.get("TS-20261123-000001")
    assert complaint is not None and [t.text for t in complaint.transcript] == texts
    assert [h.text for h in history] == [*texts, "不属于投诉"]
    assert again is not None and [t.text for t in again.transcript] == [*texts, "第四条"]
    with pytest.raises(NotFound):
        async with store.transaction() as tx:
            await tx.complaints.append_messages(chat, None, "TS-20261123-000404", [entry("x"), entry("y")])


async def test_append_message_to_unknown_complaint_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        async with store.transaction() as tx:
            await tx.complaints.append_message(conversation(), None, "TS-20261123-000404", entry("x"))


# --------------------------------------------------------------------------- agents


async def test_open_load_counts_open_complaints_per_assignee(store: SqlStore) -> None:
    customer = await add_customer(store)
    rows = [
        ("a1", Status.PENDING, "service"),
        ("a1", Status.IN_PROGRESS, "service"),
        ("a1", Status.RESOLVED, "service"),
        ("a2", Status.REOPENED, "service"),
        ("a2", Status.CLOSED, "service"),
        ("a3", Status.PENDING, "claims"),
        (None, Status.PENDING, "service"),
    ]
    async with store.transaction() as tx:
        for i, (assignee, status, team) in enumerate(rows):
            number = f"TS-20261123-{i + 1:06d}"
            await tx.complaints.add(new_complaint(number, customer.id, assignee=assignee, status=status, team=team))
        assert await tx.agents.open_load("service") == {"a1": 2, "a2": 1}
        assert await tx.agents.open_load("nobody") == {}


# --------------------------------------------------------------------------- inbox


async def test_inbox_claims_a_key_once(store: SqlStore) -> None:
    async with store.transaction() as tx:
        assert await tx.inbox.claim("webchat:m1", T0) is True
        assert await tx.inbox.claim("webchat:m1", T0) is False
        assert await tx.inbox.result("webchat:m1") is None
        await tx.inbox.record_result("webchat:m1", {"replies": [{"text": "收到"}]})
    async with store.transaction() as tx:
        assert await tx.inbox.claim("webchat:m1", T0) is False
        assert await tx.inbox.result("webchat:m1") == {"replies": [{"text": "收到"}]}
        assert await tx.inbox.result("webchat:other") is None


async def test_inbox_concurrent_claims_give_one_winner(store: SqlStore) -> None:
    async def claim() -> bool:
        async with store.transaction() as tx:
            return await tx.inbox.claim("api:same", T0)

    results = await asyncio.gather(*(claim() for _ in range(10)))
    assert sorted(results) == [False] * 9 + [True]


async def test_rollback_leaves_nothing(store: SqlStore) -> None:
    class Boom(Exception):
        pass

    customer = new_customer()
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.inbox.claim("webchat:m9", T0)
            await tx.customers.add(customer)
            number = await tx.complaints.next_number(T0.date())
            await tx.complaints.add(new_complaint(number, customer.id))
            await tx.outbox.put(OutboundMessage("r1", conversation(), Reply("收到"), number))
            await tx.audit.append(Event("bot", "complaint.created", T0, number))
            raise Boom
    async with store.transaction() as tx:
        assert await tx.inbox.claim("webchat:m9", T0) is True
        assert await tx.customers.get(customer.id) is None
        assert await tx.complaints.count(ComplaintFilter()) == 0
        assert await tx.outbox.pending_count() == 0
        assert await tx.audit.for_complaint(number) == []
        assert await tx.complaints.next_number(T0.date()) == number


# --------------------------------------------------------------------------- outbox


def reply_message(message_id: str, number: str | None = None, address: str = "visitor-1") -> OutboundMessage:
    reply = Reply("您的投诉已受理", (QuickReply("查询进度", "progress"),), "ack", 3)
    return OutboundMessage(message_id, conversation(address), reply, number)


async def test_outbox_put_and_claim_due(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.outbox.put(reply_message("r1", "TS-20261123-000001"))
        await tx.outbox.put(reply_message("r2", address="visitor-2"))
        await tx.outbox.put(reply_message("later", address="visitor-3"), not_before=T0 + timedelta(minutes=5))
        assert await tx.outbox.pending_count() == 3
    async with store.transaction() as tx:
        claimed = await tx.outbox.claim_due(T0, 10, 600)
    assert [m.id for m in claimed] == ["r1", "r2"]
    assert claimed[0] == reply_message("r1", "TS-20261123-000001")
    async with store.transaction() as tx:
        assert await tx.outbox.claim_due(T0 + timedelta(seconds=10), 10, 30) == []
        due_later = await tx.outbox.claim_due(T0 + timedelta(minutes=5), 10, 30)
    assert [m.id for m in due_later] == ["later"]
    async with store.transaction() as tx:
        again = await tx.outbox.claim_due(T0 + timedelta(seconds=601), 1, 30)
    assert [m.id for m in again] == ["r1"]


async def test_outbox_put_all_keeps_their_order(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.outbox.put_all([reply_message("t-01", "TS-20261123-000001"), reply_message("t-00")])
        await tx.outbox.put_all([reply_message("held", address="visitor-2")], not_before=T0 + timedelta(minutes=5))
        await tx.outbox.put_all([])
        assert await tx.outbox.pending_count() == 3
    async with store.transaction() as tx:
        claimed = await tx.outbox.claim_due(T0, 10, 600)  # written at one time: in id order
        await tx.outbox.mark_sent("t-00", T0)
        following = await tx.outbox.claim_due(T0, 10, 600)
        held = await tx.outbox.claim_due(T0 + timedelta(minutes=5), 10, 600)
    assert [m.id for m in claimed] == ["t-00"]
    assert following == [reply_message("t-01", "TS-20261123-000001")]
    assert [m.id for m in held] == ["held"]


async def test_outbox_claims_a_reply_only_after_the_earlier_ones_of_its_conversation(store: SqlStore) -> None:
    """Pending earlier replies (due or held back, leased or not) hold a conversation; sent
    and given-up ones do not; other conversations are not held."""
    async with store.transaction() as tx:
        await tx.outbox.put(reply_message("a1"), not_before=T0 + timedelta(minutes=1))  # held back
        await tx.outbox.put(reply_message("a2"))
        await tx.outbox.put(reply_message("b1", address="visitor-2"))
        await tx.outbox.put(reply_message("b2", address="visitor-2"))
    async with store.transaction() as tx:
        assert [m.id for m in await tx.outbox.claim_due(T0, 10, 30)] == ["b1"]  # leased now
        assert await tx.outbox.claim_due(T0 + timedelta(seconds=1), 10, 30) == []
        assert await tx.outbox.claim("a2", T0, 30) is None
        await tx.outbox.mark_failed("b1", "blocked by user", None)  # given up
        assert [m.id for m in await tx.outbox.claim_due(T0 + timedelta(seconds=2), 10, 30)] == ["b2"]
        await tx.outbox.mark_sent("b2", T0 + timedelta(seconds=2))
        assert [m.id for m in await tx.outbox.claim_due(T0 + timedelta(minutes=1), 10, 30)] == ["a1"]
        await tx.outbox.mark_sent("a1", T0 + timedelta(minutes=1))
        assert [m.id for m in await tx.outbox.claim_due(T0 + timedelta(minutes=1), 10, 30)] == ["a2"]


async def test_outbox_lease_is_exclusive_under_concurrency(store: SqlStore) -> None:
    async with store.transaction() as tx:
        for i in range(20):
            await tx.outbox.put(reply_message(f"r{i:02d}", address=f"visitor-{i}"))

    async def grab() -> list[str]:
        async with store.transaction() as tx:
            return [m.id for m in await tx.outbox.claim_due(T0, 3, 60)]

    batches = await asyncio.gather(*(grab() for _ in range(10)))
    taken = [message_id for batch in batches for message_id in batch]
    assert sorted(taken) == [f"r{i:02d}" for i in range(20)]


async def test_outbox_claim_one_by_id(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.outbox.put(reply_message("r1"), not_before=T0 + timedelta(hours=1))
        first = await tx.outbox.claim("r1", T0, 5)
        second = await tx.outbox.claim("r1", T0, 5)
        missing = await tx.outbox.claim("nope", T0, 5)
    assert first is not None and first.id == "r1"
    assert second is None and missing is None


async def test_outbox_release_gives_a_lease_back_without_an_attempt(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.outbox.put(reply_message("held"))
        [leased] = await tx.outbox.claim_due(T0, 10, 300)
        await tx.outbox.release(leased.id, T0 + timedelta(seconds=2))
        assert await tx.outbox.claim_due(T0 + timedelta(seconds=1), 10, 300) == []
        again = await tx.outbox.claim_due(T0 + timedelta(seconds=2), 10, 300)
    assert [(m.id, m.attempts) for m in again] == [("held", 0)]


async def test_outbox_sent_retry_and_dead(store: SqlStore) -> None:
    async with store.transaction() as tx:
        for message_id in ("ok", "flaky", "doomed"):
            await tx.outbox.put(reply_message(message_id))
        await tx.outbox.claim_due(T0, 10, 30)
        await tx.outbox.mark_sent("ok", T0, via="webchat")
        await tx.outbox.mark_failed("flaky", "timeout", T0 + timedelta(minutes=1))
        await tx.outbox.mark_failed("doomed", "blocked by user", None)
        assert await tx.outbox.pending_count() == 1
        assert await tx.outbox.claim_due(T0 + timedelta(seconds=59), 10, 30) == []
        retried = await tx.outbox.claim_due(T0 + timedelta(minutes=1), 10, 30)
        assert [(m.id, m.attempts) for m in retried] == [("flaky", 1)]
        assert await tx.outbox.claim("ok", T0 + timedelta(hours=1), 30) is None
        assert await tx.outbox.claim("doomed", T0 + timedelta(hours=1), 30) is None
        with pytest.raises(NotFound):
            await tx.outbox.mark_sent("nope", T0)


# --------------------------------------------------------------------------- audit and tokens


async def test_audit_events_oldest_first(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.audit.append(
            Event("agent-1", "status.changed", T0 + timedelta(minutes=5), "TS-1", {"to": "in_progress"})
        )
        await tx.audit.append(Event("bot", "complaint.created", T0, "TS-1", {"category": "damage"}))
        await tx.audit.append(Event("bot", "complaint.created", T0, "TS-2"))
    async with store.transaction() as tx:
        events = await tx.audit.for_complaint("TS-1")
    assert [(e.action, e.data) for e in events] == [
        ("complaint.created", {"category": "damage"}),
        ("status.changed", {"to": "in_progress"}),
    ]
    assert events[0].at == T0


async def test_audit_append_all_keeps_their_order(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.audit.append_all(
            [
                Event("bot", "complaint.created", T0, "TS-1", {"category": "damage"}),
                Event("bot", "complaint.routed", T0, "TS-1", {"team": "service"}),
                Event("bot", "complaint.created", T0, "TS-2"),
            ]
        )
        await tx.audit.append_all([Event("bot", "complaint.message_added", T0, "TS-1")])
        await tx.audit.append_all([])
    async with store.transaction() as tx:
        events = await tx.audit.for_complaint("TS-1")
    assert [(e.action, e.data) for e in events] == [
        ("complaint.created", {"category": "damage"}),
        ("complaint.routed", {"team": "service"}),
        ("complaint.message_added", {}),
    ]


async def test_api_tokens(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.tokens.create("crm", "intake", "hash-1", T0)
        await tx.tokens.create("crm", "intake", "hash-2", T0)
        await tx.tokens.create("console", "admin", "hash-3", T0)
        assert await tx.tokens.find("hash-1") == ("crm", "intake")
        assert await tx.tokens.find("unknown") is None
        assert await tx.tokens.revoke("crm", T0) is True
        assert await tx.tokens.revoke("crm", T0) is False
        assert await tx.tokens.find("hash-2") is None
        assert await tx.tokens.find("hash-3") == ("console", "admin")


async def test_a_snapshot_reads_the_last_commit_without_waiting_for_a_writer(store: SqlStore) -> None:
    customer = new_customer()
    async with store.transaction() as tx:
        await tx.customers.add(customer)
        await tx.complaints.add(new_complaint("TS-20261123-000901", customer.id))
    writer_inside = asyncio.Event()
    release_writer = asyncio.Event()

    async def slow_writer() -> None:
        async with store.transaction() as tx:
            await tx.complaints.add(new_complaint("TS-20261123-000902", customer.id))
            writer_inside.set()
            await release_writer.wait()

    writer = asyncio.create_task(slow_writer())
    await writer_inside.wait()
    try:
        async with asyncio.timeout(5):  # a reader behind the writer would wait for ever here
            async with store.snapshot() as tx:
                seen = await tx.complaints.get("TS-20261123-000901", with_transcript=False)
                unseen = await tx.complaints.get("TS-20261123-000902", with_transcript=False)
    finally:
        release_writer.set()
        await writer
    assert seen is not None and unseen is None  # the open write is not visible
    async with store.snapshot() as tx:
        assert await tx.complaints.get("TS-20261123-000902", with_transcript=False) is not None

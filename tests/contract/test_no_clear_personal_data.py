"""The SQLite file never holds a phone number (or other personal text) in clear."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

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
    OutboundMessage,
    Priority,
    Reply,
    Severity,
    TranscriptEntry,
)
from storage.crypto import FieldCipher
from storage.migrate import upgrade
from storage.sql.store import SqlStore

PHONE = "13987654321"
NAME = "欧阳娜娜"
ADDRESS = "海淀区中关村大街27号"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def run_flow(store: SqlStore) -> None:
    chat = ConversationRef(ChannelName.WEBCHAT, "visitor-9")
    said = f"我叫{NAME}，电话{PHONE}，住{ADDRESS}，阿姨打碎了花瓶"
    async with store.transaction() as tx:
        assert await tx.inbox.claim("webchat:m1", T0)
        customer = await tx.customers.add(
            Customer(
                id="c-1",
                name=NAME,
                phone=PHONE,
                address=ADDRESS,
                identities=[Identity(ChannelName.WEBCHAT, "visitor-9", NAME)],
            )
        )
        number = await tx.complaints.next_number(T0.date())
        entry = TranscriptEntry("in", ChannelName.WEBCHAT, said, T0, external_id="m1")
        complaint = Complaint(
            number=number,
            customer_id=customer.id,
            channel=ChannelName.WEBCHAT,
            conversation=chat,
            received_at=T0,
            content=said,
            category=Category.DAMAGE,
            severity=Severity.SERIOUS,
            priority=Priority.HIGH,
            confidence=0.9,
            cues=(Cue("entity", PHONE, "phone"),),
            entities=(Entity("phone", PHONE, 5, 16, PHONE),),
            location=ADDRESS,
            feedback=f"请打{PHONE}",
            transcript=[entry],
        )
        await tx.complaints.add(complaint)
        reply = Reply(f"{NAME}您好，我们会致电{PHONE}")
        await tx.complaints.append_message(
            chat, customer.id, number, TranscriptEntry("out", chat.channel, reply.text, T0)
        )
        await tx.outbox.put(OutboundMessage("r-1", chat, reply, number))
        await tx.audit.append(Event("bot", "customer.phone_saved", T0, number, {"phone": PHONE}))
        await tx.inbox.record_result("webchat:m1", {"replies": [reply.to_json()], "phone": PHONE})
    async with store.transaction() as tx:
        found = await tx.customers.find_by_phone(PHONE)
        assert found is not None and found.address == ADDRESS
        assert await tx.complaints.count(ComplaintFilter()) == 1


async def test_sqlite_file_holds_no_personal_data_in_clear(
    sqlite_url: str, sqlite_path: Path, cipher: FieldCipher
) -> None:
    await upgrade(sqlite_url)
    store = SqlStore(sqlite_url, cipher)
    try:
        await run_flow(store)
    finally:
        await store.close()
    files = [p for p in sqlite_path.parent.iterdir() if p.name.startswith(sqlite_path.name)]
    assert sqlite_path in files
    data = b"".join(p.read_bytes() for p in files)
    for secret in (PHONE, NAME, ADDRESS):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in data, f"{secret!r} found in clear ({encoding})"
    assert b"visitor-9" in data  # the check does see what is stored in clear

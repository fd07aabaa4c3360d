"""Manual entry of complaints from informal channels goes through the pipeline."""

from __future__ import annotations

from tests.integration.console.conftest import Console


async def test_a_phone_complaint_is_entered_routed_and_audited(console: Console) -> None:
    browser = console.browsers["agent"]
    response = await browser.post(
        "/console/manual",
        {
            "source": "wechat_group",
            "text": "群里客户说阿姨把孩子一个人留在家里就走了",
            "customer_name": "李先生",
            "phone": "138 0013 8001",
            "order_ref": "DD123",
            "location": "朝阳区",
        },
    )
    assert response.status == 303
    location = response.headers["Location"]
    number = (
        location.split("/tickets/")[1].split("?")[0] if "/tickets/" in location else location.split("number=")[1][:18]
    )
    async with console.runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(number)
        events = await tx.audit.for_complaint(number)
        customer = await tx.customers.get(complaint.customer_id) if complaint else None
    assert complaint is not None and complaint.source == "wechat_group" and complaint.channel == "manual"
    assert complaint.order_ref == "DD123" and complaint.location == "朝阳区"
    assert customer is not None and customer.phone == "13800138001"
    assert all(e.actor == "user:zhang.min" for e in events if e.action == "complaint.created")
    page = await (await console.browsers["manager"].get(f"/console/tickets/{number}")).text()
    assert "微信群" in page


async def test_bad_entries_are_refused_with_the_reason(console: Console) -> None:
    browser = console.browsers["agent"]
    for data in (
        {"source": "fax", "text": "x"},
        {"source": "phone", "text": ""},
        {"source": "phone", "text": "很差", "phone": "12345"},
    ):
        response = await browser.post("/console/manual", data)
        assert response.status == 422
    assert (await console.browsers["operator"].post("/console/manual", {"source": "phone", "text": "x"})).status == 403

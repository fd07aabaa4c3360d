"""The REST API over a real aiohttp server and a real SQLite store."""

from __future__ import annotations

import asyncio
import re

from tests.integration.conftest import Api

NUMBER = re.compile(r"^TS-\d{8}-\d{6}$")


async def test_a_message_becomes_a_complaint_with_an_acknowledgement(api: Api) -> None:
    response = await api.post(
        "/api/v1/messages",
        {
            "channel_user_id": "app-user-1",
            "text": "阿姨迟到了一个小时，也没打电话说一声",
            "external_id": "app-1",
            "name": "李女士",
            "phone": "13800138000",
        },
        role="intake",
    )
    assert response.status == 201, await response.text()
    body = await response.json()
    complaint = body["complaint"]
    assert NUMBER.match(complaint["number"])
    assert complaint["status"] == "pending"
    assert complaint["channel"] == "api"
    assert complaint["sla"]["first_response_due"]
    assert complaint["team"]
    assert [t["direction"] for t in complaint["transcript"]] == ["in", "out"]
    assert body["replies"] and complaint["number"] in body["replies"][0]["text"]

    fetched = await api.get(f"/api/v1/complaints/{complaint['number']}", role="agent")
    assert fetched.status == 200
    assert (await fetched.json())["complaint"]["number"] == complaint["number"]


async def test_the_same_external_id_twice_gives_the_same_answer_and_one_complaint(api: Api) -> None:
    payload = {"channel_user_id": "u-dup", "text": "保洁员把我的花瓶打碎了", "external_id": "dup-1"}
    first = await api.post("/api/v1/messages", payload, role="intake")
    second = await api.post("/api/v1/messages", payload, role="intake")
    assert first.status == 201 and second.status == 200
    one, two = await first.json(), await second.json()
    assert one["complaint"]["number"] == two["complaint"]["number"]
    assert [r["id"] for r in one["replies"]] == [r["id"] for r in two["replies"]]
    listing = await (await api.get("/api/v1/complaints")).json()
    assert listing["total"] == 1


async def test_concurrent_retries_make_one_complaint(api: Api) -> None:
    payload = {"channel_user_id": "u-race", "text": "钟点工态度很差", "external_id": "race-1"}
    responses = await asyncio.gather(*(api.post("/api/v1/messages", payload, role="intake") for _ in range(5)))
    numbers = {(await r.json())["complaint"]["number"] for r in responses}
    assert len(numbers) == 1
    assert sorted(r.status for r in responses) == [200, 200, 200, 200, 201]


async def test_follow_up_messages_extend_the_open_complaint(api: Api) -> None:
    first = await (
        await api.post("/api/v1/messages", {"channel_user_id": "u2", "text": "擦窗户不干净"}, role="intake")
    ).json()
    second = await (
        await api.post("/api/v1/messages", {"channel_user_id": "u2", "text": "油烟机也没有清洗"}, role="intake")
    ).json()
    assert second["complaint"]["number"] == first["complaint"]["number"]
    assert len(second["complaint"]["transcript"]) == 4


async def test_greeting_opens_no_complaint(api: Api) -> None:
    body = await (await api.post("/api/v1/messages", {"channel_user_id": "u3", "text": "你好"}, role="intake")).json()
    assert body["complaint"] is None
    assert body["replies"]
    assert (await (await api.get("/api/v1/complaints")).json())["total"] == 0


async def test_progress_question_answers_with_the_status(api: Api) -> None:
    made = await (
        await api.post("/api/v1/messages", {"channel_user_id": "u4", "text": "阿姨没来，放我鸽子"}, role="intake")
    ).json()
    number = made["complaint"]["number"]
    asked = await (
        await api.post("/api/v1/messages", {"channel_user_id": "u4", "text": f"{number} 进度怎么样"}, role="intake")
    ).json()
    assert number in asked["replies"][0]["text"]


async def test_another_customer_cannot_read_a_complaint_status_by_number(api: Api) -> None:
    made = await (
        await api.post("/api/v1/messages", {"channel_user_id": "owner", "text": "阿姨打碎了杯子"}, role="intake")
    ).json()
    number = made["complaint"]["number"]
    asked = await (
        await api.post("/api/v1/messages", {"channel_user_id": "stranger", "text": f"查询 {number}"}, role="intake")
    ).json()
    assert asked["complaint"] is None
    assert "打碎" not in asked["replies"][0]["text"]


async def test_manual_entry_records_its_source(api: Api) -> None:
    response = await api.post(
        "/api/v1/complaints",
        {
            "text": "客户来电：阿姨上门服务时受伤了，要求公司处理",
            "source": "phone",
            "phone": "13900139000",
            "customer_name": "赵先生",
            "worker_ref": "王阿姨",
        },
        role="agent",
    )
    assert response.status == 201, await response.text()
    complaint = (await response.json())["complaint"]
    assert complaint["channel"] == "manual"
    assert complaint["source"] == "phone"
    assert complaint["worker_ref"] == "王阿姨"


async def test_listing_filters_and_validates(api: Api) -> None:
    await api.post("/api/v1/messages", {"channel_user_id": "u5", "text": "多收了我两百块钱，要求退款"}, role="intake")
    listing = await (await api.get("/api/v1/complaints?status=pending")).json()
    assert listing["total"] == 1
    none = await (await api.get("/api/v1/complaints?status=closed")).json()
    assert none["total"] == 0
    bad = await api.get("/api/v1/complaints?severity=apocalyptic")
    assert bad.status == 400
    assert "severity" in (await bad.json())["error"]["message"]


async def test_bad_requests_get_a_clear_4xx_and_store_nothing(api: Api) -> None:
    cases = [
        (
            await api.client.post(
                "/api/v1/messages",
                data=b"{not json",
                headers={**api.headers("intake"), "Content-Type": "application/json"},
            ),
            400,
        ),
        (await api.post("/api/v1/messages", {"text": "没有用户"}, role="intake"), 422),
        (await api.post("/api/v1/messages", {"channel_user_id": "u", "text": ""}, role="intake"), 422),
        (await api.post("/api/v1/messages", {"channel_user_id": "u", "text": []}, role="intake"), 422),
        (await api.post("/api/v1/messages", ["not", "an", "object"], role="intake"), 400),
        (await api.post("/api/v1/messages", {"channel_user_id": "u", "text": "x" * 70_000}, role="intake"), 413),
        (await api.post("/api/v1/messages", {"channel_user_id": "u", "text": "hi", "phone": "12"}, role="intake"), 422),
        (await api.get("/api/v1/complaints/TS-20200101-000001"), 404),
        (await api.get("/api/v1/complaints/<script>"), 404),
        (
            await api.post(
                "/api/v1/complaints", {"text": "x", "source": "telepathy", "phone": "13800138000"}, role="agent"
            ),
            422,
        ),
    ]
    for response, status in cases:
        assert response.status == status, (response.url, await response.text())
        body = await response.json()
        assert body["error"]["message"]
    assert (await (await api.get("/api/v1/complaints")).json())["total"] == 0


async def test_tokens_and_roles_are_checked(api: Api) -> None:
    payload = {"channel_user_id": "u", "text": "阿姨迟到"}
    assert (await api.client.post("/api/v1/messages", json=payload)).status == 401
    bad = await api.client.post("/api/v1/messages", json=payload, headers={"Authorization": "Bearer tsu_nope"})
    assert bad.status == 401
    assert (await api.post("/api/v1/messages", payload, role="operator")).status == 403
    assert (await api.get("/api/v1/complaints", role="operator")).status == 200


async def test_healthz(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["checks"]["database"] == "ok"

"""The WeChat Official Account and WeCom callbacks end to end: real server, real wechatpy, fake Tencent API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

from bots.wechat_crypto import MessageCipher
from bots.wechat_parse import parse_xml, text_of
from intake.records import ChannelName, ConversationRef
from tests.integration.conftest import Api
from tests.integration.wechat_app import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    COMPLAINT,
    CORP_ID,
    KAT,
    NUMBER,
    TOKEN,
    AppFactory,
)
from tests.integration.wechat_app import make_app as make_app  # the fixture
from tests.integration.wechat_fake import plain_query, sealed, sha1_signature

# --------------------------------------------------------------------------- configuration and verification


async def test_channels_without_settings_are_off_and_answer_404(api: Api) -> None:
    for path in ("/wechat/callback", "/wecom/callback"):
        assert (await api.client.get(path, params={"echostr": "x"})).status == 404
        assert (await api.client.post(path, data="<xml/>")).status == 404


async def test_official_account_url_verification(make_app: AppFactory) -> None:
    app = await make_app()
    good = await app.client.get("/wechat/callback", params={**plain_query(TOKEN), "echostr": "4242"})
    assert good.status == 200 and await good.text() == "4242"
    bad = await app.client.get("/wechat/callback", params={**plain_query("other"), "echostr": "4242"})
    assert bad.status == 403
    assert (await app.client.get("/wechat/callback", params={"echostr": "4242"})).status == 403


@pytest.mark.parametrize("vector", [v for v in KAT if "verify_url" in v], ids=lambda v: v["id"])
async def test_wecom_url_verification_with_tencents_vectors(make_app: AppFactory, vector: dict[str, Any]) -> None:
    app = await make_app(wecom=(vector["token"], vector["aes_key"], vector["receive_id"]))
    url = vector["verify_url"]
    answer = await app.client.get("/wecom/callback", params=url)
    assert answer.status == 200
    assert await answer.text() == MessageCipher(vector["aes_key"], vector["receive_id"]).decrypt(url["echostr"])
    tampered = await app.client.get("/wecom/callback", params={**url, "timestamp": str(int(url["timestamp"]) + 1)})
    assert tampered.status == 403
    raw = "&".join(f"{key}={value}" for key, value in url.items())  # '+' left unescaped, as some proxies do
    unescaped = await app.client.get(URL(f"/wecom/callback?{raw}", encoded=True))
    assert unescaped.status == 200 and await unescaped.text() == await answer.text()


@pytest.mark.parametrize("vector", [v for v in KAT if "decrypt" in v], ids=lambda v: v["id"])
async def test_wecom_callbacks_of_tencents_vectors_are_taken_in(make_app: AppFactory, vector: dict[str, Any]) -> None:
    app = await make_app(wecom=(vector["token"], vector["aes_key"], vector["receive_id"]))
    sample = vector["decrypt"]
    params = {k: sample[k] for k in ("msg_signature", "timestamp", "nonce")}
    answer = await app.client.post("/wecom/callback", params=params, data=sample["xml"].encode())
    assert answer.status == 200
    inner = parse_xml(
        MessageCipher(vector["aes_key"], vector["receive_id"]).decrypt(text_of(parse_xml(sample["xml"]), "Encrypt"))
    )
    history = await app.history(text_of(inner, "FromUserName"), ChannelName.WECOM)
    assert history and history[0].text == text_of(inner, "Content")
    again = await app.client.post("/wecom/callback", params=params, data=sample["xml"].encode())
    assert again.status == 200
    assert (
        len([h for h in await app.history(text_of(inner, "FromUserName"), ChannelName.WECOM) if h.direction == "in"])
        == 1
    )


# --------------------------------------------------------------------------- passive replies


async def test_plaintext_complaint_gets_a_passive_reply_with_its_number(make_app: AppFactory) -> None:
    app = await make_app(official_aes=False)
    answer = await app.post_plain(app.message("o_plain", Content=COMPLAINT))
    assert answer.status == 200
    reply = parse_xml(await answer.text())
    assert text_of(reply, "ToUserName") == "o_plain" and text_of(reply, "FromUserName") == ACCOUNT
    [complaint] = await app.complaints()
    assert complaint.number in text_of(reply, "Content")
    assert complaint.channel == ChannelName.WECHAT and complaint.content == COMPLAINT
    await app.settle()
    assert app.fake.attempts == []


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_safe_mode_complaint_ends_in_an_encrypted_passive_reply(
    make_app: AppFactory, database: str, request: pytest.FixtureRequest
) -> None:
    url = "" if database == "sqlite" else str(request.getfixturevalue("postgres_url"))
    app = await make_app(database_url=url)
    answer = await app.post_safe(app.message("o_safe", Content=COMPLAINT))
    assert answer.status == 200
    body = await answer.text()
    assert "阿姨" not in body and "TS-" not in body
    reply = app.open_reply(body, app.official, TOKEN)
    [complaint] = await app.complaints()
    assert complaint.number in text_of(reply, "Content")
    assert text_of(reply, "ToUserName") == "o_safe"
    await app.settle()
    assert app.fake.attempts == [] and app.fake.tokens_issued == 0


async def test_compatible_mode_reads_the_encrypted_part_and_answers_encrypted(make_app: AppFactory) -> None:
    app = await make_app()
    inner = app.message("o_compat", Content=COMPLAINT)
    plain_part = "<FromUserName><![CDATA[o_compat]]></FromUserName><MsgType><![CDATA[text]]></MsgType>"
    query, body = sealed(TOKEN, app.official, inner, APP_ID, compatible=plain_part)
    answer = await app.client.post("/wechat/callback", params=query, data=body)
    assert answer.status == 200
    reply = app.open_reply(await answer.text(), app.official, TOKEN)
    [complaint] = await app.complaints()
    assert complaint.number in text_of(reply, "Content")


async def test_wecom_complaint_ends_in_an_encrypted_passive_reply(make_app: AppFactory) -> None:
    app = await make_app()
    answer = await app.post_wecom(app.message("zhangsan", Content=COMPLAINT, AgentID="1000002"))
    assert answer.status == 200
    reply = app.open_reply(await answer.text(), app.work, TOKEN)
    [complaint] = await app.complaints()
    assert complaint.channel == ChannelName.WECOM and complaint.number in text_of(reply, "Content")


async def test_a_retried_message_makes_one_complaint(make_app: AppFactory) -> None:
    app = await make_app()
    body = app.message("o_retry", Content=COMPLAINT)
    first, second = await asyncio.gather(app.post_safe(body), app.post_safe(body))
    assert first.status == second.status == 200
    assert len(await app.complaints()) == 1
    await app.settle()
    assert app.fake.attempts == []


# --------------------------------------------------------------------------- the customer-service API


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_slow_pipeline_answers_success_and_replies_once_through_the_api(
    make_app: AppFactory, database: str, request: pytest.FixtureRequest
) -> None:
    url = "" if database == "sqlite" else str(request.getfixturevalue("postgres_url"))
    app = await make_app(budget_ms=0, database_url=url)
    answer = await app.post_safe(app.message("o_slow", Content=COMPLAINT))
    assert answer.status == 200 and await answer.text() == "success"
    assert len(await app.complaints()) == 1  # durable before the platform got its answer
    sent = await app.fake.wait_sent(2)
    await app.settle()
    [complaint] = await app.complaints()
    assert len(app.fake.sent) == 2 and all(s.to == "o_slow" for s in sent)
    assert all(s.path == "/cgi-bin/message/custom/send" for s in sent)
    assert sum(complaint.number in s.content for s in sent) == 1
    assert app.fake.tokens_issued == 1


@pytest.mark.postgres
async def test_two_processes_on_postgres_and_redis_share_one_token_and_reply_once_each(
    make_app: AppFactory, postgres_url: str, redis_client: Any, redis_prefix: str
) -> None:
    from tests.conftest import _redis_url

    shared = {"database_url": postgres_url, "redis": (_redis_url(), redis_prefix), "budget_ms": 0}
    first = await make_app(**shared)
    second = await make_app(**shared, fake=first.fake)
    second.next_id = 5000  # message ids are unique per account: the two processes see different messages
    users = [f"o_proc_{i}" for i in range(6)]
    for index, user in enumerate(users):
        app = (first, second)[index % 2]
        assert await (await app.post_safe(app.message(user, Content=COMPLAINT))).text() == "success"
    await first.fake.wait_sent(2 * len(users))
    await first.settle()
    await second.settle()
    complaints = await first.complaints()
    assert len(complaints) == len(users) and first.fake.tokens_issued == 1
    for complaint in complaints:
        assert sum(complaint.number in s.content for s in first.fake.sent) == 1
    assert await redis_client.exists(f"{redis_prefix}state:wechat-token:mp:{APP_ID}")


async def test_a_5xx_from_the_api_is_retried_and_the_reply_goes_out_once(make_app: AppFactory) -> None:
    app = await make_app(budget_ms=0, official_aes=False)
    app.fake.script = [502]
    await app.post_plain(app.message("o_5xx", Content=COMPLAINT))
    await app.fake.wait_sent(2)
    await app.settle()
    contents = [s.content for s in app.fake.sent]
    assert len(contents) == len(set(contents)) == 2
    assert len(app.fake.attempts) == 3
    [complaint] = await app.complaints()
    assert not complaint.callback_needed


async def test_outside_the_48_hour_window_the_complaint_is_flagged_for_a_call_back(make_app: AppFactory) -> None:
    app = await make_app(budget_ms=0, official_aes=False)
    app.fake.script = [{"errcode": 45015, "errmsg": "response out of time limit"}] * 2
    await app.post_plain(app.message("o_late", Content=COMPLAINT))
    await app.settle()
    [complaint] = await app.complaints()
    assert complaint.callback_needed
    assert len(app.fake.attempts) == 2 and app.fake.sent == []
    async with app.runtime.store.transaction() as tx:
        events = await tx.audit.for_complaint(complaint.number)
    assert any(e.action == "reply.undeliverable" for e in events)


async def test_a_refused_token_is_refreshed_once_and_the_reply_delivered(make_app: AppFactory) -> None:
    app = await make_app(budget_ms=0, official_aes=False)
    await app.post_plain(app.message("o_token", Content=COMPLAINT))
    await app.fake.wait_sent(2)
    await app.settle()
    assert app.fake.tokens_issued == 1
    app.fake.revoke_tokens()
    await app.post_plain(app.message("o_token", Content="还有，阿姨把拖把也弄坏了"))
    await app.fake.wait_sent(3)
    await app.settle()
    assert app.fake.tokens_issued == 2
    assert app.fake.sent[-1].token == "TOKEN-2"
    assert [a.token for a in app.fake.attempts[-2:]] == ["TOKEN-1", "TOKEN-2"]


async def test_wecom_replies_go_through_the_app_message_api(make_app: AppFactory) -> None:
    app = await make_app(budget_ms=0)
    answer = await app.post_wecom(app.message("lisi", Content=COMPLAINT, AgentID="1000002"))
    assert await answer.text() == "success"
    sent = await app.fake.wait_sent(2)
    assert {s.path for s in sent} == {"/cgi-bin/message/send"}
    assert all(s.to == "lisi" and s.body["agentid"] == "1000002" for s in sent)


# --------------------------------------------------------------------------- kinds and events


async def test_events_and_kinds_take_the_right_path(make_app: AppFactory) -> None:
    app = await make_app(official_aes=False)
    user = "o_kinds"

    async def say(msg_type: str = "text", **fields: str) -> str:
        answer = await app.post_plain(app.message(user, msg_type, **fields))
        assert answer.status == 200
        text = await answer.text()
        return text_of(parse_xml(text), "Content") if text.startswith("<xml>") else text

    assert "欢迎" in await say("event", Event="subscribe", EventKey="qrscene_1")
    assert "描述" in await say("event", Event="CLICK", EventKey="我要投诉")
    assert "没有查到" in await say("event", Event="CLICK", EventKey="查询进度")
    assert "文字" in await say("voice", MediaId="voice-1", Format="amr")
    assert await say("event", Event="VIEW", EventKey="http://example.com") == "success"
    assert await say("notsure") == "success"
    reply = await say("voice", MediaId="voice-2", Format="amr", Recognition=COMPLAINT)
    [complaint] = await app.complaints()
    assert complaint.number in reply and complaint.content == COMPLAINT
    await say("image", PicUrl="http://mmbiz.example/pic", MediaId="image-1")
    await say("location", Location_X="23.13", Location_Y="113.26", Scale="20", Label="广州市天河区")
    full = await app.complaint(complaint.number)
    media = [m for entry in full.transcript for m in entry.media]
    assert ("image", "image-1") in [(m.kind, m.ref) for m in media]
    assert any(m.kind == "location" and m.caption == "广州市天河区" for m in media)
    assert complaint.number in await say("event", Event="CLICK", EventKey="查询进度")
    await say("event", Event="unsubscribe")
    customer = await app.customer(user)
    assert customer is not None and not customer.reachable


async def test_numbered_options_go_out_and_a_bare_number_comes_back_as_the_payload(make_app: AppFactory) -> None:
    from intake.records import OutboundMessage, QuickReply, Reply

    app = await make_app(budget_ms=0, official_aes=False)
    channel: Any = app.runtime.channels["wechat"]
    reply = Reply("请为这次处理打分", (QuickReply("1分 很不满意", "rate:1"), QuickReply("5分 非常满意", "rate:5")))
    await channel.send(OutboundMessage("r-1", ConversationRef(ChannelName.WECHAT, "o_opts"), reply, None))
    [sent] = app.fake.sent
    assert "回复 1：1分 很不满意" in sent.content and "回复 2：5分 非常满意" in sent.content
    await app.post_plain(app.message("o_opts", Content=" 2 "))
    thanks = (await app.fake.wait_sent(2))[1]
    assert thanks.to == "o_opts" and "5 分" in thanks.content  # the pipeline saw "rate:5", not "2"


async def test_a_long_reply_is_split_at_2048_bytes_and_each_piece_sent_once(make_app: AppFactory) -> None:
    from intake.records import OutboundMessage, Reply

    app = await make_app(budget_ms=0)
    channel: Any = app.runtime.channels["wechat"]
    text = "您好，您的投诉我们已经收到，负责同事会尽快与您联系。" * 60
    app.fake.script = [{"errcode": -1, "errmsg": "system busy"}]
    message = OutboundMessage("r-long", ConversationRef(ChannelName.WECHAT, "o_long"), Reply(text), None)
    with pytest.raises(Exception, match="errcode -1"):
        await channel.send(message)
    await channel.send(message)
    pieces = [s.content for s in app.fake.sent]
    assert len(pieces) >= 2 and all(len(p.encode()) <= 2048 for p in pieces)
    assert "".join(pieces) == text


async def test_a_large_body_arriving_in_pieces_is_read_whole(make_app: AppFactory) -> None:
    app = await make_app(official_aes=False)
    detail = "阿姨把客厅的地板划伤了，还打碎了一个花瓶，要求赔偿。" * 300
    body = app.message("o_chunks", Content=detail).encode()
    assert 20_000 < len(body) < 64 * 1024

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]
            await asyncio.sleep(0.01)

    answer = await app.client.post("/wechat/callback", params=plain_query(TOKEN), data=pieces())
    assert answer.status == 200
    [complaint] = await app.complaints()
    assert complaint.content == detail


# --------------------------------------------------------------------------- bad input


async def test_bad_or_missing_plaintext_signatures_are_403_and_store_nothing(make_app: AppFactory) -> None:
    app = await make_app(official_aes=False)
    body = app.message("o_forged", Content=COMPLAINT)
    denied = await app.post_plain(body, plain_query("not-the-token"))
    assert denied.status == 403 and (await denied.json())["error"]["code"] == "error.bad_signature"
    assert (await app.client.post("/wechat/callback", data=body)).status == 403
    assert (await app.post_plain(body, {**plain_query(TOKEN), "signature": "0" * 40})).status == 403
    assert await app.complaints() == []
    assert await app.customer("o_forged") is None and await app.history("o_forged") == []


async def test_bad_or_missing_msg_signatures_are_403_and_store_nothing(make_app: AppFactory) -> None:
    app = await make_app()
    body = app.message("o_forged", Content=COMPLAINT)
    query, sealed_body = sealed(TOKEN, app.official, body, APP_ID)
    forged = {**query, "msg_signature": sha1_signature("x", "y", "z")}
    assert (await app.client.post("/wechat/callback", params=forged, data=sealed_body)).status == 403
    no_sig = {k: v for k, v in query.items() if k != "msg_signature"}
    assert (await app.client.post("/wechat/callback", params=no_sig, data=sealed_body)).status == 403
    bad_plain_sig = {**query, "signature": "0" * 40}
    assert (await app.client.post("/wechat/callback", params=bad_plain_sig, data=sealed_body)).status == 403
    other_key = MessageCipher(AES_KEY[::-1], APP_ID)
    query, foreign = sealed(TOKEN, other_key, body, APP_ID)
    assert (await app.client.post("/wechat/callback", params=query, data=foreign)).status == 400
    query, work_body = sealed(TOKEN, app.work, app.message("zhaoliu", Content=COMPLAINT), CORP_ID)
    work_forged = {**query, "msg_signature": "0" * 40}
    assert (await app.client.post("/wecom/callback", params=work_forged, data=work_body)).status == 403
    assert await app.complaints() == []
    assert await app.customer("o_forged") is None and await app.history("o_forged") == []
    assert await app.customer("zhaoliu", ChannelName.WECOM) is None


async def test_with_an_aes_key_a_plaintext_callback_is_refused_even_when_signed(make_app: AppFactory) -> None:
    app = await make_app()
    answer = await app.post_plain(app.message("o_downgrade", Content=COMPLAINT))
    assert answer.status == 403 and (await answer.json())["error"]["code"] == "error.plaintext_refused"
    assert await app.complaints() == [] and await app.customer("o_downgrade") is None


XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o_bomb</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&e;</Content><MsgId>10</MsgId></xml>"
)
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o_bomb</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&d;</Content><MsgId>9</MsgId></xml>"
)


@pytest.mark.parametrize("mode", ["plaintext", "safe"])
async def test_broken_xml_bombs_and_oversized_bodies_are_4xx_and_the_server_keeps_serving(
    make_app: AppFactory, mode: str
) -> None:
    app = await make_app(official_aes=mode == "safe")
    post = app.post_plain if mode == "plaintext" else app.post_safe
    broken = await post("<xml><MsgType>text</MsgType><Content>阿姨")
    assert broken.status == 400 and (await broken.json())["error"]["code"] == "error.invalid_xml"
    assert (await post(BOMB)).status == 400
    assert (await post(XXE)).status == 400
    if mode == "safe":
        query, _ = sealed(TOKEN, app.official, app.message("o_bomb", Content="x"), APP_ID)
        envelope_bomb = BOMB.replace("<xml>", "<xml><Encrypt>x</Encrypt>", 1)
        assert (await app.client.post("/wechat/callback", params=query, data=envelope_bomb)).status == 400
        assert (await app.post_wecom(BOMB)).status == 400
    huge = app.message("o_bomb", Content="投诉" * 40_000)
    too_large = await post(huge)
    assert too_large.status == 413 and (await too_large.json())["error"]["code"] == "error.body_too_large"
    garbage = await app.client.post("/wechat/callback", params=plain_query(TOKEN), data=b"\xff\xfe\x00garbage")
    assert garbage.status == (400 if mode == "plaintext" else 403)
    assert await app.complaints() == [] and await app.customer("o_bomb") is None
    ok = await post(app.message("o_after", Content=COMPLAINT))
    assert ok.status == 200
    content = await ok.text()
    if mode == "safe":
        content = text_of(app.open_reply(content, app.official, TOKEN), "Content")
    assert NUMBER.search(content)

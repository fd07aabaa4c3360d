"""Every published callback XML (wechatpy's and WeCom's test payloads) posted to the callbacks.

Each gets a 2xx and never a 5xx; text messages make or extend a complaint. The samples
share placeholder message ids, so the first round gives each its own `MsgId` (the
platform's ids are unique); the second round posts them unchanged, where dedupe answers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aiohttp import ClientResponse

from bots.wechat_parse import parse_xml, text_of
from intake.records import ChannelName
from tests.integration.wechat_app import APP_ID, CORP_ID, TOKEN, AppFactory, WeChatApp
from tests.integration.wechat_app import make_app as make_app  # the fixture
from tests.integration.wechat_fake import plain_query, sealed

SAMPLES = Path(__file__).parents[1] / "fixtures" / "wechat_xml_samples"
MSG_ID = re.compile(r"<MsgId>\s*(?:<!\[CDATA\[)?\d+(?:\]\]>)?\s*</MsgId>")


def sample_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.xml"))


async def post(app: WeChatApp, path: Path, body: str, mode: str) -> ClientResponse:
    if path.name.startswith("work__"):
        query, sealed_body = sealed(TOKEN, app.work, body, CORP_ID)
        del query["signature"], query["encrypt_type"]
        return await app.client.post("/wecom/callback", params=query, data=sealed_body.encode())
    if mode == "safe":
        query, sealed_body = sealed(TOKEN, app.official, body, APP_ID)
        return await app.client.post("/wechat/callback", params=query, data=sealed_body.encode())
    return await app.client.post("/wechat/callback", params=plain_query(TOKEN), data=body.encode())


def test_the_fixture_holds_every_sample_named_in_the_index() -> None:
    index = json.loads((SAMPLES / "INDEX.json").read_text(encoding="utf-8"))
    assert len(index) == len(sample_files()) == 74
    assert {entry["file"] for entry in index} == {path.name for path in sample_files()}


@pytest.mark.parametrize("mode", ["plaintext", "safe"])
async def test_every_sample_is_accepted_or_politely_ignored_and_text_makes_complaints(
    make_app: AppFactory, mode: str
) -> None:
    app = await make_app(official_aes=mode == "safe")
    statuses: dict[str, int] = {}
    for number, path in enumerate(sample_files(), start=1):
        body = MSG_ID.sub(f"<MsgId>{9_000_000 + number}</MsgId>", path.read_text(encoding="utf-8"))
        answer = await post(app, path, body, mode)
        statuses[path.name] = answer.status
        text = await answer.text()
        assert text == "success" or "<xml>" in text, (path.name, text)
    assert all(200 <= status < 300 for status in statuses.values()), statuses
    texts = [p for p in sample_files() if text_of(parse_xml(p.read_bytes()), "MsgType") == "text"]
    assert len(texts) == 2
    complaints = await app.complaints()
    for path in texts:
        fields = parse_xml(path.read_bytes())
        channel = ChannelName.WECOM if path.name.startswith("work__") else ChannelName.WECHAT
        history = await app.history(text_of(fields, "FromUserName"), channel)
        assert any(entry.text == text_of(fields, "Content") for entry in history), path.name
        mine = [
            c for c in complaints if c.channel == channel and c.conversation.address == text_of(fields, "FromUserName")
        ]
        assert mine, path.name
        full = await app.complaint(mine[0].number)
        assert any(entry.text == text_of(fields, "Content") for entry in full.transcript), path.name
    for path in sample_files():
        answer = await post(app, path, path.read_text(encoding="utf-8"), mode)
        assert 200 <= answer.status < 300, (path.name, answer.status)

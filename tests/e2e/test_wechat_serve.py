"""End to end: `tousu serve` configured from TOUSU_WECHAT_* variables answers a safe-mode callback."""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.error
import urllib.parse
import urllib.request

from bots.wechat_crypto import MessageCipher
from bots.wechat_parse import parse_xml, text_of
from tests.e2e.conftest import Server

TOKEN = "e2eToken"
APP_ID = "wxe2e0000000000001"
AES_KEY = base64.b64encode(bytes(range(100, 132))).decode()[:-1]


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - the protocol's hash


def request(
    server: Server, method: str, path: str, query: dict[str, str], body: bytes | None = None
) -> tuple[int, str]:
    url = f"{server.url}{path}?{urllib.parse.urlencode(query)}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method), timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_serve_answers_a_safe_mode_complaint_with_an_encrypted_passive_reply(server: Server) -> None:
    server.env = {
        "TOUSU_WECHAT_TOKEN": TOKEN,
        "TOUSU_WECHAT_APP_ID": APP_ID,
        "TOUSU_WECHAT_APP_SECRET": "e2e-secret",
        "TOUSU_WECHAT_AES_KEY": AES_KEY,
        "TOUSU_WECHAT_API_BASE": "http://127.0.0.1:9/cgi-bin/",
        "TOUSU_WECHAT_REPLY_BUDGET_MS": "30000",
    }
    server.start()
    timestamp, nonce = "1700000000", "8080"
    status, echo = request(
        server,
        "GET",
        "/wechat/callback",
        {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": "1234567890"},
    )
    assert (status, echo) == (200, "1234567890")
    cipher = MessageCipher(AES_KEY, APP_ID)
    inner = (
        "<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><FromUserName><![CDATA[o_e2e]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[阿姨打扫完把我家的花瓶打碎了，要求赔偿]]></Content><MsgId>777</MsgId></xml>"
    )
    encrypt = cipher.encrypt(inner)
    query = {
        "signature": sign(TOKEN, timestamp, nonce),
        "msg_signature": sign(TOKEN, timestamp, nonce, encrypt),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "openid": "o_e2e",
    }
    body = f"<xml><ToUserName><![CDATA[{APP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    status, answer = request(server, "POST", "/wechat/callback", query, body.encode())
    assert status == 200
    envelope = parse_xml(answer)
    assert text_of(envelope, "MsgSignature") == sign(
        TOKEN, text_of(envelope, "TimeStamp"), nonce, text_of(envelope, "Encrypt")
    )
    reply = parse_xml(cipher.decrypt(text_of(envelope, "Encrypt")))
    assert re.search(r"TS-\d{8}-\d{6}", text_of(reply, "Content"))
    assert request(server, "POST", "/wecom/callback", {}, b"<xml/>")[0] == 404


def test_a_half_configured_channel_stops_serve_with_one_clear_line(server: Server) -> None:
    server.env = {"TOUSU_WECOM_TOKEN": "t", "TOUSU_WECOM_CORP_ID": "ww1"}
    result = server.cli("serve", "--port", "0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "TOUSU_WECOM_AES_KEY" in result.stderr

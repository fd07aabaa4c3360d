"""The safe XML parser and the mapping of every callback kind to an `InboundMessage`."""

from __future__ import annotations

import pytest

from bots.wechat_parse import XmlError, cdata, external_id, parse_xml, text_reply_xml, to_inbound
from intake.records import ChannelName, MessageKind

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><Content>&lol3;</Content></xml>"""
XXE = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>"""
PARAM = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]><xml/>"""
DOCTYPE_ONLY = """<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>"""


def xml(**fields: str) -> str:
    return "<xml>" + "".join(f"<{k}>{cdata(v)}</{k}>" for k, v in fields.items()) + "</xml>"


@pytest.mark.parametrize("body", [BOMB, XXE, PARAM, DOCTYPE_ONLY], ids=["bomb", "xxe", "param", "doctype"])
def test_any_dtd_is_refused(body: str) -> None:
    with pytest.raises(XmlError, match="DTD"):
        parse_xml(body)


@pytest.mark.parametrize(
    "body", ["", "<xml>", "<xml><a></b></xml>", "not xml at all", "<xml>&undefined;</xml>", b"\xff\xfe<xml/>"]
)
def test_broken_xml_is_an_xml_error(body: str | bytes) -> None:
    with pytest.raises(XmlError):
        parse_xml(body)


def test_too_deep_a_document_is_refused() -> None:
    with pytest.raises(XmlError):
        parse_xml("<a>" * 50 + "</a>" * 50)


def test_nested_fields_become_dicts_and_cdata_text_is_kept() -> None:
    fields = parse_xml(
        "<xml><Content><![CDATA[a<b>&c]]></Content><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>"
    )
    assert fields == {"Content": "a<b>&c", "ScanCodeInfo": {"ScanType": "qrcode"}}


def test_cdata_cannot_be_closed_early_by_the_content() -> None:
    reply = text_reply_xml("openid", "gh_1", "a]]><evil/>b", 1)
    assert parse_xml(reply)["Content"] == "a]]><evil/>b"


BASE = {"ToUserName": "gh_account", "FromUserName": "o_user", "CreateTime": "1700000000"}


def test_text_message() -> None:
    message = to_inbound(ChannelName.WECHAT, parse_xml(xml(**BASE, MsgType="text", Content="阿姨迟到", MsgId="42")))
    assert message is not None
    assert (message.kind, message.text, message.external_id) == (MessageKind.TEXT, "阿姨迟到", "42")
    assert message.sender.user_id == message.conversation.address == "o_user"
    assert message.conversation.extra == {"account": "gh_account"}


def test_voice_uses_recognition_and_keeps_the_media_id() -> None:
    fields = parse_xml(
        xml(**BASE, MsgType="voice", MediaId="m1", Format="amr", Recognition="阿姨把花瓶打碎了", MsgId="7")
    )
    message = to_inbound(ChannelName.WECHAT, fields)
    assert message is not None and message.kind == MessageKind.VOICE and message.text == "阿姨把花瓶打碎了"
    assert message.media[0].ref == "m1"
    silent = to_inbound(ChannelName.WECHAT, parse_xml(xml(**BASE, MsgType="voice", MediaId="m2", MsgId="8")))
    assert silent is not None and silent.text == ""


def test_image_location_link_keep_their_references() -> None:
    image = to_inbound(
        ChannelName.WECOM,
        parse_xml(xml(**BASE, MsgType="image", PicUrl="http://p", MediaId="mid", MsgId="1", AgentID="5")),
    )
    assert image is not None and image.kind == MessageKind.IMAGE and image.media[0].ref == "mid"
    assert image.conversation.extra["agent_id"] == "5"
    place = parse_xml(
        xml(**BASE, MsgType="location", Location_X="23.1", Location_Y="113.3", Scale="20", Label="广州", MsgId="2")
    )
    location = to_inbound(ChannelName.WECHAT, place)
    assert location is not None and location.kind == MessageKind.LOCATION
    assert (location.media[0].ref, location.media[0].caption) == ("23.1,113.3", "广州")
    link = to_inbound(ChannelName.WECHAT, parse_xml(xml(**BASE, MsgType="link", Title="t", Url="http://u", MsgId="3")))
    assert link is not None and link.kind == MessageKind.LINK and link.media[0].ref == "http://u"


def test_events_subscribe_unsubscribe_click_and_their_keys() -> None:
    subscribe = to_inbound(ChannelName.WECHAT, parse_xml(xml(**BASE, MsgType="event", Event="subscribe")))
    assert subscribe is not None and subscribe.event == "subscribe"
    assert subscribe.external_id == "o_user:1700000000:subscribe"
    click = to_inbound(ChannelName.WECHAT, parse_xml(xml(**BASE, MsgType="event", Event="CLICK", EventKey="我要投诉")))
    assert click is not None and click.event == "click" and click.text == "我要投诉"
    assert (
        to_inbound(ChannelName.WECHAT, parse_xml(xml(**BASE, MsgType="event", Event="VIEW", EventKey="http://x")))
        is None
    )


def test_unknown_kinds_and_incomplete_messages_are_ignored() -> None:
    assert to_inbound(ChannelName.WECHAT, parse_xml(xml(**BASE, MsgType="notsure", MsgId="1"))) is None
    assert to_inbound(ChannelName.WECHAT, parse_xml(xml(MsgType="text", Content="x", MsgId="1"))) is None
    assert external_id({"FromUserName": "u"}) is None

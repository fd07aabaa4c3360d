"""Tencent's published callback vectors verify, decrypt and encrypt through the channel's crypto."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bots.wechat_crypto import CryptoError, MessageCipher, check_signature, decode_aes_key, signature
from bots.wechat_parse import parse_xml, text_of

KAT_FILE = Path(__file__).parents[2] / "fixtures" / "wechat_kat.json"
VECTORS: list[dict[str, Any]] = json.loads(KAT_FILE.read_text(encoding="utf-8"))


def by_part(part: str) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in VECTORS if part in v]


def test_the_fixture_holds_all_five_vectors() -> None:
    assert len(VECTORS) == 5
    assert sum("verify_url" in v for v in VECTORS) == 3
    assert sum("encrypt" in v for v in VECTORS) == 3


@pytest.mark.parametrize("vector", by_part("verify_url"))
def test_verify_url_signature_checks_and_echostr_decrypts(vector: dict[str, Any]) -> None:
    url = vector["verify_url"]
    token = vector["token"]
    assert check_signature(url["msg_signature"], token, url["timestamp"], url["nonce"], url["echostr"])
    assert not check_signature(
        url["msg_signature"], token, url["timestamp"], str(int(url["nonce"]) + 1), url["echostr"]
    )
    assert not check_signature(url["msg_signature"], "wrong" + token, url["timestamp"], url["nonce"], url["echostr"])
    echo = MessageCipher(vector["aes_key"], vector["receive_id"]).decrypt(url["echostr"])
    assert re.fullmatch(r"\d{10,20}", echo)


@pytest.mark.parametrize("vector", by_part("decrypt"))
def test_callback_signature_checks_and_message_decrypts(vector: dict[str, Any]) -> None:
    sample = vector["decrypt"]
    envelope = parse_xml(sample["xml"])
    encrypt = text_of(envelope, "Encrypt")
    assert check_signature(sample["msg_signature"], vector["token"], sample["timestamp"], sample["nonce"], encrypt)
    assert not check_signature(
        sample["msg_signature"], vector["token"], sample["timestamp"], sample["nonce"], encrypt[:-4] + "AAA="
    )
    message = parse_xml(MessageCipher(vector["aes_key"], vector["receive_id"]).decrypt(encrypt))
    assert text_of(message, "ToUserName") == vector["receive_id"]
    assert text_of(message, "MsgType") == "text"
    assert text_of(message, "Content")
    assert text_of(message, "AgentID") == text_of(envelope, "AgentID")


@pytest.mark.parametrize("vector", by_part("encrypt"))
def test_encryption_gives_the_published_value(vector: dict[str, Any]) -> None:
    spec = vector["encrypt"]
    cipher = MessageCipher(vector["aes_key"], vector["receive_id"])
    encrypted = cipher.encrypt(spec["plaintext"], spec["random"].encode("ascii"))
    assert encrypted == spec["expected_encrypt"]
    assert cipher.decrypt(encrypted) == spec["plaintext"]
    if "expected_msg_signature" in spec:
        assert signature(vector["token"], spec["timestamp"], spec["nonce"], encrypted) == spec["expected_msg_signature"]


def test_a_message_for_another_app_id_is_refused() -> None:
    vector = next(v for v in VECTORS if "decrypt" in v)
    encrypt = text_of(parse_xml(vector["decrypt"]["xml"]), "Encrypt")
    with pytest.raises(CryptoError, match="another app id"):
        MessageCipher(vector["aes_key"], "wx0000000000000000").decrypt(encrypt)


@pytest.mark.parametrize("broken", ["", "not base64!", "QUJD", "A" * 44])
def test_broken_ciphertext_is_a_crypto_error(broken: str) -> None:
    vector = VECTORS[0]
    with pytest.raises(CryptoError):
        MessageCipher(vector["aes_key"], vector["receive_id"]).decrypt(broken)


def test_a_random_prefix_makes_each_encryption_different_and_round_trips() -> None:
    cipher = MessageCipher("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6")
    first, second = cipher.encrypt("投诉 TS-20260101-000001"), cipher.encrypt("投诉 TS-20260101-000001")
    assert first != second
    assert cipher.decrypt(first) == cipher.decrypt(second) == "投诉 TS-20260101-000001"


@pytest.mark.parametrize("key", ["short", "a" * 44, "!" * 43])
def test_bad_encoding_aes_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        decode_aes_key(key)


def test_missing_parts_never_verify() -> None:
    good = signature("t", "1", "2")
    assert check_signature(good, "t", "1", "2")
    assert not check_signature(None, "t", "1", "2")
    assert not check_signature(good, "t", None, "2")
    assert not check_signature(good, "t", "1", None)
    assert not check_signature("ü" * 40, "t", "1", "2")

"""Field encryption, keyed phone hashes and the master key's loading."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from intake.errors import ConfigError, InvalidInput
from storage.crypto import DecryptionError, FieldCipher, load_or_create_key, normalize_phone


def test_round_trip_and_fresh_nonce(cipher: FieldCipher) -> None:
    for text in ["", "张三 13812345678", "北京市朝阳区 🏠" * 50]:
        first, second = cipher.encrypt(text), cipher.encrypt(text)
        assert first != second
        assert cipher.decrypt(first) == text == cipher.decrypt(second)


def test_token_layout(cipher: FieldCipher) -> None:
    raw = base64.urlsafe_b64decode(cipher.encrypt("abc"))
    assert raw[0] == 1
    assert len(raw) == 1 + 12 + 3 + 16


def test_json_and_optional(cipher: FieldCipher) -> None:
    value = {"replies": [{"text": "您好"}], "n": 3}
    assert cipher.decrypt_json(cipher.encrypt_json(value)) == value
    assert cipher.encrypt_optional(None) is None and cipher.decrypt_optional(None) is None


def test_tampering_is_detected(cipher: FieldCipher) -> None:
    raw = bytearray(base64.urlsafe_b64decode(cipher.encrypt("13812345678")))
    raw[-1] ^= 0x01
    with pytest.raises(DecryptionError):
        cipher.decrypt(base64.urlsafe_b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("token", ["", "not base64 !!", base64.urlsafe_b64encode(b"\x02" + b"x" * 40).decode()])
def test_garbage_is_a_clear_error(cipher: FieldCipher, token: str) -> None:
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


def test_wrong_key_cannot_decrypt(cipher: FieldCipher) -> None:
    token = cipher.encrypt("secret")
    with pytest.raises(DecryptionError):
        FieldCipher(os.urandom(32)).decrypt(token)


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(ConfigError):
        FieldCipher(b"short")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("86 13812345678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("(010) 6552-1234", "01065521234"),
        ("8613", "8613"),
    ],
)
def test_normalize_phone(raw: str, normal: str) -> None:
    assert normalize_phone(raw) == normal


def test_phone_hash_is_keyed_and_normalised(cipher: FieldCipher) -> None:
    digest = cipher.hash_phone("13812345678")
    assert digest == cipher.hash_phone("+86 138 1234 5678") == cipher.hash_phone("138-1234-5678")
    assert digest != cipher.hash_phone("13812345679")
    assert digest != FieldCipher(os.urandom(32)).hash_phone("13812345678")
    assert len(digest) == 64 and "13812345678" not in digest
    with pytest.raises(InvalidInput):
        cipher.hash_phone("no digits")


def test_key_from_environment(tmp_path: Path, secret_key: bytes, secret_key_text: str) -> None:
    assert load_or_create_key(tmp_path, secret_key_text) == secret_key
    assert load_or_create_key(tmp_path, secret_key_text.rstrip("=")) == secret_key
    assert not (tmp_path / "secret.key").exists()


@pytest.mark.parametrize("bad", ["###", base64.urlsafe_b64encode(b"too short").decode()])
def test_malformed_environment_key(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="TOUSU_SECRET_KEY"):
        load_or_create_key(tmp_path, bad)


def test_key_file_created_once_with_mode_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = load_or_create_key(data_dir, None)
    path = data_dir / "secret.key"
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(data_dir, "") == key
    assert [p.name for p in data_dir.iterdir()] == ["secret.key"]


def test_malformed_key_file(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("garbage\n")
    with pytest.raises(ConfigError, match=r"secret\.key"):
        load_or_create_key(tmp_path, None)

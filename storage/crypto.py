"""Encryption at rest of personal data, and keyed hashes for look-ups.

`FieldCipher` seals one text field with AES-256-GCM; the token is URL-safe base64 of
version byte + 12-byte random nonce + ciphertext (with its 16-byte tag). Two subkeys are
derived from the master key with HKDF-SHA256: one for encryption, one for the keyed
hashes (HMAC-SHA256) that let the store find a customer by phone without keeping the
phone in clear.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from intake.errors import ConfigError, InvalidInput, TousuError

KEY_BYTES = 32
KEY_FILE_NAME = "secret.key"
_VERSION = 1
_NONCE_BYTES = 12
_NON_DIGITS = re.compile(r"\D+")


class DecryptionError(TousuError):
    """A stored value cannot be decrypted: wrong key, or the value was tampered with."""

    code = "error.decryption"


def _subkey(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"tousu/" + purpose).derive(master)


def normalize_phone(phone: str) -> str:
    """Digits only, without the +86 / 0086 country prefix of a Chinese mobile number."""
    digits = _NON_DIGITS.sub("", phone)
    if len(digits) == 15 and digits.startswith("00861"):
        return digits[4:]
    if len(digits) == 13 and digits.startswith("861"):
        return digits[2:]
    return digits


class FieldCipher:
    """Encrypts and decrypts text fields; hashes phone numbers and other look-up keys."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigError(f"the secret key must be {KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(_subkey(key, b"field-encryption/v1"))
        self._hash_key = _subkey(key, b"lookup-hash/v1")

    def encrypt(self, plaintext: str) -> str:
        """Seal `plaintext`; every call gives a different token (random nonce)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return base64.urlsafe_b64encode(bytes([_VERSION]) + nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Open a token made by `encrypt`; `DecryptionError` if it was altered or the key differs."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise DecryptionError("stored value is not a valid token") from exc
        if len(raw) < 1 + _NONCE_BYTES + 16 or raw[0] != _VERSION:
            raise DecryptionError("stored value has an unknown format")
        nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, None).decode("utf-8")
        except InvalidTag as exc:
            raise DecryptionError("stored value fails authentication (wrong key or tampered)") from exc

    def encrypt_optional(self, plaintext: str | None) -> str | None:
        """`encrypt`, passing None through."""
        return None if plaintext is None else self.encrypt(plaintext)

    def decrypt_optional(self, token: str | None) -> str | None:
        """`decrypt`, passing None through."""
        return None if token is None else self.decrypt(token)

    def encrypt_json(self, value: Any) -> str:
        """Seal a JSON-serialisable value."""
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        """Open a value sealed by `encrypt_json`."""
        return json.loads(self.decrypt(token))

    def hash_phone(self, phone: str) -> str:
        """Keyed hash (hex HMAC-SHA256) of the normalised phone; equal for +86 138… and 138…."""
        digits = normalize_phone(phone)
        if not digits:
            raise InvalidInput("a phone number needs digits", field="phone")
        return self.hash_value("phone:" + digits)

    def hash_value(self, value: str) -> str:
        """Keyed hash (hex HMAC-SHA256) of any look-up value (API tokens, for instance)."""
        return hmac.new(self._hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def decode_key(text: str, *, source: str) -> bytes:
    """Decode a URL-safe base64 key of 32 bytes; `ConfigError` naming `source` otherwise."""
    cleaned = text.strip()
    try:
        key = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{source} is not URL-safe base64") from exc
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{source} must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def generate_key_text() -> str:
    """A new random key as URL-safe base64 (the form TOUSU_SECRET_KEY takes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def load_or_create_key(data_dir: Path, env_value: str | None) -> bytes:
    """The master key: `env_value` (TOUSU_SECRET_KEY) when given, else `data_dir/secret.key`.

    The file is created (mode 0600) with a random key on first use; two processes
    starting together end up with the same key.
    """
    if env_value is not None and env_value.strip():
        return decode_key(env_value, source="TOUSU_SECRET_KEY")
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the secret key file {path}: {exc}") from exc
    return decode_key(text, source=f"the secret key file {path}")


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(generate_key_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: keep its key
            os.link(temp, path)  # atomic
    finally:
        temp.unlink(missing_ok=True)

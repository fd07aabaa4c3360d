"""WeChat / WeCom callback cryptography: signatures and the AES message envelope.

Both platforms share one scheme (Tencent's "消息加解密" sample code):

- signature: SHA-1 of the sorted concatenation of token, timestamp, nonce (and, in the
  encrypted modes, the `Encrypt` text); compared in constant time. There is no timestamp
  window on purpose: replays are harmless because of dedupe, and Tencent's own sample
  vectors (2014) must verify.
- envelope: AES-256-CBC with key = base64(EncodingAESKey + "="), IV = key[:16],
  PKCS#7 padding to 32-byte blocks, plaintext = 16 random bytes ‖ 4-byte big-endian
  length ‖ message ‖ receive id (the app id or the corp id).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CryptoError(Exception):
    """The encrypted text cannot be decrypted or is not for this receiver."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str | None = None) -> str:
    """The hex SHA-1 signature Tencent computes over the sorted parts."""
    parts = [token, timestamp, nonce] + ([encrypt] if encrypt is not None else [])
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's hash


def check_signature(
    given: str | None, token: str, timestamp: str | None, nonce: str | None, encrypt: str | None = None
) -> bool:
    """True when `given` is the signature of the parts (all of which must be present)."""
    if not given or timestamp is None or nonce is None:
        return False
    expected = signature(token, timestamp, nonce, encrypt)
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("ascii", "replace"))


def decode_aes_key(aes_key: str) -> bytes:
    """The 32-byte key of a 43-character EncodingAESKey; ValueError when it is not one."""
    if len(aes_key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("EncodingAESKey is not base64") from error
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


class MessageCipher:
    """Encrypts and decrypts the `Encrypt` text of one app (or corp) id."""

    def __init__(self, aes_key: str, receive_id: str) -> None:
        self._key = decode_aes_key(aes_key)
        self._receive_id = receive_id

    def decrypt(self, encrypted: str) -> str:
        """The message inside `encrypted`; `CryptoError` when it is broken or for someone else."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as error:
            raise CryptoError("not base64") from error
        if not data or len(data) % 16:
            raise CryptoError("not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise CryptoError("too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length:
            raise CryptoError("bad length")
        if receive_id.decode("utf-8", "replace") != self._receive_id:
            raise CryptoError("message is for another app id")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CryptoError("message is not UTF-8") from error

    def encrypt(self, message: str, random_prefix: bytes | None = None) -> str:
        """The base64 `Encrypt` text of `message` (16 random bytes unless `random_prefix` is given)."""
        prefix = random_prefix if random_prefix is not None else os.urandom(16)
        if len(prefix) != 16:
            raise ValueError("the random prefix must be 16 bytes")
        body = message.encode("utf-8")
        plain = prefix + struct.pack(">I", len(body)) + body + self._receive_id.encode("utf-8")
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

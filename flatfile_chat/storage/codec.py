"""Optional encryption at rest (AES-256-GCM), applied by the file layer so no manager knows.

Each JSON document, JSONL line and blob is sealed separately with:
- a key id (``kid``) per record, so keys can rotate while old records stay readable;
- associated data binding the record to its owner and its file path, so a ciphertext copied
  into another user's file (or another file of the same user) fails authentication;
- for JSONL lines, also a position (``seq``, the file's ``ep`` epoch and a link to the previous
  record's tag) in the envelope and in the associated data: see :mod:`.chain`.

JSON documents and JSONL lines stay valid JSON (an envelope object), so line-oriented tooling
and the "every line parses" invariant keep working on encrypted stores.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from flatfile_chat.errors import ConfigError, SecurityError

ENVELOPE_TAG = "ffenc1"
_BLOB_MAGIC = b"FFENC1\x00"
_AAD_PREFIX = b"prism-flatfile-chat/v1\x00"


class Undecryptable(SecurityError):
    """The key id is unknown or the tag does not verify: the record may be fine, the key not."""


class Codec(Protocol):
    encrypted: bool

    def seal(self, data: bytes, *, owner: str, rel_path: str) -> bytes: ...
    def open(self, data: bytes, *, owner: str, rel_path: str) -> bytes: ...
    def seal_blob(self, data: bytes, *, owner: str, rel_path: str) -> bytes: ...
    def open_blob(self, data: bytes, *, owner: str, rel_path: str) -> bytes: ...
    def ring_id(self) -> str: ...


class PlainCodec:
    """The default: bytes on disk are the plaintext."""

    encrypted = False

    def ring_id(self) -> str:
        return "plain"

    def seal(self, data: bytes, *, owner: str, rel_path: str) -> bytes:
        return data

    open = seal_blob = open_blob = seal


def _aad(owner: str, rel_path: str, chain: dict[str, Any] | None = None) -> bytes:
    aad = _AAD_PREFIX + owner.encode() + b"\x00" + rel_path.encode()
    if chain is not None:  # base64 fields and an int: no NUL inside, so unambiguous
        aad += f"\x00seq={chain['seq']}\x00ep={chain['ep']}\x00prev={chain['prev']}".encode()
    return aad


def _key_digest(key: bytes) -> str:
    """A one-way name for a key (kept only inside sealed files, see ``ring_id``)."""
    return hashlib.sha256(_AAD_PREFIX + b"key-digest\x00" + key).hexdigest()


CHAIN_FIELDS = ("seq", "ep", "prev")
TAG_BYTES = 16


class AesGcmCodec:
    """AES-GCM with a key ring: seal with the active key, open with whichever ``kid`` says."""

    encrypted = True

    def __init__(self, keys: dict[str, bytes], active_key_id: str) -> None:
        for kid, key in keys.items():
            if len(key) not in (16, 24, 32):
                raise ConfigError(
                    f"encryption key {kid!r} must be 16, 24 or 32 bytes, got {len(key)}",
                    key=f"storage.encryption.keys.{kid}",
                )
        if active_key_id not in keys:
            raise ConfigError(
                f"active encryption key {active_key_id!r} is not in the key ring {sorted(keys)}",
                key="storage.encryption.active_key_id",
            )
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self._key_digests = {kid: _key_digest(key) for kid, key in keys.items()}
        self.active_key_id = active_key_id

    def rotate(self, key_id: str, key: bytes | None = None) -> None:
        """Make ``key_id`` the key for new writes (adding it first if ``key`` is given)."""
        if key is not None:
            self._ciphers[key_id] = AESGCM(key)
            self._key_digests[key_id] = _key_digest(key)
        if key_id not in self._ciphers:
            raise ConfigError(f"unknown encryption key id {key_id!r}", key="active_key_id")
        self.active_key_id = key_id

    def ring_id(self) -> str:
        """Names the key ring (ids and keys, not which one is active): what was read with
        one ring is not known readable with another (a key removed or replaced)."""
        ring = sorted(self._key_digests.items())
        return hashlib.sha256(json.dumps(ring).encode()).hexdigest()

    def key_id_of(self, data: bytes) -> str | None:
        """The ``kid`` a sealed document/line was written with (None if plaintext)."""
        if data.startswith(_BLOB_MAGIC):
            end = data.find(b"\x00", len(_BLOB_MAGIC))
            return data[len(_BLOB_MAGIC) : end].decode(errors="replace") if end != -1 else None
        try:
            envelope = json.loads(data)
        except ValueError:
            return None
        if isinstance(envelope, dict) and envelope.get("enc") == ENVELOPE_TAG:
            kid = envelope.get("kid")
            return kid if isinstance(kid, str) else None
        return None

    def seal(self, data: bytes, *, owner: str, rel_path: str) -> bytes:
        return self.seal_record(data, owner=owner, rel_path=rel_path)[0]

    def seal_record(
        self, data: bytes, *, owner: str, rel_path: str, chain: dict[str, Any] | None = None
    ) -> tuple[bytes, bytes]:
        """The envelope (with ``chain`` fields, also bound as associated data) and its tag."""
        nonce = os.urandom(12)
        ct = self._ciphers[self.active_key_id].encrypt(nonce, data, _aad(owner, rel_path, chain))
        envelope = {
            "enc": ENVELOPE_TAG,
            "kid": self.active_key_id,
            "nonce": base64.b64encode(nonce).decode(),
            "ct": base64.b64encode(ct).decode(),
        }
        if chain is not None:
            envelope.update(chain)
        return json.dumps(envelope, separators=(",", ":")).encode(), ct[-TAG_BYTES:]

    def open(self, data: bytes, *, owner: str, rel_path: str) -> bytes:
        return self.open_record(data, owner=owner, rel_path=rel_path)[0]

    def open_record(
        self, data: bytes, *, owner: str, rel_path: str
    ) -> tuple[bytes, dict[str, Any] | None, bytes]:
        """Plaintext, the verified chain fields (None for an unchained record) and the tag.

        Raises ``SecurityError`` for something that is not an envelope (structurally broken)
        and its subclass ``Undecryptable`` for an unknown key or a tag that does not verify."""
        try:
            envelope = json.loads(data)
        except ValueError:
            raise SecurityError(
                f"{rel_path}: expected an encrypted envelope, found something that is not JSON",
                key="path",
                value=rel_path,
            ) from None
        if not isinstance(envelope, dict) or envelope.get("enc") != ENVELOPE_TAG:
            raise SecurityError(
                f"{rel_path}: plaintext found in an encrypted store", key="path", value=rel_path
            )
        chain = None
        try:
            if "seq" in envelope:
                chain = {k: envelope[k] for k in CHAIN_FIELDS}
                if type(chain["seq"]) is not int:
                    raise ValueError("seq")
            kid, nonce = envelope["kid"], base64.b64decode(envelope["nonce"])
            ct = base64.b64decode(envelope["ct"])
            if type(kid) is not str or (
                chain is not None
                and not (isinstance(chain["ep"], str) and isinstance(chain["prev"], str))
            ):
                raise TypeError("kid")
        except (KeyError, ValueError, TypeError):
            raise SecurityError(
                f"{rel_path}: envelope fields are missing or malformed", key="path", value=rel_path
            ) from None
        plain = self._decrypt(kid, nonce, ct, owner, rel_path, chain)
        return plain, chain, ct[-TAG_BYTES:]

    def seal_blob(self, data: bytes, *, owner: str, rel_path: str) -> bytes:
        nonce = os.urandom(12)
        ct = self._ciphers[self.active_key_id].encrypt(nonce, data, _aad(owner, rel_path))
        return _BLOB_MAGIC + self.active_key_id.encode() + b"\x00" + nonce + ct

    def open_blob(self, data: bytes, *, owner: str, rel_path: str) -> bytes:
        if not data.startswith(_BLOB_MAGIC):
            raise SecurityError(
                f"{rel_path}: plaintext blob in an encrypted store", key="path", value=rel_path
            )
        end = data.find(b"\x00", len(_BLOB_MAGIC))
        try:
            kid = data[len(_BLOB_MAGIC) : end].decode() if end != -1 else None
        except UnicodeDecodeError:
            kid = None
        if kid is None or len(data) < end + 13 + TAG_BYTES:
            raise SecurityError(
                f"{rel_path}: encrypted blob header is malformed", key="path", value=rel_path
            )
        nonce, ct = data[end + 1 : end + 13], data[end + 13 :]
        return self._decrypt(kid, nonce, ct, owner, rel_path)

    def _decrypt(
        self,
        kid: str,
        nonce: bytes,
        ct: bytes,
        owner: str,
        rel_path: str,
        chain: dict[str, Any] | None = None,
    ) -> bytes:
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise Undecryptable(
                f"{rel_path}: sealed with unknown key id {kid!r}", key="kid", value=kid
            )
        try:
            return cipher.decrypt(nonce, ct, _aad(owner, rel_path, chain))
        except InvalidTag:
            raise Undecryptable(
                f"{rel_path}: authentication failed with key {kid!r} "
                "(wrong key, tampered, or moved from another file or owner)",
                key="kid",
                value=kid,
            ) from None

"""Turn the encryption config (key references) into a codec."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import TYPE_CHECKING

from flatfile_chat.errors import ConfigError
from flatfile_chat.storage.codec import AesGcmCodec, Codec, PlainCodec
from flatfile_chat.storage.names import UserFolderNames

if TYPE_CHECKING:  # config sits above storage (import-linter layers in pyproject.toml)
    from flatfile_chat.config.storage import FFEncryptionConfigDTO


def resolve_key(reference: str, *, name: str) -> bytes:
    """``env:VAR``, ``file:/path`` or ``base64:...`` → raw key bytes (base64 decoded)."""
    scheme, _, rest = reference.partition(":")
    if scheme == "env":
        encoded = os.environ.get(rest)
        if encoded is None:
            raise ConfigError(f"{name}: environment variable {rest!r} is not set", key=name)
    elif scheme == "file":
        try:
            encoded = Path(rest).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read key file {rest!r}: {exc}", key=name) from None
    elif scheme == "base64":
        encoded = rest
    else:
        raise ConfigError(
            f"{name}: key reference must start with env:, file: or base64:, got {scheme!r}",
            key=name,
        )
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name}: key is not valid base64", key=name) from None


def codec_from_config(config: FFEncryptionConfigDTO) -> Codec:
    if not config.enabled:
        return PlainCodec()
    if not config.keys:
        raise ConfigError(
            "storage.encryption.enabled is true but no keys are configured",
            key="storage.encryption.keys",
        )
    keys = {
        kid: resolve_key(ref, name=f"storage.encryption.keys.{kid}")
        for kid, ref in config.keys.items()
    }
    return AesGcmCodec(keys, config.active_key_id or next(iter(keys)))


def user_names_from_config(config: FFEncryptionConfigDTO) -> UserFolderNames | None:
    """Keyed pseudonymous user folders when ``names_key`` is set (encryption must be on:
    pseudonyms over plaintext files would hide nothing the files do not say)."""
    if not config.names_key:
        return None
    if not config.enabled:
        raise ConfigError(
            "storage.encryption.names_key needs storage.encryption.enabled",
            key="storage.encryption.names_key",
        )
    key = resolve_key(config.names_key, name="storage.encryption.names_key")
    if len(key) < 16:
        raise ConfigError(
            f"storage.encryption.names_key must be at least 16 bytes, got {len(key)}",
            key="storage.encryption.names_key",
        )
    return UserFolderNames(key)

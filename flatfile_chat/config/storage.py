"""Base storage settings (upstream ``FFStorageConfigDTO`` / ``StorageConfig`` knobs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from flatfile_chat.config.base import ConfigSection
from flatfile_chat.storage.durability import Durability


class FFEncryptionConfigDTO(ConfigSection):
    """Encryption at rest. Keys are references, never literal secrets in config files:
    ``env:NAME`` (base64 in an environment variable), ``file:/path`` (base64 in a file) or,
    for tests only, ``base64:...``."""

    enabled: bool = False
    active_key_id: str = ""
    keys: dict[str, str] = Field(default_factory=dict)
    # A key reference (as in ``keys``): when set, user folders are keyed pseudonyms
    # (flatfile_chat/storage/names.py). Never rotate it: the folders would all be renamed.
    names_key: str = ""


class FFStorageConfigDTO(ConfigSection):
    base_path: str = "./data"
    user_data_directory_name: Literal["users"] = "users"
    global_personas_directory_name: Literal["personas_global"] = "personas_global"
    session_timestamp_format: str = "%Y%m%d_%H%M%S"
    message_id_length: int = Field(12, ge=8, le=32)
    max_message_size_bytes: int = Field(1_048_576, gt=0)
    max_document_size_bytes: int = Field(104_857_600, gt=0)
    max_messages_per_session: int = Field(100_000, gt=0)
    max_sessions_per_user: int = Field(1000, gt=0)
    max_context_history_snapshots: int = Field(100, gt=0)
    message_pagination_default_limit: int = Field(100, gt=0)
    max_attachments_per_message: int = Field(5, ge=0)
    allowed_document_extensions: list[str] = Field(
        default_factory=lambda: [
            ".pdf",
            ".txt",
            ".md",
            ".json",
            ".csv",
            ".png",
            ".jpg",
            ".jpeg",
            ".gif",
            ".webp",
        ]
    )
    durability: Durability = Durability.FSYNC
    group_commit_interval_ms: float = Field(50.0, gt=0)
    enable_file_locking: Literal[True] = True
    lock_timeout_seconds: float = Field(30.0, gt=0)
    io_mode: Literal["inline", "thread"] = "inline"
    # Files 0600 and folders 0700 (only the store's owner reads them: not a sandboxed tool's
    # pool uid, not another local user). False: 0644/0755 as upstream wrote them.
    owner_only: bool = True
    encryption: FFEncryptionConfigDTO = Field(default_factory=FFEncryptionConfigDTO)

    @field_validator("allowed_document_extensions")
    @classmethod
    def _dotted_lowercase(cls, value: list[str]) -> list[str]:
        bad = [ext for ext in value if not ext.startswith(".") or ext != ext.lower()]
        if bad:
            raise ValueError(f"extensions must be lowercase and start with '.', got {bad}")
        return value

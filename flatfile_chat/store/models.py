"""DTOs for what the base store reads and writes (G3 field names, upstream DTO names).

Models allow extra fields: upstream files carry keys we do not model (``chat_optimized``,
``conversation_entry``, persona demographics ...) and reading them must not lose anything.
Timestamps stay strings so upstream bytes round-trip; :func:`flatfile_chat.clock.parse_timestamp`
compares them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SESSION_TYPES = ("chat", "panel", "debate", "problem_solving")
SessionType = Literal["chat", "panel", "debate", "problem_solving"]
MESSAGE_ROLES = ("user", "assistant", "system", "memory", "tool")


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FFUserProfileDTO(_Record):
    user_id: str
    username: str = ""
    created_at: str
    updated_at: str
    preferences: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)


class FFSessionDTO(_Record):
    session_id: str
    user_id: str
    title: str = ""
    created_at: str
    updated_at: str
    message_count: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)
    session_type: str | None = None  # absent in G2 files; "chat" is implied there


class FFMessageDTO(_Record):
    # Field order is the on-disk key order of upstream messages.jsonl lines.
    role: str
    content: str
    message_id: str
    timestamp: str
    attachments: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class FFDocumentDTO(_Record):
    filename: str
    original_name: str
    path: str
    mime_type: str
    size: int
    uploaded_at: str
    uploaded_by: str
    analysis: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)


class FFPersonaDTO(_Record):
    persona_id: str
    name: str
    description: str = ""


class FFSituationalContextDTO(_Record):
    summary: str = ""
    key_points: list[str] = Field(default_factory=list, max_length=10)
    entities: dict[str, Any] = Field(default_factory=dict)
    timestamp: str = ""
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    message_range: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class FFMessageSearchHitDTO(BaseModel):
    session_id: str
    score: float
    message: FFMessageDTO


class FFSessionStatisticsDTO(BaseModel):
    session_id: str
    message_count: int
    stored_message_count: int
    messages_by_role: dict[str, int]
    first_message_at: str | None
    last_message_at: str | None
    document_count: int
    has_situational_context: bool
    context_snapshots: int

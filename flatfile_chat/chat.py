"""One chat exchange as the application performs it: the user's message and the assistant's
(scripted) reply, spoken by a persona, with the context window the reply used, optionally
remembered in the immediate memory layer.

The composition lives here, in the system under test, so its rules are the store's rules: an
unknown persona or a prompt-sandbox session that must not remember is refused before anything
is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from flatfile_chat.errors import ValidationError
from flatfile_chat.store import FFStorageManager
from flatfile_chat.store.models import FFMessageDTO


class TurnMemory(Protocol):
    async def add_memory_context(
        self, user_id: str, context: Any, target_layer: Any = "immediate"
    ) -> Any: ...


@dataclass
class ChatTurnResult:
    user_message: FFMessageDTO
    assistant_message: FFMessageDTO
    memory: Any = None


@dataclass
class TurnOptions:
    persona: str | None = None
    attachments: Sequence[str] = ()
    user_metadata: dict[str, Any] = field(default_factory=dict)
    reply_metadata: dict[str, Any] = field(default_factory=dict)
    remember: bool = False
    relevance: float = 0.5
    topic_tags: Sequence[str] = ()
    context_window: int | None = None


class FFChatService:
    def __init__(self, store: FFStorageManager, memory: TurnMemory | None = None) -> None:
        self.store = store
        self.memory = memory

    async def turn(
        self,
        user_id: str,
        session_id: str,
        text: str,
        reply: str,
        options: TurnOptions | None = None,
    ) -> ChatTurnResult:
        """Store one exchange (one append, one counter update) and what it implies:

        - ``persona`` must exist (the user's own or a global one); it becomes the reply's
          ``metadata.persona``;
        - ``attachments`` (stored documents of the session) are what the reply answers:
          ``metadata.in_reply_to_attachments``;
        - ``context_window`` N records the ids of the last N earlier messages in
          ``metadata.context_messages``;
        - ``remember`` adds the user's message to the immediate memory layer (refused, with
          nothing written, for a prompt-sandbox session).
        """
        opts = options or TurnOptions()
        reply_meta = dict(opts.reply_metadata)
        if opts.persona is not None:
            await self.store.get_persona(opts.persona, user_id)
            reply_meta.setdefault("persona", opts.persona)
        memory = await self._may_remember(user_id, session_id) if opts.remember else None
        if opts.attachments:
            reply_meta.setdefault("in_reply_to_attachments", list(opts.attachments))
        if opts.context_window is not None:
            if opts.context_window < 0:
                raise ValidationError("context_window must be >= 0", key="context_window")
            earlier = await self.store.get_messages(user_id, session_id)
            window = earlier[-opts.context_window :] if opts.context_window else []
            reply_meta["context_messages"] = [m.message_id for m in window]
        user, assistant = await self.store.add_messages(
            user_id,
            session_id,
            [
                {
                    "role": "user",
                    "content": text,
                    "attachments": list(opts.attachments),
                    "metadata": dict(opts.user_metadata),
                },
                {"role": "assistant", "content": reply, "metadata": reply_meta},
            ],
        )
        result = ChatTurnResult(user, assistant)
        if memory is not None:
            result.memory = await memory.add_memory_context(
                user_id,
                {
                    "content": text,
                    "context_type": "conversation",
                    "session_id": session_id,
                    "relevance_score": opts.relevance,
                    "topic_tags": list(opts.topic_tags),
                    "metadata": {"message_id": user.message_id},
                },
                "immediate",
            )
        return result

    async def _may_remember(self, user_id: str, session_id: str) -> TurnMemory:
        """The memory to remember the turn in; refused without one or in a sandbox session."""
        memory = self.memory
        if memory is None:
            raise ValidationError("remember needs a memory layer manager", key="remember")
        session = await self.store.get_session(user_id, session_id)
        if session.metadata.get("sandbox") is True:
            raise ValidationError(
                f"session {session_id!r} is a prompt sandbox; sandbox runs never write to memory",
                key="session_id",
                value=session_id,
            )
        return memory

"""Actions over the base store: users, sessions, messages, scripted chat turns, documents,
personas and situational context."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field, field_validator, model_validator
from typing_extensions import TypedDict

from flatfile_chat.chat import FFChatService, TurnOptions
from flatfile_chat.config.storage import FFEncryptionConfigDTO
from flatfile_chat.errors import NotFound
from flatfile_chat.memory.models import FFMemoryContextDTO
from flatfile_chat.storage.durability import Durability
from flatfile_chat.storage.keyring import resolve_key
from flatfile_chat.store.models import (
    FFDocumentDTO,
    FFMessageDTO,
    FFMessageSearchHitDTO,
    FFPersonaDTO,
    FFSessionDTO,
    FFSessionStatisticsDTO,
    FFSituationalContextDTO,
    FFUserProfileDTO,
)
from prism_scenarios import write_audit
from prism_scenarios.actions.checks import store_path
from prism_scenarios.actions.outputs import closed
from prism_scenarios.actions.registry import Params, action, exactly_one, fuzz_max
from prism_scenarios.components import Component
from prism_scenarios.errors import ScenarioError

SessionType = Literal["chat", "panel", "debate", "problem_solving"]


# -- users ------------------------------------------------------------------------------
class UserCreate(Params):
    user_id: str = Field(description="the new user's id")
    username: str = Field("", description="display name")
    preferences: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)


@action("user.create", component=Component.STORAGE)
async def user_create(world, p: UserCreate) -> FFUserProfileDTO:
    """Create a user: writes ``users/{user_id}/profile.json``; a taken id (or one differing
    only in case) raises AlreadyExists."""
    return await world.store.create_user(
        p.user_id, {"username": p.username, "preferences": p.preferences, "metadata": p.metadata}
    )


class UserRef(Params):
    user_id: str


@action("user.get", component=Component.STORAGE)
async def user_get(world, p: UserRef) -> FFUserProfileDTO:
    """Read a user's profile."""
    return await world.store.get_user_profile(p.user_id)


class UserUpdate(Params):
    user_id: str
    updates: dict[str, Any] = Field(
        description="fields to change (username, preferences, metadata, ...)"
    )


@action("user.update", component=Component.STORAGE)
async def user_update(world, p: UserUpdate) -> FFUserProfileDTO:
    """Update profile fields; ``user_id`` and timestamps cannot be changed."""
    return await world.store.update_user_profile(p.user_id, p.updates)


class NoParams(Params):
    pass


@action("user.list", component=Component.STORAGE)
async def user_list(world, p: NoParams) -> list[str]:
    """Ids of all users, sorted."""
    return await world.store.list_users()


# -- sessions ---------------------------------------------------------------------------
class SessionCreate(Params):
    user_id: str
    title: str | None = Field(None, description="defaults to '<Type> Session'")
    session_type: SessionType = "chat"
    metadata: dict[str, Any] = Field(default_factory=dict)
    session_id: str | None = Field(
        None, description="explicit id; generated '{type}_session_YYYYmmdd_HHMMSS_us' if unset"
    )


@action("session.create", component=Component.STORAGE)
async def session_create(world, p: SessionCreate) -> FFSessionDTO:
    """Create a session folder with ``session.json`` (message_count 0)."""
    return await world.store.create_session(
        p.user_id, p.title, p.session_type, p.metadata, p.session_id
    )


class SessionRef(Params):
    user_id: str
    session_id: str


@action("session.get", component=Component.STORAGE)
async def session_get(world, p: SessionRef) -> FFSessionDTO:
    """Read ``session.json``."""
    return await world.store.get_session(p.user_id, p.session_id)


class SessionList(Params):
    user_id: str
    session_type: SessionType | None = None
    limit: int | None = None
    offset: int = 0


@action("session.list", component=Component.STORAGE)
async def session_list(world, p: SessionList) -> list[FFSessionDTO]:
    """A user's sessions, newest first."""
    return await world.store.list_sessions(p.user_id, p.limit, p.offset, p.session_type)


class SessionUpdate(Params):
    user_id: str
    session_id: str
    title: str | None = None
    metadata: dict[str, Any] | None = Field(None, description="merged into the existing metadata")


@action("session.update", component=Component.STORAGE)
async def session_update(world, p: SessionUpdate) -> FFSessionDTO:
    """Change a session's title and/or merge metadata."""
    updates: dict[str, Any] = {}
    if p.title is not None:
        updates["title"] = p.title
    if p.metadata is not None:
        updates["metadata"] = p.metadata
    return await world.store.update_session_metadata(p.user_id, p.session_id, updates)


class SessionAppendUnique(Params):
    user_id: str
    session_id: str
    key: str = Field(description="metadata list to extend, e.g. vocabulary")
    values: list[Any] = Field(description="values to add (typically taken from tool results)")


@action("session.append_unique", component=Component.STORAGE)
async def session_append_unique(world, p: SessionAppendUnique) -> FFSessionDTO:
    """Extend the list ``metadata[key]`` of ``session.json`` with the values not already in
    it (order kept; e.g. the language tutor's vocabulary), under the session lock."""
    return await world.store.append_session_metadata_unique(
        p.user_id, p.session_id, p.key, p.values
    )


@action("session.stats", component=Component.STORAGE)
async def session_stats(world, p: SessionRef) -> FFSessionStatisticsDTO:
    """Counts computed from the files (messages by role, documents, context snapshots)."""
    return await world.store.get_session_statistics(p.user_id, p.session_id)


# -- messages ---------------------------------------------------------------------------
class MessageAdd(Params):
    user_id: str
    session_id: str
    role: Literal["user", "assistant", "system", "memory", "tool"]
    content: str
    attachments: list[str] = Field(default_factory=list, description="stored document filenames")
    metadata: dict[str, Any] = Field(default_factory=dict)
    message_id: str | None = None


@action("message.add", component=Component.STORAGE)
async def message_add(world, p: MessageAdd) -> FFMessageDTO:
    """Append one message to ``messages.jsonl`` (and bump ``message_count``)."""
    data: dict[str, Any] = {
        "role": p.role,
        "content": p.content,
        "attachments": p.attachments,
        "metadata": p.metadata,
    }
    if p.message_id:
        data["message_id"] = p.message_id
    return await world.store.add_message(p.user_id, p.session_id, data)


class ChatTurn(Params):
    user_id: str
    session_id: str
    text: str = Field(description="what the user says")
    reply: str = Field(description="the scripted assistant reply (no LLM here)")
    attachments: list[str] = Field(default_factory=list)
    persona: str | None = Field(
        None, description="persona id recorded in the reply's metadata.persona"
    )
    user_metadata: dict[str, Any] = Field(default_factory=dict)
    reply_metadata: dict[str, Any] = Field(default_factory=dict)
    remember: bool = Field(
        False,
        description="also add the user's message to the immediate "
        "memory layer (memory_layer integration)",
    )
    relevance: float = Field(0.5, description="relevance_score of the remembered item")
    topic_tags: list[str] = Field(default_factory=list, description="tags of the remembered item")
    context_window: int | None = Field(
        None,
        description="record the ids of the last N "
        "earlier messages the reply used in "
        "its metadata.context_messages",
    )


@closed
class ChatExchange(TypedDict):
    """Both messages of one chat turn, as appended to ``messages.jsonl``."""

    user_message: FFMessageDTO
    assistant_message: FFMessageDTO
    memory: NotRequired[
        Annotated[
            FFMemoryContextDTO,
            Field(description="only with remember: the memory item added for the user's message"),
        ]
    ]


@action("chat.turn", component=Component.STORAGE)
async def chat_turn(world, p: ChatTurn) -> ChatExchange:
    """One exchange through the store's chat service: the user's message and the scripted
    reply in one append. ``persona`` must exist (reply ``metadata.persona``); the reply
    records the ``attachments`` it answers and, with ``context_window``, the messages it used;
    ``remember`` also adds the user's message to the immediate memory layer (refused for a
    prompt-sandbox session, before anything is written)."""
    if p.persona is not None:
        world.touch("personas")
    if p.attachments:
        world.touch("documents")
    if p.remember:
        world.touch("memory_layer")
    service = FFChatService(world.store, world.manager("memory_layer") if p.remember else None)
    result = await service.turn(
        p.user_id,
        p.session_id,
        p.text,
        p.reply,
        TurnOptions(
            persona=p.persona,
            attachments=p.attachments,
            user_metadata=p.user_metadata,
            reply_metadata=p.reply_metadata,
            remember=p.remember,
            relevance=p.relevance,
            topic_tags=p.topic_tags,
            context_window=p.context_window,
        ),
    )
    data = ChatExchange(
        user_message=result.user_message, assistant_message=result.assistant_message
    )
    if p.remember:
        data["memory"] = result.memory
    return data


class MessagesList(Params):
    user_id: str
    session_id: str
    limit: int | None = None
    offset: int = 0


@action("messages.list", component=Component.STORAGE)
async def messages_list(world, p: MessagesList) -> list[FFMessageDTO]:
    """Messages in send order (``offset`` from the first)."""
    return await world.store.get_messages(p.user_id, p.session_id, p.limit, p.offset)


class MessageRef(Params):
    user_id: str
    session_id: str
    message_id: str


@action("message.get", component=Component.STORAGE)
async def message_get(world, p: MessageRef) -> FFMessageDTO:
    """One message by id."""
    return await world.store.get_message(p.user_id, p.session_id, p.message_id)


class MessagesSearch(Params):
    user_id: str
    query: str
    session_ids: list[str] | None = None
    limit: int = 20
    match_all: bool = False


@action("messages.search", component=Component.STORAGE)
async def messages_search(world, p: MessagesSearch) -> list[FFMessageSearchHitDTO]:
    """Search a user's messages (case/punctuation-insensitive terms, best first)."""
    return await world.store.search_messages(
        p.user_id, p.query, p.session_ids, p.limit, p.match_all
    )


# -- documents --------------------------------------------------------------------------
# Generated content: bytes 0..250 repeating. The cap keeps a scenario (or the fuzzer) from
# asking for gigabytes; it is above any document limit a store is configured with here.
MAX_GENERATED_BYTES = 256 * 1024 * 1024
_FILLER = bytes(range(251))


class DocumentUpload(Params):
    user_id: str
    session_id: str
    filename: str = Field(description="original file name (its extension must be allowed)")
    text: str | None = Field(None, description="content as UTF-8 text")
    base64: str | None = Field(None, description="content as base64")
    size: int | None = Field(
        None,
        ge=0,
        le=MAX_GENERATED_BYTES,
        json_schema_extra=fuzz_max(65536),
        description="generate this many bytes instead (at most 256 MiB)",
    )
    mime_type: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("base64")
    @classmethod
    def _decodes(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except ValueError as exc:  # binascii.Error
                raise ValueError(f"not valid base64: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_content(self) -> DocumentUpload:
        exactly_one(self, "text", "base64", "size")
        return self


@action("documents.upload", component=Component.DOCUMENTS)
async def documents_upload(world, p: DocumentUpload) -> FFDocumentDTO:
    """Store a document under ``documents/{8hex}_{name}`` with a ``metadata.json`` entry."""
    if p.text is not None:
        content = p.text.encode("utf-8")
    elif p.base64 is not None:
        content = base64.b64decode(p.base64, validate=True)
    else:
        size = p.size or 0
        content = (_FILLER * (size // len(_FILLER) + 1))[:size]
    return await world.store.store_document(
        p.user_id, p.session_id, p.filename, content, mime_type=p.mime_type, metadata=p.metadata
    )


@action("documents.list", component=Component.DOCUMENTS)
async def documents_list(world, p: SessionRef) -> list[FFDocumentDTO]:
    """Metadata of every document in a session."""
    return await world.store.list_documents(p.user_id, p.session_id)


class DocumentRef(Params):
    user_id: str
    session_id: str
    filename: str = Field(description="stored filename ({8hex}_{name})")


@action("documents.get", component=Component.DOCUMENTS)
async def documents_get(world, p: DocumentRef) -> FFDocumentDTO:
    """One document's metadata entry."""
    return await world.store.get_document(p.user_id, p.session_id, p.filename)


@action("documents.read", component=Component.DOCUMENTS)
async def documents_read(world, p: DocumentRef) -> str:
    """A document's content, decoded as UTF-8 text."""
    return (await world.store.read_document(p.user_id, p.session_id, p.filename)).decode(
        "utf-8", "replace"
    )


class DocumentAnalysis(Params):
    user_id: str
    session_id: str
    filename: str
    analysis: dict[str, Any]


@action("documents.analyze", component=Component.DOCUMENTS)
async def documents_analyze(world, p: DocumentAnalysis) -> FFDocumentDTO:
    """Merge an analysis result into the document's metadata entry."""
    return await world.store.update_document_analysis(
        p.user_id, p.session_id, p.filename, p.analysis
    )


@action("documents.delete", component=Component.DOCUMENTS)
async def documents_delete(world, p: DocumentRef) -> FFDocumentDTO:
    """Remove a document: its metadata entry first, then its bytes."""
    return await world.store.delete_document(p.user_id, p.session_id, p.filename)


# -- personas ---------------------------------------------------------------------------
class PersonaStore(Params):
    persona: dict[str, Any] = Field(
        description="persona fields: persona_id, name, description, ... (extra fields kept)"
    )
    user_id: str | None = Field(None, description="store for this user only; global if unset")


@action("persona.store", component=Component.PERSONAS)
async def persona_store(world, p: PersonaStore) -> FFPersonaDTO:
    """Write ``personas_global/{id}.json`` or ``users/{u}/personas/{id}.json``."""
    return await world.store.store_persona(p.persona, p.user_id)


class PersonaRef(Params):
    persona_id: str
    user_id: str | None = None


@action("persona.get", component=Component.PERSONAS)
async def persona_get(world, p: PersonaRef) -> FFPersonaDTO:
    """A persona; the user's own wins over a global one with the same id."""
    return await world.store.get_persona(p.persona_id, p.user_id)


class PersonaList(Params):
    user_id: str | None = None
    include_global: bool = True


@action("persona.list", component=Component.PERSONAS)
async def persona_list(world, p: PersonaList) -> list[str]:
    """Persona ids visible to ``user_id`` (or the global ones)."""
    return await world.store.list_personas(p.user_id, p.include_global)


# -- situational context ----------------------------------------------------------------
class ContextUpdate(Params):
    user_id: str
    session_id: str
    summary: str
    key_points: list[str] = Field(default_factory=list, description="at most 10 (the store checks)")
    entities: dict[str, Any] = Field(default_factory=dict)
    confidence: float = Field(0.5, description="0..1 (the store checks)")
    message_range: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict)


@action("context.update", component=Component.STORAGE)
async def context_update(world, p: ContextUpdate) -> FFSituationalContextDTO:
    """Replace ``situational_context.json``; the old one goes to ``context_history/``."""
    return await world.store.update_context(
        p.user_id, p.session_id, p.model_dump(exclude={"user_id", "session_id"})
    )


@action("context.get", component=Component.STORAGE)
async def context_get(world, p: SessionRef) -> FFSituationalContextDTO:
    """The current situational context of a session."""
    return await world.store.get_context(p.user_id, p.session_id)


class ContextHistory(Params):
    user_id: str
    session_id: str
    limit: int | None = None


@action("context.history", component=Component.STORAGE)
async def context_history(world, p: ContextHistory) -> list[FFSituationalContextDTO]:
    """Earlier contexts, oldest first."""
    return await world.store.get_context_history(p.user_id, p.session_id, p.limit)


# -- encryption at rest: key files, reopening with other keys, rotation -------------------
KEYS_DIR = "keys"  # beside the store root (in the world's folder), never inside the store


class KeyFileWrite(Params):
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="file name, e.g. k1.key"
    )
    text: str = Field(
        description="the file's content, written as given (a key file holds the key in "
        "base64; surrounding whitespace such as a final newline is allowed)"
    )


@action("store.key_file", component=Component.RUNNER)
async def store_key_file(world, p: KeyFileWrite) -> str:
    """Write a key file into the world's ``keys/`` folder, beside the store root (key
    material never lives in the store it protects); returns its absolute path, for a
    ``file:${path}`` key reference (``store.reopen``, ``store.rotate_key``). Writing it is the
    test's doing, not audited as a write by the store."""
    folder = world.base_dir / KEYS_DIR
    path = folder / p.name
    with write_audit.paused():
        folder.mkdir(mode=0o700, exist_ok=True)
        path.write_text(p.text, encoding="utf-8")
        path.chmod(0o600)
    return str(path)


class StoreReopen(Params):
    enabled: bool = Field(True, description="storage.encryption.enabled")
    active_key_id: str = Field("", description="key id sealing new writes (first key if empty)")
    keys: dict[str, str] = Field(
        default_factory=dict,
        description="key id -> reference: 'base64:...', 'file:/path' (see store.key_file), "
        "'env:NAME'",
    )
    names_key: str = Field("", description="storage.encryption.names_key (a key reference)")


@closed
class KeyRing(TypedDict):
    """The reopened store's codec, as the store built it from the key references."""

    encrypted: bool
    active_key_id: Annotated[str | None, Field(description="null without encryption")]


@action("store.reopen", component=Component.STORAGE)
async def store_reopen(world, p: StoreReopen) -> KeyRing:
    """Restart (like ``world.restart``) and open the same store root again with
    ``storage.encryption`` replaced by these settings: yesterday's data under other keys.
    The store is built in this step, so a bad key (a missing or short key file, a length
    AES-GCM refuses) fails here, with the store's ConfigError."""
    encryption = FFEncryptionConfigDTO.model_validate(p.model_dump())
    await world.restart()
    storage = world.config.storage.model_copy(update={"encryption": encryption})
    world.config = world.config.model_copy(update={"storage": storage})
    codec = world.store.ctx.fs.codec
    return KeyRing(encrypted=codec.encrypted, active_key_id=getattr(codec, "active_key_id", None))


class RotateKey(Params):
    key_id: str = Field(description="the key id new writes are sealed with from now on")
    key: str | None = Field(
        None,
        description="the new key as a reference ('base64:...', 'file:/path', 'env:NAME'); "
        "omit to switch to a key already in the ring",
    )


@action("store.rotate_key", component=Component.STORAGE)
async def store_rotate_key(world, p: RotateKey) -> int:
    """Key rotation: make ``key_id`` the active key (added to the ring if ``key`` is given)
    and re-seal every stored file with it; returns how many files were re-sealed. The
    world's config is not changed: a later ``world.restart`` opens with the configured keys
    only (``store.reopen`` to add the new one)."""
    key = resolve_key(p.key, name="key") if p.key is not None else None
    return world.store.rotate_encryption_key(p.key_id, key)


class FolderPath(Params):
    path: str = Field(description="folder relative to the store root, e.g. 'users/alice'")


@action("files.digest", component=Component.RUNNER)
async def files_digest(world, p: FolderPath) -> dict[str, str]:
    """The sha256 of the raw stored bytes of every file under a folder (hidden lock, head
    and cache files included; still sealed when encrypted), by path relative to the store
    root: save it and compare later to prove a step changed no stored byte."""
    folder = store_path(world, p.path)
    if not folder.is_dir():
        raise NotFound(f"{p.path} is not a folder", path=p.path)
    root = world.store.fs.root
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


class RawWrite(Params):
    path: str = Field(description="file relative to the store root, e.g. 'users/alice/x.json'")
    text: str = Field(description="the bytes to write, as UTF-8 text (written as given)")
    append: bool = Field(False, description="append to the file instead of replacing it")


@action("files.write", component=Component.RUNNER)
async def files_write(world, p: RawWrite) -> str:
    """Damage a stored file on purpose, behind the store's back: replace (or append to) its
    raw bytes with ``text`` (folders must exist; never through a link). Returns the path.
    For integrity scenarios: a torn line, a stale counter, a stray file, then ``store.check``
    and ``store.repair``. Like ``files.copy``, not audited as a write by the store."""
    path = world.store.fs.checked(store_path(world, p.path))  # no link on the way
    if path.is_dir() or not path.parent.is_dir():
        raise NotFound(f"files.write: {p.path!r} is not a file in an existing folder", path=p.path)
    with write_audit.paused(), path.open("ab" if p.append else "wb") as out:
        out.write(p.text.encode("utf-8"))
    return p.path


# -- durability: batch mode's group commit ---------------------------------------------------
class PendingCommits(Params):
    wait_ms: float = Field(
        0,
        ge=0,
        le=60_000,
        json_schema_extra=fuzz_max(100),
        description="poll up to this long (real time) for the list to become empty",
    )


@action("store.pending_commits", component=Component.STORAGE)
async def store_pending_commits(world, p: PendingCommits) -> list[str]:
    """Files written in ``batch`` durability mode whose group commit (fsync) has not
    happened yet, relative to the store root, sorted; with ``wait_ms``, waits (real time)
    until none is pending or the time is up. Read from the store's group committer
    (``FileStore.pending_commits``). Only for ``storage.durability: batch``: other modes
    have nothing pending (fsync) or never commit (none)."""
    fs = world.store.ctx.fs
    if fs.durability is not Durability.BATCH:
        raise ScenarioError(
            "store.pending_commits: only storage.durability 'batch' has a group committer "
            f"(this store's is {fs.durability.value!r})"
        )
    deadline = time.monotonic() + p.wait_ms / 1000
    while True:
        pending = fs.pending_commits()
        if not pending or time.monotonic() >= deadline:
            return pending
        await asyncio.sleep(0.01)


@action("store.flush", component=Component.STORAGE)
async def store_flush(world, p: NoParams) -> None:
    """Make everything written so far durable now (``batch`` mode: the group commit
    without waiting for its interval; a no-op in the other modes)."""
    world.store.flush()

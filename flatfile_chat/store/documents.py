"""Session documents: ``documents/{8hex}_{name}`` plus ``documents/metadata.json``.

The original name is validated, not rewritten behind the caller's back: a name with a path in
it is refused. The stored name is ``{8hex}_{slug}``; the random prefix keeps two uploads of the
same name apart and ``original_name`` keeps what the user sent.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Any

from flatfile_chat.errors import (
    AlreadyExists,
    LimitExceeded,
    NotFound,
    SecurityError,
    ValidationError,
)
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.models import FFDocumentDTO
from flatfile_chat.store.sessions import SessionRepository

_SLUG_BAD = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_original_name(filename: object) -> str:
    """A plain file name: no folders, no control characters, not hidden traversal."""
    if not isinstance(filename, str) or not filename.strip():
        raise ValidationError("filename must be a non-empty string", key="filename", value=filename)
    if "/" in filename or "\\" in filename or filename in (".", "..") or _CONTROL.search(filename):
        raise SecurityError(
            f"filename {filename!r} must be a plain name (no folders, no control characters)",
            key="filename",
            value=filename,
        )
    if len(filename.encode("utf-8")) > 255:
        raise ValidationError("filename is longer than 255 bytes", key="filename", value=filename)
    if filename.endswith((".", " ")):
        raise SecurityError(
            f"filename {filename!r} ends with a dot or space", key="filename", value=filename
        )
    return filename


def slug(filename: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    cleaned = _SLUG_BAD.sub("_", ascii_name).strip("._") or "file"
    return cleaned[:200]


_EXTENSION = re.compile(r"[a-z0-9]{1,8}")  # what looks like a file type, not like words


def stored_name(fs: FileStore, filename: str) -> str:
    """The part of a stored file name that comes from the upload's name: its slug, or, with
    keyed pseudonymous names (``storage.encryption.names_key``), only its extension: the name
    a user gave a file says as much as their id."""
    if getattr(fs, "user_names", None) is None:
        return slug(filename)
    suffix = PurePosixPath(filename).suffix.lower()[1:]
    return f"doc.{suffix}" if _EXTENSION.fullmatch(suffix) else "doc"


class DocumentRepository:
    def __init__(self, ctx: StoreContext, sessions: SessionRepository) -> None:
        self._ctx = ctx
        self._sessions = sessions

    def store(
        self,
        user_id: str,
        session_id: str,
        filename: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        metadata: dict[str, Any] | None = None,
        uploaded_by: str | None = None,
    ) -> FFDocumentDTO:
        storage = self._ctx.config.storage
        check_original_name(filename)
        extension = PurePosixPath(filename).suffix.lower()
        if extension not in storage.allowed_document_extensions:
            raise ValidationError(
                f"extension {extension or '(none)'!r} of {filename!r} is not allowed (allowed: "
                f"{', '.join(storage.allowed_document_extensions)})",
                key="filename",
                value=filename,
            )
        if not isinstance(content, bytes | bytearray):
            raise ValidationError("document content must be bytes", key="content")
        if len(content) > storage.max_document_size_bytes:
            raise LimitExceeded(
                f"{filename!r} is {len(content)} bytes, over the "
                f"{storage.max_document_size_bytes}-byte limit "
                "(storage.max_document_size_bytes)",
                key="content",
                size=len(content),
            )
        layout, fs = self._ctx.layout, self._ctx.fs
        self._sessions.get(user_id, session_id)
        docs_dir = fs.ensure_dir(layout.documents_dir(user_id, session_id))
        meta_path = layout.documents_metadata(user_id, session_id)
        with fs.lock(meta_path):
            stored_path = self._write_blob(docs_dir, filename, bytes(content))
            record = FFDocumentDTO(
                filename=stored_path.name,
                original_name=filename,
                path=fs.rel(stored_path),
                mime_type=mime_type
                or mimetypes.guess_type(filename)[0]
                or "application/octet-stream",
                size=len(content),
                uploaded_at=self._ctx.now_iso(),
                uploaded_by=uploaded_by or user_id,
                analysis={},
                metadata=dict(metadata or {}),
            )
            try:
                index = fs.read_json(meta_path, default={})
                index[record.filename] = record.to_dict()
                fs.write_json(meta_path, index)
            except BaseException:
                fs.remove(stored_path)  # no orphan blob when the index write fails
                raise
        return record

    def _write_blob(self, docs_dir: Path, filename: str, content: bytes) -> Path:
        name = stored_name(self._ctx.fs, filename)
        for _ in range(100):
            path = docs_dir / f"{self._ctx.ids.hex(8)}_{name}"
            try:
                self._ctx.fs.write_blob(path, content, exclusive=True)
                return path
            except AlreadyExists:
                continue
        raise AlreadyExists(f"could not allocate a stored name for {filename!r}", key="filename")

    def list(self, user_id: str, session_id: str) -> list[FFDocumentDTO]:
        self._sessions.get(user_id, session_id)
        index = self._ctx.fs.read_json(
            self._ctx.layout.documents_metadata(user_id, session_id), default={}
        )
        return [FFDocumentDTO.model_validate(v) for _, v in sorted(index.items())]

    def get(self, user_id: str, session_id: str, filename: str) -> FFDocumentDTO:
        index = self._ctx.fs.read_json(
            self._ctx.layout.documents_metadata(user_id, session_id), default={}
        )
        if filename not in index:
            raise NotFound(
                f"document {filename!r} not found in session {session_id!r}",
                key="filename",
                value=filename,
            )
        return FFDocumentDTO.model_validate(index[filename])

    def read(self, user_id: str, session_id: str, filename: str) -> bytes:
        record = self.get(user_id, session_id, filename)
        return self._ctx.fs.read_blob(
            self._ctx.layout.documents_dir(user_id, session_id) / check_stored(record.filename)
        )

    def update_analysis(
        self, user_id: str, session_id: str, filename: str, analysis: dict[str, Any]
    ) -> FFDocumentDTO:
        meta_path = self._ctx.layout.documents_metadata(user_id, session_id)
        with self._ctx.fs.lock(meta_path):
            record = self.get(user_id, session_id, filename)
            record = record.model_copy(update={"analysis": {**record.analysis, **analysis}})
            index = self._ctx.fs.read_json(meta_path)
            index[filename] = record.to_dict()
            self._ctx.fs.write_json(meta_path, index)
        return record

    def delete(self, user_id: str, session_id: str, filename: str) -> FFDocumentDTO:
        """Drop the index entry first (the commit point), then the bytes."""
        meta_path = self._ctx.layout.documents_metadata(user_id, session_id)
        with self._ctx.fs.lock(meta_path):
            record = self.get(user_id, session_id, filename)
            blob = self._ctx.layout.documents_dir(user_id, session_id) / check_stored(filename)
            self._ctx.fs.checked(blob)  # a planted link is refused before anything changes
            index = self._ctx.fs.read_json(meta_path)
            del index[filename]
            self._ctx.fs.write_json(meta_path, index)
            if blob.exists():
                self._ctx.fs.remove(blob)
        return record


def check_stored(filename: str) -> str:
    from flatfile_chat.storage.paths import validate_component

    return validate_component(filename)

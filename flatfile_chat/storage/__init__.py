"""Storage primitives: safe paths, atomic writes, locked JSONL, durability and encryption."""

from flatfile_chat.storage.codec import AesGcmCodec, Codec, PlainCodec
from flatfile_chat.storage.durability import Durability
from flatfile_chat.storage.filestore import FileStore
from flatfile_chat.storage.paths import safe_join, validate_id

__all__ = [
    "AesGcmCodec",
    "Codec",
    "Durability",
    "FileStore",
    "PlainCodec",
    "safe_join",
    "validate_id",
]

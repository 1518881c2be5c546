"""The four index files of a KB, which must always agree row by row.

``chunk_index.jsonl`` (the chunk rows), ``embeddings.npy`` (row i = chunk i),
``vector_index.jsonl`` (row i → chunk_id, document_id; ``vector_index`` 0..n-1) and
``bm25_index.npz`` (bm25s over the same rows, tagged with their fingerprint).

Writers hold the KB lock and write bm25 → embeddings → chunk_index → vector_index
(``vector_index.jsonl`` is the commit point of the group). Readers hold the KB lock while they
load and refuse (``StorageCorrupted``) any disagreement — never misaligned data. A crash
between writes leaves a detectable disagreement that ``run_kb_maintenance`` rebuilds from
``chunk_index.jsonl``.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from flatfile_chat.errors import StorageCorrupted
from flatfile_chat.knowledge.embedding import DTYPE
from flatfile_chat.knowledge.keyword import KeywordIndex
from flatfile_chat.knowledge.layout import KBPaths
from flatfile_chat.storage.filestore import FileStore

Signature = tuple[tuple[int, int, int] | None, ...]


def fingerprint(chunk_ids: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for chunk_id in chunk_ids:
        digest.update(chunk_id.encode("utf-8") + b"\n")
    return digest.hexdigest()[:16]


def encode_matrix(matrix: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(matrix, dtype=DTYPE), allow_pickle=False)
    return buffer.getvalue()


def decode_matrix(blob: bytes, *, where: str) -> np.ndarray:
    try:
        matrix = np.load(io.BytesIO(blob), allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise StorageCorrupted(f"unreadable embeddings: {exc}", path=where) from None
    if matrix.ndim != 2:
        raise StorageCorrupted(f"embeddings have shape {matrix.shape}, expected 2-D", path=where)
    return matrix


@dataclass(frozen=True)
class IndexSnapshot:
    rows: list[dict[str, Any]]  # chunk_index.jsonl records, row i
    embeddings: np.ndarray
    keyword: KeywordIndex
    fingerprint: str

    @property
    def size(self) -> int:
        return len(self.rows)


def signature(paths: KBPaths) -> Signature:
    """Identity of the group's files; atomic replaces change the inode, appends the size."""
    result: list[tuple[int, int, int] | None] = []
    for path in paths.index_group:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            result.append(None)
            continue
        result.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(result)


def vector_rows(
    rows: Sequence[dict[str, Any]], model: str, dimensions: int
) -> list[dict[str, Any]]:
    return [
        {
            "vector_index": i,
            "chunk_id": r["chunk_id"],
            "document_id": r["document_id"],
            "chunk_index": r["chunk_index"],
            "embedding_model": model,
            "dimensions": dimensions,
        }
        for i, r in enumerate(rows)
    ]


def write(
    fs: FileStore,
    paths: KBPaths,
    rows: Sequence[dict[str, Any]],
    embeddings: np.ndarray,
    keyword: KeywordIndex,
    model: str,
) -> None:
    """Replace the group (caller holds the KB lock); vector_index.jsonl goes last."""
    if embeddings.shape[0] != len(rows) or keyword.num_docs != len(rows):
        raise ValueError("refusing to write misaligned index files")
    fs.ensure_dir(paths.vectors_dir)
    fs.write_blob(paths.bm25, keyword.to_bytes(), exclusive=False)
    fs.write_blob(paths.embeddings, encode_matrix(embeddings), exclusive=False)
    numbered = [{**r, "vector_index": i} for i, r in enumerate(rows)]
    fs.rewrite_jsonl(paths.chunk_index, numbered)
    fs.rewrite_jsonl(paths.vector_index, vector_rows(numbered, model, int(embeddings.shape[1])))


def read(fs: FileStore, paths: KBPaths, dimensions: int) -> IndexSnapshot:
    """Load and cross-check the group (caller holds the KB lock)."""
    rows = fs.read_jsonl(paths.chunk_index)
    vectors = fs.read_jsonl(paths.vector_index)
    expected = fingerprint(r["chunk_id"] for r in rows)
    if not rows and not vectors and not paths.embeddings.exists():
        return IndexSnapshot(
            [], np.zeros((0, dimensions), DTYPE), KeywordIndex(None, expected, 0), expected
        )
    embeddings = decode_matrix(fs.read_blob(paths.embeddings), where=fs.rel(paths.embeddings))
    if not len(rows) == len(vectors) == embeddings.shape[0]:
        raise StorageCorrupted(
            f"index files disagree: chunk_index.jsonl has {len(rows)} lines, "
            f"vector_index.jsonl {len(vectors)}, embeddings.npy {embeddings.shape[0]} rows "
            "(run_kb_maintenance rebuilds them)",
            path=fs.rel(paths.vectors_dir),
        )
    for i, (row, vector) in enumerate(zip(rows, vectors, strict=True)):
        if vector.get("vector_index") != i or vector.get("chunk_id") != row.get("chunk_id"):
            raise StorageCorrupted(
                f"row {i} is {vector.get('vector_index')}/"
                f"{vector.get('chunk_id')} in vector_index.jsonl but "
                f"{row.get('chunk_id')} in chunk_index.jsonl",
                path=fs.rel(paths.vector_index),
                line=i + 1,
            )
    keyword = KeywordIndex.from_bytes(fs.read_blob(paths.bm25), where=fs.rel(paths.bm25))
    if keyword.fingerprint != expected or keyword.num_docs != len(rows):
        raise StorageCorrupted(
            f"bm25 index covers other rows (fingerprint "
            f"{keyword.fingerprint}, expected {expected})",
            path=fs.rel(paths.bm25),
        )
    return IndexSnapshot(rows, embeddings, keyword, expected)

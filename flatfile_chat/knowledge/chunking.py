"""Splitting a document into chunks whose offsets are exact and which cover every character.

Every strategy first cuts the text into *contiguous* spans (no gaps, no overlap), so
``text[char_start:char_end] == chunk.text`` and the spans together are the whole document; a
non-empty document always yields at least one chunk (upstream dropped chunks under
``min_chunk_size``, so small documents produced none). Then:

- ``fixed_size``: windows of ``chunk_size`` characters advancing by ``chunk_size -
  chunk_overlap`` (the overlap is real text shared by neighbours);
- ``sentence_boundary`` (and ``semantic_chunking``, which upstream implements the same way):
  whole sentences packed up to ``chunk_size``; the next chunk starts with trailing sentences of
  the previous one worth at most ``chunk_overlap`` characters;
- ``paragraph_boundary``: whole paragraphs (blank-line separated) packed the same way.

A unit (sentence or paragraph) longer than ``max_chunk_size`` is cut at ``max_chunk_size``
characters. A chunk shorter than ``min_chunk_size`` is merged into its predecessor when the
result still fits ``max_chunk_size``; otherwise it is kept as it is, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flatfile_chat.errors import ValidationError

STRATEGIES = ("fixed_size", "sentence_boundary", "paragraph_boundary", "semantic_chunking")
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s+|\n\s*")
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True)
class Chunk:
    index: int
    char_start: int
    char_end: int
    text: str


@dataclass(frozen=True)
class ChunkingConfig:
    strategy: str
    chunk_size: int
    chunk_overlap: int
    max_chunk_size: int
    min_chunk_size: int

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValidationError(
                f"unknown chunking strategy {self.strategy!r} (allowed: {', '.join(STRATEGIES)})",
                key="chunking_strategy",
            )
        if not 0 <= self.chunk_overlap < self.chunk_size <= self.max_chunk_size:
            raise ValidationError(
                "need 0 <= chunk_overlap < chunk_size <= max_chunk_size", key="chunk_size"
            )


def chunk_text(text: str, config: ChunkingConfig) -> list[Chunk]:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("document content is empty; nothing to index", key="content")
    if config.strategy == "fixed_size":
        spans = _fixed(len(text), config.chunk_size, config.chunk_overlap)
    else:
        pattern = _PARAGRAPH_END if config.strategy == "paragraph_boundary" else _SENTENCE_END
        units = _split_long(_units(text, pattern), config.max_chunk_size)
        spans = _pack(units, config)
    return [Chunk(i, start, end, text[start:end]) for i, (start, end) in enumerate(spans)]


def _fixed(length: int, size: int, overlap: int) -> list[tuple[int, int]]:
    step = size - overlap
    spans, start = [], 0
    while True:
        end = min(start + size, length)
        spans.append((start, end))
        if end >= length:
            return spans
        start += step


def _units(text: str, boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    """Contiguous spans, each ending after its separator (so whitespace is never orphaned)."""
    units, start = [], 0
    for match in boundary.finditer(text):
        if match.end() > start and match.end() < len(text):
            units.append((start, match.end()))
            start = match.end()
    units.append((start, len(text)))
    return units


def _split_long(units: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    result = []
    for start, end in units:
        while end - start > limit:
            result.append((start, start + limit))
            start += limit
        result.append((start, end))
    return result


def _pack(units: list[tuple[int, int]], config: ChunkingConfig) -> list[tuple[int, int]]:
    """Greedy packing of whole units; the overlap reuses trailing units of the last chunk."""
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        first = i
        start, end = units[i]
        i += 1
        while i < len(units) and units[i][1] - start <= config.chunk_size:
            end = units[i][1]
            i += 1
        chunks.append((start, end))
        if i < len(units) and config.chunk_overlap:
            # Step back over whole trailing units while they fit the overlap budget and the
            # next chunk still reaches the first new unit (so every chunk adds new text).
            back = i
            while (
                back - 1 > first
                and units[i - 1][1] - units[back - 1][0] <= config.chunk_overlap
                and units[i][1] - units[back - 1][0] <= config.chunk_size
            ):
                back -= 1
            i = back
    return _merge_small(chunks, config)


def _merge_small(chunks: list[tuple[int, int]], config: ChunkingConfig) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in chunks:
        if (
            merged
            and end - start < config.min_chunk_size
            and end - merged[-1][0] <= config.max_chunk_size
        ):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged

"""Chunking properties: full coverage, exact offsets, never zero chunks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flatfile_chat.errors import ValidationError
from flatfile_chat.knowledge.chunking import STRATEGIES, ChunkingConfig, chunk_text

_TEXT = st.text(
    alphabet=st.sampled_from("abc xyz.!?\n\t\u00e9\u4e2d"), min_size=1, max_size=600
).filter(lambda t: t.strip())


@st.composite
def configs(draw) -> ChunkingConfig:
    size = draw(st.integers(2, 120))
    overlap = draw(st.integers(0, size - 1))
    return ChunkingConfig(
        strategy=draw(st.sampled_from(STRATEGIES)),
        chunk_size=size,
        chunk_overlap=overlap,
        max_chunk_size=draw(st.integers(size, size * 3)),
        min_chunk_size=draw(st.integers(0, size)),
    )


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, config=configs())
def test_chunks_cover_every_character_with_exact_offsets(text, config):
    chunks = chunk_text(text, config)
    assert chunks, "a non-empty document yields at least one chunk"
    covered = [False] * len(text)
    for number, chunk in enumerate(chunks):
        assert chunk.index == number
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert 0 <= chunk.char_start < chunk.char_end <= len(text)
        for i in range(chunk.char_start, chunk.char_end):
            covered[i] = True
    assert all(covered)
    starts = [c.char_start for c in chunks]
    assert starts == sorted(set(starts)), "chunks advance through the document"


@settings(max_examples=100, deadline=None)
@given(text=_TEXT, config=configs())
def test_no_chunk_exceeds_max_size(text, config):
    for chunk in chunk_text(text, config):
        assert chunk.char_end - chunk.char_start <= config.max_chunk_size


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_tiny_document_gives_one_chunk_despite_min_size(strategy):
    config = ChunkingConfig(
        strategy, chunk_size=512, chunk_overlap=64, max_chunk_size=1024, min_chunk_size=100
    )
    chunks = chunk_text("Hi.", config)
    assert [(c.char_start, c.char_end, c.text) for c in chunks] == [(0, 3, "Hi.")]


def test_sentence_chunks_end_on_sentence_boundaries():
    text = "One two. Three four! Five six? Seven."
    config = ChunkingConfig(
        "sentence_boundary", chunk_size=12, chunk_overlap=0, max_chunk_size=40, min_chunk_size=0
    )
    assert [c.text for c in chunk_text(text, config)] == [
        "One two. ",
        "Three four! ",
        "Five six? ",
        "Seven.",
    ]


def test_paragraph_chunks_and_fixed_overlap():
    text = "para one.\n\npara two.\n\npara three."
    config = ChunkingConfig(
        "paragraph_boundary", chunk_size=12, chunk_overlap=0, max_chunk_size=40, min_chunk_size=0
    )
    assert [c.text for c in chunk_text(text, config)] == [
        "para one.\n\n",
        "para two.\n\n",
        "para three.",
    ]
    fixed = ChunkingConfig(
        "fixed_size", chunk_size=10, chunk_overlap=4, max_chunk_size=10, min_chunk_size=0
    )
    spans = [(c.char_start, c.char_end) for c in chunk_text("x" * 25, fixed)]
    assert spans == [(0, 10), (6, 16), (12, 22), (18, 25)]


def test_empty_document_is_refused():
    config = ChunkingConfig("fixed_size", 10, 0, 10, 0)
    with pytest.raises(ValidationError, match="empty"):
        chunk_text("  \n ", config)

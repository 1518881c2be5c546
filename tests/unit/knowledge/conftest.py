"""Knowledge fixtures: users alice/bob/carol, a KB manager and a RAG manager on real files."""

from __future__ import annotations

import gc
from asyncio import run
from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np
import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.knowledge import FFKnowledgeBaseManager, FFRAGContextManager

BIOLOGY = (
    "Photosynthesis converts light into chemical energy. Chlorophyll absorbs red and "
    "blue light in the leaves.\n\nMitochondria are the powerhouse of the cell. They "
    "produce ATP through cellular respiration."
)
HISTORY = (
    "The Magna Carta was sealed in 1215 at Runnymede. It limited the power of the "
    "king.\n\nThe printing press spread across Europe after Gutenberg."
)


@pytest.fixture(autouse=True)
def _flush_dropped_managers():
    """A KB manager flushes its query counters when it is collected; collect this test's
    managers now, while their folders exist, not in the middle of a later test (a scenario
    step in the same xdist worker then saw a write outside its store root)."""
    yield
    gc.collect()


class BlindEmbedder:
    """Semantic signal off: every text maps to the zero vector (keyword-only retrieval)."""

    name = "blind-v1"
    dimensions = 8

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), self.dimensions), dtype=np.float32)


@pytest.fixture
def corpus() -> SimpleNamespace:
    """Two small documents with distinct vocabularies."""
    return SimpleNamespace(biology=BIOLOGY, history=HISTORY)


@pytest.fixture
def blind_embedder() -> BlindEmbedder:
    return BlindEmbedder()


@pytest.fixture
def users(store: FFStorageManager) -> list[str]:
    for user in ("alice", "bob", "carol"):
        run(store.create_user(user))
    return ["alice", "bob", "carol"]


@pytest.fixture
def kb(store: FFStorageManager, users) -> FFKnowledgeBaseManager:
    manager = FFKnowledgeBaseManager(store)
    yield manager
    manager.close()


@pytest.fixture
def rag(store: FFStorageManager, kb) -> FFRAGContextManager:
    return FFRAGContextManager(store, kb)


@pytest.fixture
def bio_kb(kb) -> str:
    record = run(kb.create_knowledge_base("alice", "Biology"))
    run(
        kb.add_document_to_kb(
            "alice", record.kb_id, "notes/biology.txt", BIOLOGY, {"title": "Biology notes"}
        )
    )
    return record.kb_id

"""Hybrid retrieval's matrix product runs on one BLAS thread by default (issue 11: two
OpenBLAS threads contending on a busy 2-core machine made p50 go from ~3 ms to ~25 ms), and
the process's own BLAS setting comes back afterwards."""

from __future__ import annotations

import threading
from asyncio import run
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from flatfile_chat.knowledge import FFKnowledgeBaseManager, blas

if blas.threads() is None:
    pytest.skip("numpy's BLAS is not an OpenBLAS we can query", allow_module_level=True)


class _Probe(np.ndarray):
    """A query vector that notes OpenBLAS's thread count whenever numpy multiplies it."""

    seen: list[int] = []

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any):
        if ufunc is np.matmul:
            _Probe.seen.append(blas.threads())
        plain = [x.view(np.ndarray) if isinstance(x, _Probe) else x for x in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)


class _ProbingEmbedder:
    """The KB's own embedder, whose vectors come back as probes."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dimensions = inner, inner.name, inner.dimensions

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed(texts).view(_Probe)


@pytest.fixture
def many_threads() -> Iterator[int]:
    """The process allows 2+ BLAS threads (as on any multi-core machine), so the test means
    the same with OPENBLAS_NUM_THREADS=1 set or on one core."""
    before = blas.threads()
    wanted = max(2, before)
    blas.set_threads(wanted)
    yield wanted
    blas.set_threads(before)


def test_hybrid_retrieval_runs_on_one_blas_thread(
    kb: FFKnowledgeBaseManager, bio_kb: str, many_threads: int
) -> None:
    kb._repo.embedder = _ProbingEmbedder(kb._repo.embedder)
    _Probe.seen = []
    result = run(
        kb.retrieve_context(
            "alice", "chlorophyll light leaves", [bio_kb], retrieval_strategy="hybrid_retrieval"
        )
    )
    assert result.contexts
    assert _Probe.seen == [1], f"BLAS threads during the product: {_Probe.seen}"
    assert blas.threads() == many_threads, "the process's own count must come back"


def test_concurrent_scopes_restore_the_process_count(many_threads: int) -> None:
    """Overlapping scopes on several threads: the count stays limited until the last one
    leaves, then the process's count is back (not the limit a later scope saw)."""
    inside: list[int | None] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        with blas.limited(1):
            barrier.wait()
            inside.append(blas.threads())
            barrier.wait()

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert inside == [1, 1, 1, 1]
    assert blas.threads() == many_threads

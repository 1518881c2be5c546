"""The OpenBLAS lookup itself, run inside the test (``threads()`` caches the first lookup for
the whole process, so only a direct call exercises it again)."""

from __future__ import annotations

import pytest

from flatfile_chat.knowledge import blas


def test_find_returns_callable_get_and_set_of_numpys_openblas() -> None:
    if blas.threads() is None:
        pytest.skip("numpy's BLAS is not an OpenBLAS we can query")
    found = blas._find()
    assert found is not None
    count = found.get()
    assert isinstance(count, int) and count >= 1
    assert count == blas.threads()
    found.set(count)
    assert found.get() == count

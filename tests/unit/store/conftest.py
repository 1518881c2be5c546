"""Fixtures shared by the store's unit tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def umask_022() -> Iterator[None]:
    """A permissive umask, so the file modes a test sees are the store's, not a strict umask's."""
    old = os.umask(0o022)
    yield
    os.umask(old)

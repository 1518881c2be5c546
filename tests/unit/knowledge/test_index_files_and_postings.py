"""Stored index files are checked, never trusted: a pickled embeddings file is refused, and a
keyword index whose postings are out of order is sorted with its scores kept alongside."""

from __future__ import annotations

import io

import numpy as np
import pytest

from flatfile_chat.errors import StorageCorrupted
from flatfile_chat.knowledge.index_files import decode_matrix
from flatfile_chat.knowledge.keyword import _sort_postings


def test_embeddings_holding_pickled_objects_are_refused_not_unpickled():
    buffer = io.BytesIO()
    np.save(buffer, np.array([[{"a": 1}, None]], dtype=object), allow_pickle=True)
    with pytest.raises(StorageCorrupted, match="unreadable embeddings"):
        decode_matrix(buffer.getvalue(), where="vectors/embeddings.npy")


def test_plain_embeddings_are_decoded():
    buffer = io.BytesIO()
    np.save(buffer, np.ones((2, 3), dtype=np.float32))
    assert decode_matrix(buffer.getvalue(), where="e.npy").shape == (2, 3)


def test_out_of_order_postings_are_sorted_with_their_scores():
    # one token column holding rows 2, 0, 1 with scores 0.2, 0.0, 0.1
    scores = {
        "indptr": np.array([0, 3]),
        "indices": np.array([2, 0, 1], dtype=np.int32),
        "data": np.array([0.2, 0.0, 0.1]),
    }
    _sort_postings(scores)
    assert scores["indices"].tolist() == [0, 1, 2]
    assert scores["data"].tolist() == [0.0, 0.1, 0.2]

"""The retrieval cache's shard layout and key shape, pinned to exact values."""

from __future__ import annotations

import re

from flatfile_chat.knowledge.cache import MAX_SHARDS, cache_key, shard_layout


def test_shard_layout_counts_whole_entries() -> None:
    assert MAX_SHARDS == 64
    assert shard_layout(1) == (1, 1)
    assert shard_layout(2) == (2, 1)
    assert shard_layout(64) == (64, 1)
    assert shard_layout(100) == (64, 1)
    assert shard_layout(1000) == (64, 15)
    keep = shard_layout(1000)[1]
    assert isinstance(keep, int)
    assert shard_layout(0) == (1, 1)


def test_cache_key_is_32_hex_digits_and_order_sensitive() -> None:
    key = cache_key("q", "hybrid_retrieval", 10, 0.3, "local-hash-v1", 384, 50)
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert key == cache_key("q", "hybrid_retrieval", 10, 0.3, "local-hash-v1", 384, 50)
    assert key != cache_key("q", "hybrid_retrieval", 10, 0.31, "local-hash-v1", 384, 50)
    assert cache_key(1, 2) != cache_key(2, 1)

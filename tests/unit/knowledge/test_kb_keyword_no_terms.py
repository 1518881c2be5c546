"""A keyword index over chunks without a single keyword (stopwords, one-letter words): bm25s
cannot index an empty vocabulary, so the index is empty but still counts its rows."""

from __future__ import annotations

from flatfile_chat.knowledge.keyword import KeywordIndex


def test_chunks_without_keywords_give_an_empty_index_of_their_rows() -> None:
    index = KeywordIndex.build(["The and of.", "x y"], "fp")
    assert index.num_docs == 2
    assert index.search("the x", 5).rows.tolist() == []
    loaded = KeywordIndex.from_bytes(index.to_bytes(), where="bm25")
    assert (loaded.fingerprint, loaded.num_docs) == ("fp", 2)
    assert loaded.search("solar", 5).rows.tolist() == []


def test_no_chunks_give_an_empty_index() -> None:
    loaded = KeywordIndex.from_bytes(KeywordIndex.build([], "fp0").to_bytes(), where="bm25")
    assert (loaded.fingerprint, loaded.num_docs) == ("fp0", 0)


def test_one_chunk_with_a_keyword_is_enough() -> None:
    index = KeywordIndex.build(["x y", "Solar panels"], "fp")
    assert index.search("solar", 5).rows.tolist() == [1]

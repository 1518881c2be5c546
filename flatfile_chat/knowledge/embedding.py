"""The dense-embedding interface and its default: a deterministic local hashing embedder.

No network and no model download: a text's features (its words, minus English stopwords, and
each word's character 3-grams) are hashed (blake2b, keyed by nothing, so the same on every
machine and Python run) into ``dimensions`` buckets with a ±1 sign, weighted 1 for words and
0.5 for n-grams, and the vector is L2-normalised. Texts sharing words or word stems get a high
cosine; unrelated texts land near 0. It is a stand-in for a real embedding model, which plugs
in through :class:`Embedder`.

Vectors are float32 (``embeddings.npy``): half the bytes of float64, and cosine scores only
need a few significant digits.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from flatfile_chat.knowledge.keyword import STOPWORDS

DTYPE = np.float32
_BATCH = 2048  # texts per vectorised step (bounds the temporary arrays)
_WORD = re.compile(r"\w\w+")


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised rows of a fixed width."""

    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Shape ``(len(texts), dimensions)``, dtype float32, rows of unit length (or 0)."""
        ...


class HashingEmbedder:
    def __init__(self, dimensions: int = 384, *, name: str = "local-hash-v1") -> None:
        if dimensions <= 0:
            raise ValueError("dimensions must be positive")
        self.dimensions = dimensions
        self.name = name
        # word -> (buckets, signed weights) of all its features; words repeat a lot (Zipf),
        # so each is hashed once per process.
        self._words: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        parts = [self._embed_batch(texts[i : i + _BATCH]) for i in range(0, len(texts), _BATCH)]
        if not parts:
            return np.zeros((0, self.dimensions), dtype=DTYPE)
        return np.vstack(parts)

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Vectorised: (text, word, count) pairs expand through each word's feature buckets
        into one ``bincount`` over ``row * dimensions + bucket``."""
        dims = self.dimensions
        vocab: dict[str, int] = {}
        rows: list[int] = []
        words: list[int] = []
        counts: list[int] = []
        for row, text in enumerate(texts):
            for word, count in Counter(
                w for w in _WORD.findall(text.casefold()) if w not in STOPWORDS
            ).items():
                rows.append(row)
                words.append(vocab.setdefault(word, len(vocab)))
                counts.append(count)
        out: np.ndarray = np.zeros((len(texts), dims))  # bincount's stub says int: it is float
        if vocab:
            features = [self._word(word) for word in vocab]
            width = max(len(buckets) for buckets, _ in features)
            bucket_table = np.zeros((len(features), width), dtype=np.int64)
            weight_table = np.zeros((len(features), width))  # padding weighs 0
            for i, (buckets, signed) in enumerate(features):
                bucket_table[i, : len(buckets)] = buckets
                weight_table[i, : len(signed)] = signed
            word_ids = np.array(words)
            flat = (np.array(rows)[:, None] * dims + bucket_table[word_ids]).ravel()
            weights = (weight_table[word_ids] * np.array(counts, dtype=float)[:, None]).ravel()
            out = np.bincount(flat, weights=weights, minlength=len(texts) * dims)
            out = out.reshape(len(texts), dims)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out.astype(DTYPE)

    def _word(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        hit = self._words.get(word)
        if hit is None:
            padded = f"<{word}>"
            features = [("w:" + word, 1.0)] + [
                ("g:" + padded[i : i + 3], 0.5) for i in range(len(padded) - 2)
            ]
            buckets, weights = [], []
            for feature, weight in features:
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                buckets.append(value % self.dimensions)
                weights.append(weight if (value >> 63) & 1 else -weight)
            hit = (np.array(buckets, dtype=np.int64), np.array(weights))
            if len(self._words) < 500_000:
                self._words[word] = hit
        return hit

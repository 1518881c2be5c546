"""Text normalisation shared by search and summaries.

Upstream split on whitespace only, so ``"Paris?"`` never matched ``paris``. Here a term is a
run of letters/digits after Unicode compatibility folding, accent stripping and case folding,
with a conservative English plural fold (``reminders`` → ``reminder``) applied identically to
queries and memories. Stop words come from ``bm25s`` (already a dependency).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"[^\W_]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
STOPWORDS = frozenset(STOPWORDS_EN)


def fold(text: str) -> str:
    """Case-, width- and accent-insensitive form of ``text``."""
    if not text.isascii():
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    return text.casefold()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Fold regular English plurals; leaves short words and -ss/-us/-is endings alone."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    return word[:-1]


def terms(text: str) -> list[str]:
    """Every normalised term of ``text`` in order (duplicates kept)."""
    return [stem(w) for w in _WORD.findall(fold(text))]


def query_terms(text: str) -> list[str]:
    """Distinct query terms without stop words (kept if the query is nothing else)."""
    found = list(dict.fromkeys(terms(text)))
    content = [t for t in found if t not in STOPWORDS]
    return content or found


def sentences(text: str) -> list[str]:
    """Split prose into sentences for extractive summaries (no model, deterministic)."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]

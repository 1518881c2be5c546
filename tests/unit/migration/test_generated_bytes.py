"""The old-store generators' exact output, pinned: the sha256 of every generated tree (paths,
folders and file bytes) and its counts, per generation and for three argument sets.

The generators take their time and randomness from the seed alone (never the wall clock), so
the same arguments give the same bytes on every machine. A change to any field name, value,
file name, timestamp or line changes a digest here. When a generator is changed on purpose,
recompute the digests and say why in the commit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat.migration.generators import generate

ARGS: dict[str, dict[str, Any]] = {
    "default": {},
    "plain": {
        "traps": False,
        "documents": False,
        "vectors": False,
        "users": 1,
        "sessions_per_user": 1,
        "messages_per_session": 2,
        "seed": 3,
    },
    "malformed": {"malformed_lines": 2, "seed": 9, "users": 3},
}

# (generation, args) -> (tree sha256, users, sessions, messages, documents, vectors, entries)
EXPECTED = {
    ("G0", "default"): (
        "07ed0e5fe0cb401f70456113fe17956d3d18645ea37272aee016f1716fde242c",
        2,
        4,
        16,
        3,
        0,
        25,
    ),
    ("G0", "plain"): (
        "fb73ab096fc5f199dd428a765d37dce7d6b8b7053bdf9c29fd1f1a4baf2ff8c4",
        1,
        1,
        2,
        0,
        0,
        5,
    ),
    ("G0", "malformed"): (
        "230daaaa6a92f3ffdff0e75878062b1301fad3ef5a155d36f31b1690740f2473",
        3,
        6,
        24,
        5,
        0,
        38,
    ),
    ("G1", "default"): (
        "f4494756c4c3a52e107862165d120bb0fea274f97cddd945d0f38453fbc35206",
        2,
        6,
        20,
        8,
        16,
        49,
    ),
    ("G1", "plain"): (
        "7ca26e190ab8dbb612f562f29e9fedb098ff410a53023b091761d6c7c97da87f",
        1,
        1,
        2,
        0,
        0,
        6,
    ),
    ("G1", "malformed"): (
        "bdcd79701b27502f0e67e749a46489f3109b0cc27bb4d3dd5d56b15ba329381b",
        3,
        8,
        28,
        10,
        20,
        65,
    ),
    ("G2", "default"): (
        "e48405d1f68a2f5b97ddee0dd41471bc06e9323166a2c061c9789b355d8a1f66",
        3,
        7,
        21,
        8,
        16,
        51,
    ),
    ("G2", "plain"): (
        "581db97b8777e61fa0b13da412c1a160aa51bcc5b69f9a1f6357c9429cd9462f",
        1,
        1,
        2,
        0,
        0,
        6,
    ),
    ("G2", "malformed"): (
        "a3e2a5b291f02a1d0df68de03190b905c56d4ce9349f5d6139fc44e6f86b25c6",
        4,
        9,
        29,
        9,
        18,
        66,
    ),
    ("G3", "default"): (
        "05fe5cd729152aaed6bf605a0cdcf1bb312e3343d43bbf3ece1471755a682508",
        3,
        11,
        37,
        8,
        16,
        72,
    ),
    ("G3", "plain"): (
        "f16182300c22bb68624f55a9af2b3bb985d5174c746465aede17a9d452a25eac",
        1,
        5,
        12,
        0,
        0,
        27,
    ),
    ("G3", "malformed"): (
        "aa3995b98146941047241d24c08c4c13f4e907d9b7658a38438d736d96ee190b",
        4,
        13,
        45,
        8,
        16,
        86,
    ),
}

MALFORMED = {
    "G0": [
        ("alice/chat_session_20250722_180239/messages.jsonl", 5),
        ("alice/chat_session_20250722_185047/messages.jsonl", 5),
    ],
    "G1": [
        ("users/alice/chat_session_20250723_175246_413884/messages.jsonl", 5),
        ("users/alice/chat_session_20250723_182554_905586/messages.jsonl", 5),
    ],
    "G2": [
        ("users/alice/chat_session_20250731_142356_592322/messages.jsonl", 5),
        ("users/alice/chat_session_20250731_151814_152113/messages.jsonl", 5),
    ],
    "G3": [
        ("users/alice/chat_session_20250811_183248_544459/messages.jsonl", 5),
        ("users/alice/chat_session_20250811_183858_524762/messages.jsonl", 5),
    ],
}


def tree_digest(root: Path) -> str:
    """sha256 over every entry in path order: its relative path, then its bytes' sha256 (a
    file) or the marker ``dir`` (a folder)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"dir")
    return digest.hexdigest()


@pytest.mark.parametrize(("generation", "args"), sorted(EXPECTED))
def test_generated_tree_is_byte_for_byte_the_pinned_one(
    tmp_path: Path, generation: str, args: str
) -> None:
    store = generate(generation, tmp_path / "store", **ARGS[args])
    digest, users, sessions, messages, documents, vectors, entries = EXPECTED[(generation, args)]
    assert store.root == tmp_path / "store"
    assert store.generation == generation
    assert (store.users, store.sessions, store.messages) == (users, sessions, messages)
    assert (store.documents, store.vectors) == (documents, vectors)
    assert len(list(store.root.rglob("*"))) == entries
    assert store.malformed_lines == (MALFORMED[generation] if args == "malformed" else [])
    assert tree_digest(store.root) == digest

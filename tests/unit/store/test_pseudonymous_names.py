"""storage.encryption.names_key: user folders are keyed pseudonyms; the store works the same."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pytest

from flatfile_chat import FFStorageManager
from flatfile_chat.errors import AlreadyExists, ConfigError, StorageCorrupted
from flatfile_chat.knowledge import FFKnowledgeBaseManager
from flatfile_chat.memory import FFMemoryLayerManager

DATA_KEY = f"base64:{base64.b64encode(b'd' * 32).decode()}"
NAMES_KEY = f"base64:{base64.b64encode(b'n' * 32).decode()}"
USERS = ("alice.smith", "bob-jones")


@pytest.fixture
def open_store(make_store):
    """``open_store(root, names_key=NAMES_KEY, enabled=True)``: a store over ``root``."""

    def build(root: Path, names_key: str = NAMES_KEY, enabled: bool = True) -> FFStorageManager:
        encryption = {
            "enabled": enabled,
            "active_key_id": "k1",
            "keys": {"k1": DATA_KEY},
            "names_key": names_key,
        }
        return make_store(root=root, seed=4, encryption=encryption)

    return build


def _use(store: FFStorageManager) -> str:
    async def go() -> str:
        for user in USERS:
            await store.create_user(user, {"username": user})
            sid = (await store.create_session(user, "t")).session_id
            await store.add_message(user, sid, {"role": "user", "content": f"hi from {user}"})
            await store.store_document(user, sid, "notes.txt", b"notes")
        await FFMemoryLayerManager(store).add_memory_context(
            USERS[0], {"content": "likes tea", "relevance_score": 0.9}
        )
        kb = FFKnowledgeBaseManager(store)
        kb_id = (await kb.create_knowledge_base(USERS[0], "Bio")).kb_id
        await kb.add_document_to_kb(USERS[0], kb_id, "biology.txt", "photosynthesis")
        return sid

    return asyncio.run(go())


def _names(root: Path) -> set[str]:
    return {name for _d, dirs, files in os.walk(root) for name in (*dirs, *files)}


def test_user_ids_appear_in_no_file_or_folder_name(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _use(store)
    words = [u.split(".")[0].split("-")[0] for u in USERS] + ["notes", "biology"]
    leaked = {n for n in _names(tmp_path) if any(w in n for w in words)}
    assert not leaked, leaked  # user ids and uploaded file names
    docs = asyncio.run(
        store.list_documents(USERS[1], asyncio.run(store.list_sessions(USERS[1]))[0].session_id)
    )
    assert docs[0].original_name == "notes.txt" and docs[0].filename.endswith("_doc.txt")
    assert asyncio.run(store.list_users()) == sorted(USERS)
    assert store.check_integrity() == []
    again = open_store(tmp_path)  # a new process: learns the users from their sealed profiles
    assert asyncio.run(again.list_users()) == sorted(USERS)
    sessions = asyncio.run(again.list_sessions(USERS[1]))
    messages = asyncio.run(again.get_messages(USERS[1], sessions[0].session_id))
    assert [m.content for m in messages] == [f"hi from {USERS[1]}"]
    assert again.check_integrity() == [] and again.repair().counters_fixed == []


def test_without_names_key_user_ids_are_folder_names(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path, names_key="")
    _use(store)
    assert set(USERS) <= set(os.listdir(tmp_path / "users"))


def test_an_id_differing_only_in_case_is_refused(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    asyncio.run(store.create_user("alice"))
    with pytest.raises(AlreadyExists, match="differs only in case"):
        asyncio.run(store.create_user("Alice"))
    with pytest.raises(AlreadyExists, match="differs only in case"):
        asyncio.run(store.get_user_profile("ALICE"))


def test_names_key_needs_encryption(open_store, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="names_key"):
        open_store(tmp_path, enabled=False)


def test_a_folder_whose_profile_is_lost_is_refused_not_handed_to_a_case_variant(
    open_store,
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    _use(store)
    profile = tmp_path / "users" / store.ctx.fs.user_folder(USERS[1]) / "profile.json"
    profile.unlink()
    fresh = open_store(tmp_path)
    with pytest.raises(StorageCorrupted, match="cannot be verified"):
        asyncio.run(fresh.create_user(USERS[1].upper()))
    with pytest.raises(StorageCorrupted, match="cannot be verified"):
        asyncio.run(fresh.list_sessions(USERS[1].upper()))
    assert "user_unverifiable" in {i.kind for i in fresh.check_integrity()}


def test_the_naming_a_store_was_created_with_is_enforced(open_store, tmp_path: Path) -> None:
    _use(open_store(tmp_path / "plain", names_key=""))
    with pytest.raises(ConfigError, match="created without a names key"):
        open_store(tmp_path / "plain")
    _use(open_store(tmp_path / "pseudo"))
    with pytest.raises(ConfigError, match="keyed pseudonyms"):
        open_store(tmp_path / "pseudo", names_key="")
    other = f"base64:{base64.b64encode(b'x' * 32).decode()}"
    with pytest.raises(ConfigError, match="not the key"):
        open_store(tmp_path / "pseudo", names_key=other)


def test_kb_document_names_keep_no_words_of_the_upload_name(open_store, tmp_path: Path) -> None:
    store = open_store(tmp_path)
    asyncio.run(store.create_user("carol"))
    kb = FFKnowledgeBaseManager(store)
    kb_id = asyncio.run(kb.create_knowledge_base("carol", "K")).kb_id
    for name in ("Notes on Mr. Carlson", "contract.Bob-Jones", "scan.PDF"):
        asyncio.run(kb.add_document_to_kb("carol", kb_id, name, f"text of {name}"))
    stored = sorted(p.name for p in tmp_path.rglob("doc_*") if p.is_file())
    assert not [n for n in stored if "carlson" in n.lower() or "jones" in n.lower()], stored
    assert any(n.endswith("_doc.pdf") for n in stored), stored

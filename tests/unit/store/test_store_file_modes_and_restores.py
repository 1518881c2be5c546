"""Which mode the store's files get: the manager passes ``storage.owner_only`` down to the
file layer, and bytes put back by ``restore_raw`` (undoing a multi-file update) get the
store's file mode like any other write."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from flatfile_chat.storage.filestore import FileStore


@pytest.mark.usefixtures("umask_022")
def test_a_store_configured_shared_writes_group_readable_profiles(make_store) -> None:
    shared = make_store(overrides={"storage": {"owner_only": False}})
    asyncio.run(shared.create_user("alice"))
    profile = shared.ctx.fs.path("users", "alice", "profile.json")
    assert os.stat(profile).st_mode & 0o777 == 0o644
    assert shared.ctx.fs.file_mode == 0o644
    private = make_store()
    asyncio.run(private.create_user("bob"))
    profile = private.ctx.fs.path("users", "bob", "profile.json")
    assert os.stat(profile).st_mode & 0o777 == 0o600


@pytest.mark.usefixtures("umask_022")
@pytest.mark.parametrize(("owner_only", "mode"), [(True, 0o600), (False, 0o644)])
def test_restore_raw_puts_the_old_bytes_back_with_the_store_mode(
    tmp_path: Path, owner_only: bool, mode: int
) -> None:
    fs = FileStore(tmp_path / "root", durability="none", owner_only=owner_only)
    path = fs.path("doc.json")
    fs.write_json(path, {"v": 1})
    before = fs.read_raw(path)
    assert before is not None
    fs.write_json(path, {"v": 2})
    os.unlink(path)
    fs.restore_raw(path, before)
    assert path.read_bytes() == before
    assert os.stat(path).st_mode & 0o777 == mode
    fs.restore_raw(path, None)
    assert not path.exists()

"""The file layer's answers and refusals, exactly: which user owns a path, what each refusal
says and carries (``path``), what a listing or a case check returns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flatfile_chat.errors import AlreadyExists, NotFound, UnsafePath
from flatfile_chat.storage.filestore import FileStore


@pytest.fixture
def fs(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "root", durability="none")


def test_owner_of_is_the_user_folder_of_a_file_below_it(fs: FileStore) -> None:
    assert fs.owner_of(fs.path("users", "alice", "profile.json")) == "alice"
    assert fs.owner_of(fs.path("users", "alice", "s", "messages.jsonl")) == "alice"
    assert fs.owner_of(fs.path("users", "alice")) == ""
    assert fs.owner_of(fs.path("personas_global", "tutor.json")) == ""
    assert fs.owner_of(fs.path("shared", "alice", "x.json")) == ""


def test_exclusive_writes_refuse_an_existing_file_naming_it(fs: FileStore) -> None:
    fs.ensure_dir(fs.path("docs"))
    blob = fs.path("docs", "a.bin")
    fs.write_blob(blob, b"one")
    with pytest.raises(AlreadyExists) as caught:
        fs.write_blob(blob, b"two")
    assert (caught.value.message, caught.value.path) == ("docs/a.bin already exists", "docs/a.bin")
    assert fs.read_blob(blob) == b"one"
    fs.write_blob(blob, b"three", exclusive=False)
    assert fs.read_blob(blob) == b"three"
    doc = fs.path("docs", "a.json")
    fs.write_json(doc, {"v": 1}, exclusive=True)
    with pytest.raises(AlreadyExists) as caught:
        fs.write_json(doc, {"v": 2}, exclusive=True)
    assert (caught.value.message, caught.value.path) == (
        "docs/a.json already exists",
        "docs/a.json",
    )


def test_missing_files_are_not_found_by_their_relative_path(fs: FileStore) -> None:
    missing = fs.path("docs", "gone.json")
    for call in (fs.read_json, fs.read_blob, fs.remove):
        with pytest.raises(NotFound) as caught:
            call(missing)
        assert (caught.value.message, caught.value.path) == (
            "docs/gone.json does not exist",
            "docs/gone.json",
        )
    assert fs.read_json(missing, default=None) is None
    assert fs.read_raw(missing) is None
    with pytest.raises(NotFound) as caught:
        fs.lock(missing)
    assert caught.value.message == "docs does not exist (cannot lock gone.json in it)"
    assert caught.value.path == "docs"


def test_folders_are_claimed_once_and_never_through_a_file(fs: FileStore) -> None:
    folder = fs.create_dir(fs.path("a", "b"))
    assert folder.is_dir()
    with pytest.raises(AlreadyExists) as caught:
        fs.create_dir(fs.path("a", "b"))
    assert (caught.value.message, caught.value.path) == ("a/b already exists", "a/b")
    fs.write_blob(fs.path("a", "file"), b"x")
    with pytest.raises(UnsafePath) as refused:
        fs.ensure_dir(fs.path("a", "file", "c"))
    assert refused.value.message == "refusing 'a/file': the store expects a folder here"
    assert refused.value.value == "a/file"
    assert fs.ensure_dir(fs.path("a", "b")) == fs.path("a", "b")
    assert fs.ensure_dir(fs.path("x", "y", "z")).is_dir()


def test_a_symlink_inside_the_root_is_refused_naming_it_and_its_target(fs: FileStore) -> None:
    fs.ensure_dir(fs.path("users"))
    os.symlink("/tmp", fs.root / "users" / "evil")
    with pytest.raises(UnsafePath) as caught:
        fs.read_json(fs.path("users", "evil", "x.json"))
    assert caught.value.message == (
        "refusing 'users/evil': it is a symbolic link inside the store root (to '/tmp'); "
        "the store never follows links"
    )
    assert caught.value.value == "users/evil"
    assert not fs.is_dir(fs.root / "users" / "evil")
    assert fs.is_dir(fs.root / "users")
    with pytest.raises(UnsafePath):
        fs.listdir(fs.root / "users" / "evil")


def test_case_variant_finds_a_sibling_differing_only_in_case(fs: FileStore) -> None:
    fs.ensure_dir(fs.path("users", "Alice"))
    fs.ensure_dir(fs.path("users", "bob"))
    assert fs.case_variant(fs.path("users", "alice")) == "Alice"
    assert fs.case_variant(fs.path("users", "ALICE")) == "Alice"
    assert fs.case_variant(fs.path("users", "Alice")) is None
    assert fs.case_variant(fs.path("users", "carol")) is None
    assert fs.case_variant(fs.path("nowhere", "x")) is None


def test_iter_files_lists_every_file_with_the_suffix_but_no_link(fs: FileStore) -> None:
    fs.ensure_dir(fs.path("a", "b"))
    for name in ("a/one.jsonl", "a/b/two.jsonl", "a/b/three.json"):
        fs.write_blob(fs.path(*name.split("/")), b"")
    os.symlink(fs.root / "a" / "one.jsonl", fs.root / "a" / "link.jsonl")
    found = sorted(fs.rel(p) for p in fs.iter_files(".jsonl"))
    assert found == ["a/b/two.jsonl", "a/one.jsonl"]


@pytest.mark.usefixtures("umask_022")
def test_a_shared_store_writes_group_readable_files_and_private_ones_on_request(
    tmp_path: Path,
) -> None:
    fs = FileStore(tmp_path / "shared", durability="none", owner_only=False)
    fs.write_blob(fs.path("doc.bin"), b"x")
    fs.write_blob(fs.path("key.bin"), b"k", private=True)
    fs.write_json(fs.path("a.json"), {"v": 1})
    assert os.stat(fs.path("doc.bin")).st_mode & 0o777 == 0o644
    assert os.stat(fs.path("key.bin")).st_mode & 0o777 == 0o600
    assert os.stat(fs.path("a.json")).st_mode & 0o777 == 0o644
    private = FileStore(tmp_path / "private", durability="none")
    private.write_blob(private.path("doc.bin"), b"x")
    assert os.stat(private.path("doc.bin")).st_mode & 0o777 == 0o600


@pytest.mark.usefixtures("umask_022")
def test_repair_keeps_the_store_mode_and_reports_a_clean_file_exactly(tmp_path: Path) -> None:
    fs = FileStore(tmp_path / "shared", durability="none", owner_only=False)
    log = fs.path("log.jsonl")
    fs.append_jsonl(log, [{"n": 1}, {"n": 2}])
    clean = fs.repair_jsonl(log)
    assert (clean.kept, clean.moved, clean.rejected_file, clean.bad_lines, clean.refused) == (
        2,
        0,
        None,
        (),
        (),
    )
    with log.open("ab") as out:
        out.write(b"broken\n")
    report = fs.repair_jsonl(log)
    assert (report.kept, report.moved, report.bad_lines) == (2, 1, (3,))
    assert os.stat(log).st_mode & 0o777 == 0o644
    assert os.stat(report.rejected_file).st_mode & 0o777 == 0o644
    assert fs.read_jsonl(log) == [{"n": 1}, {"n": 2}]

"""The write audit behind the outside_root invariant: every write is seen, at its real path."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prism_scenarios import write_audit
from prism_scenarios.world import World


def test_dir_fd_relative_removals_are_resolved_to_their_folder(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "f.txt").write_text("x")
    (work / "sub" / "g.txt").write_text("y")
    with write_audit.Recorder() as written:
        fd = os.open(work, os.O_RDONLY)
        try:
            os.unlink("f.txt", dir_fd=fd)
        finally:
            os.close(fd)
        shutil.rmtree(work / "sub")  # removes entries by name relative to an open folder
    assert str(work / "f.txt") in written
    assert str(work / "sub" / "g.txt") in written
    assert all(os.path.isabs(p) and p.startswith(str(tmp_path)) for p in written)
    assert write_audit.outside(written, [str(tmp_path)]) == []


def test_writes_elsewhere_are_reported(tmp_path: Path) -> None:
    with write_audit.Recorder() as written:
        (tmp_path / "inside").mkdir()
        (tmp_path / "outside.txt").write_text("escaped")
        os.rename(tmp_path / "outside.txt", tmp_path / "inside" / "moved.txt")
    assert write_audit.outside(written, [str(tmp_path / "inside")]) == [
        str(tmp_path / "outside.txt")
    ]


def test_only_the_world_roots_and_the_uid_lock_folder_are_allowed() -> None:
    from flatfile_chat.tools.sandbox import UID_LOCK_DIR

    world = World()
    try:
        roots = world.allowed_write_roots
        assert roots == [world.store_root, world.sandbox_root, UID_LOCK_DIR]
        near_miss = str(UID_LOCK_DIR) + "-not-really/x"
        assert write_audit.outside([near_miss], [str(r) for r in roots]) == [near_miss]
    finally:
        import asyncio

        asyncio.run(world.aclose())


def test_concurrent_recorders_each_see_only_their_own_thread_s_writes(tmp_path: Path) -> None:
    """A load run drives scenarios in threads at once: each step's audit is its own."""
    import threading

    barrier = threading.Barrier(2)
    seen: dict[str, list[str]] = {}

    def scenario(name: str) -> None:
        with write_audit.Recorder() as written:
            barrier.wait()  # both recorders are open
            (tmp_path / f"{name}.txt").write_text(name)
            barrier.wait()
        seen[name] = list(written)

    threads = [threading.Thread(target=scenario, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": [str(tmp_path / "a.txt")], "b": [str(tmp_path / "b.txt")]}


def test_a_recorder_closing_removes_its_own_entry_not_an_equal_one(tmp_path: Path) -> None:
    """Two open recorders with nothing recorded yet hold equal lists; the one closing must
    not take the other's entry away (a load run's closed model hit that as 'x not in list')."""
    import contextvars

    first, second = write_audit.Recorder(), write_audit.Recorder()
    first.__enter__()
    other = contextvars.copy_context()
    other.run(second.__enter__)
    other.run(second.__exit__, None, None, None)  # equal to first's entry when it closes
    (tmp_path / "late.txt").write_text("x")  # first's entry now differs from second's
    first.__exit__(None, None, None)
    assert first.paths == [str(tmp_path / "late.txt")]
    assert write_audit._active == []

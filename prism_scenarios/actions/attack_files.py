"""Runner actions that play the attacker on disk: plant a symlink inside the store, copy one
stored file over another. They set up what the store must then withstand (a write through a
symlink, a ciphertext moved to another owner's file); the planting itself is not audited as
a scenario write (it is the test's doing, not the store's)."""

from __future__ import annotations

import os
import shutil

from pydantic import Field

from prism_scenarios import write_audit
from prism_scenarios.actions.checks import store_file, store_path
from prism_scenarios.actions.registry import Params, action
from prism_scenarios.components import Component
from prism_scenarios.errors import ScenarioError


class SymlinkParams(Params):
    path: str = Field(description="where the link goes, relative to the store root")
    target: str = Field(
        description="what it points to: any path, e.g. ${canary} (the "
        "attack world's file beside the store root)"
    )


class CopyParams(Params):
    source: str = Field(description="stored file to copy, relative to the store root")
    path: str = Field(description="stored file it replaces, relative to the store root")


@action("files.symlink", component=Component.RUNNER)
async def files_symlink(world, p: SymlinkParams) -> str:
    """Plant a symlink inside the store root (parents created); returns the link's path
    relative to the store root. An existing file there is replaced."""
    link = store_file(world, p.path)  # a folder (or the root, path "") is never replaced
    _require_folder(world, link.parent, "path", p.path)
    with write_audit.paused():
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(p.target, link)
    world.planted_links.add(world.store.fs.rel(link))
    return p.path


@action("files.copy", component=Component.RUNNER)
async def files_copy(world, p: CopyParams) -> str:
    """Copy a stored file's bytes over another stored file (e.g. one user's encrypted
    messages over another's); returns the replaced path."""
    source = store_file(world, p.source, "source", must_exist=True)
    target = store_file(world, p.path)
    if target.exists() and os.path.samefile(source, target):
        raise ScenarioError(
            f"files.copy: source {p.source!r} and path {p.path!r} are the same file"
        )
    if not target.parent.is_dir():
        raise ScenarioError(
            f"files.copy: the folder of path {p.path!r} does not exist (copy "
            "over a stored file, or beside one)"
        )
    with write_audit.paused():
        shutil.copyfile(source, target)
    return p.path


def _require_folder(world, folder, key: str, given: str) -> None:
    """Every existing ancestor of ``folder`` below the root is a folder (mkdir can make the
    rest); a file on the way is a scenario mistake, named by its parameter."""
    root = store_path(world, "")
    for ancestor in (folder, *folder.parents):
        if ancestor == root:
            return
        if ancestor.exists() and not ancestor.is_dir():
            raise ScenarioError(
                f"files.symlink: {key} {given!r} goes through "
                f"{world.store.fs.rel(ancestor)!r}, which is a file"
            )

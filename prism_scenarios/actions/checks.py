"""Read the stored files directly, so scenarios can assert on what is on disk, not on what an
API claims. Paths are relative to the scenario's store root and go through the safe join."""

from __future__ import annotations

import itertools
import os
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from flatfile_chat.errors import NotFound
from prism_scenarios.actions.outputs import FreeForm, JSONValue, closed
from prism_scenarios.actions.registry import Params, action
from prism_scenarios.components import Component
from prism_scenarios.errors import ScenarioError

FileContent = Annotated[JSONValue, FreeForm("the file's content, as parsed")]
JSONLRecord = Annotated[JSONValue, FreeForm("each line of the file, parsed")]
GivenValue = Annotated[JSONValue, FreeForm("each value as given")]


class FilePath(Params):
    path: str = Field(
        description="relative to the store root, e.g. 'users/alice/${s1}/session.json'"
    )


def store_path(world, relative: str):
    """A slash path relative to the store root, through the store's safe join."""
    return world.store.fs.path(*[part for part in relative.split("/") if part])


def store_file(world, relative: str, key: str = "path", *, must_exist: bool = False):
    """``store_path`` for an action that reads or replaces a file: a folder there (``""`` is
    the store root) is NotFound naming the parameter, so is a missing file if ``must_exist``."""
    path = store_path(world, relative)
    if path.is_dir() and not path.is_symlink():
        raise NotFound(f"{key} {relative!r} is a folder, not a file", key=key, path=relative)
    if must_exist and not path.is_file():
        raise NotFound(f"{key} {relative!r} does not exist", key=key, path=relative)
    return path


@action("files.read_json", component=Component.RUNNER)
async def files_read_json(world, p: FilePath) -> FileContent:
    """Parse a stored JSON document."""
    return world.store.fs.read_json(store_file(world, p.path))


@action("files.read_jsonl", component=Component.RUNNER)
async def files_read_jsonl(world, p: FilePath) -> list[JSONLRecord]:
    """Every record of a stored JSONL file (a bad line fails the step, naming the line)."""
    path = store_file(world, p.path)
    if not path.exists():
        raise NotFound(f"{p.path} does not exist", path=p.path)
    return world.store.fs.read_jsonl(path)


@action("files.exists", component=Component.RUNNER)
async def files_exists(world, p: FilePath) -> bool:
    """Whether a file or folder exists under the store root."""
    return store_path(world, p.path).exists()


@action("files.list", component=Component.RUNNER)
async def files_list(world, p: FilePath) -> list[str]:
    """Names in a folder (hidden lock and temp files left out), sorted."""
    path = store_path(world, p.path)
    if not path.is_dir():
        raise NotFound(f"{p.path} is not a folder", path=p.path)
    return sorted(n for n in os.listdir(path) if not n.startswith("."))


@action("files.count_lines", component=Component.RUNNER)
async def files_count_lines(world, p: FilePath) -> int:
    """Complete lines in a file (0 if it does not exist)."""
    return world.store.fs.count_jsonl(store_file(world, p.path))


class NoParams(Params):
    pass


@closed
class StoreIssue(TypedDict):
    """One integrity problem (``flatfile_chat.store.integrity.IntegrityIssue``)."""

    kind: Annotated[
        str,
        Field(
            description="jsonl_invalid, json_invalid, counter_mismatch, "
            "document_missing, orphan_file, ..."
        ),
    ]
    path: str
    detail: str
    line: int | None


@closed
class RepairedFile(TypedDict):
    """A JSONL file whose bad lines were moved aside."""

    path: str
    kept: int
    moved: int
    rejected_file: Annotated[str | None, Field(description="where the bad lines went")]
    bad_lines: list[int]
    refused: Annotated[
        list[tuple[int, str]],
        Field(
            description="(line, why) left in place: it did not decrypt or "
            "verify, so the key ring may be what is wrong"
        ),
    ]


@closed
class CounterFix(TypedDict):
    """A session whose ``message_count`` was recounted from ``messages.jsonl``."""

    user_id: str
    session_id: str
    was: int
    now: int


@closed
class StoreRepair(TypedDict):
    """What ``store.repair`` changed."""

    jsonl_repaired: list[RepairedFile]
    counters_fixed: list[CounterFix]
    temp_files_removed: list[str]
    jsonl_refused: Annotated[
        list[RepairedFile],
        Field(description="files left byte-identical because lines did not decrypt or verify"),
    ]


@action("store.check", component=Component.RUNNER)
async def store_check(world, p: NoParams) -> list[StoreIssue]:
    """Integrity issues of the whole store (empty list when healthy)."""
    return [issue.__dict__ for issue in world.store.check_integrity()]


@action("store.repair", component=Component.RUNNER)
async def store_repair(world, p: NoParams) -> StoreRepair:
    """Move bad JSONL lines aside, recount messages, drop stale temp files."""
    return world.store.repair().__dict__


class Values(Params):
    values: list[Any] = Field(description="typically '${saved}' or a list of saved values")


@closed
class Ordered(TypedDict):
    ordered: bool
    values: list[GivenValue]


@closed
class Unique(TypedDict):
    unique: bool
    duplicates: list[GivenValue]


def _sortable(value: Any) -> Any:
    if isinstance(value, str):
        from flatfile_chat.clock import parse_timestamp

        try:
            return parse_timestamp(value)
        except ValueError:
            return value
    return value


@action("check.ordered", component=Component.RUNNER)
async def check_ordered(world, p: Values) -> Ordered:
    """Whether values never decrease (ISO timestamps compared as times, so naive upstream
    and offset-aware ones mix); returns ``{ordered, values}``."""
    keys = [_sortable(v) for v in p.values]
    ordered = True
    for n, (a, b) in enumerate(itertools.pairwise(keys)):
        try:
            if not a <= b:
                ordered = False
        except TypeError:  # None, a mapping, a number beside a text ...
            raise ScenarioError(
                f"check.ordered: values[{n}] ({p.values[n]!r:.60}) and values[{n + 1}] "
                f"({p.values[n + 1]!r:.60}) cannot be compared: give numbers, texts or ISO "
                "timestamps, one kind per list"
            ) from None
    return {"ordered": ordered, "values": p.values}


@action("check.unique", component=Component.RUNNER)
async def check_unique(world, p: Values) -> Unique:
    """Whether all values differ; returns ``{unique, duplicates}``."""
    seen, duplicates = set(), []
    for value in p.values:
        key = repr(value)
        if key in seen:
            duplicates.append(value)
        seen.add(key)
    return {"unique": not duplicates, "duplicates": duplicates}

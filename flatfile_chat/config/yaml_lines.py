"""Safe YAML loading that remembers line numbers and refuses duplicate keys.

Used for config files here and for scenario files by the runner, so every error can say
``file:line``. Only plain data types are built (``SafeLoader``): no Python object tags.

Input is untrusted, so it is bounded (``YAMLLimits``): files over a size limit are refused
unread, and while the composer pulls parser events a budget counts nesting depth and the node
total with every alias at its full expanded size. An alias bomb or deep nesting is therefore
refused after a few hundred events, before anything is built or walked (``plain()``, schema
validation), and before PyYAML's recursive composer can hit ``RecursionError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

MIB = 1024 * 1024


@dataclass(frozen=True)
class YAMLLimits:
    """Bounds on one YAML input; the defaults are far above any real scenario or config file.

    ``max_bytes`` applies to files (``load_yaml_file``); ``raise_hint`` tells the user how the
    caller lets them raise it (quoted in the too-large error).
    """

    max_bytes: int = 5 * MIB
    max_depth: int = 64
    max_nodes: int = 200_000
    raise_hint: str = "pass a larger YAMLLimits(max_bytes=...)"

    def with_megabytes(self, megabytes: float | None, *, env: str, hint: str) -> YAMLLimits:
        """These limits with ``max_bytes`` from ``megabytes``, else from the ``env`` variable.

        Lets a caller offer a setting and an environment override without parsing either
        itself; a bad environment value is a ``ValueError`` naming the variable.
        """
        if megabytes is None and os.environ.get(env, "").strip():
            megabytes = _positive_megabytes(env, os.environ[env])
        if megabytes is None:
            return replace(self, raise_hint=hint)
        return replace(self, max_bytes=int(megabytes * MIB), raise_hint=hint)


def _positive_megabytes(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{name}={raw!r}: expected a positive number of megabytes")
    return value


DEFAULT_LIMITS = YAMLLimits()


class LineDict(dict):
    """A mapping that knows the line of each key (1-based) and of itself."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence that knows the line of each item and of itself."""

    line: int = 0
    item_lines: list[int]


class YAMLError(ValueError):
    def __init__(self, message: str, *, source: str, line: int | None) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
        self.source, self.line, self.reason = source, line, message


class _Budget:
    """Depth and alias-expanded node count of an event stream, kept without recursion.

    Each open collection holds its expanded size so far; when an anchored node closes its size
    is recorded, and an alias adds that whole size to its parent and to the total.
    """

    def __init__(self, limits: YAMLLimits, source: str) -> None:
        self.limits, self.source = limits, source
        self.open: list[list[Any]] = []  # [anchor, expanded size] per open collection
        self.sizes: dict[str, int] = {}
        self.total = 0
        self.through_aliases = False

    def see(self, event: yaml.Event) -> None:
        kind = type(event)
        if kind is yaml.ScalarEvent:
            if event.anchor is not None:
                self.sizes[event.anchor] = 1
            self._count(event, 1)
        elif kind is yaml.AliasEvent:
            # An alias to a still-open anchor (recursive) counts 1; the constructor refuses it.
            size = self.sizes.get(event.anchor, 1)
            self.through_aliases = self.through_aliases or size > 1
            self._count(event, size)
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            self._count(event, 1)
            self.open.append([event.anchor, 1])
            if len(self.open) > self.limits.max_depth:
                self._refuse(event, f"nesting deeper than {self.limits.max_depth} levels; "
                             f"limit YAMLLimits(max_depth={self.limits.max_depth})")
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            anchor, size = self.open.pop()
            if self.open:
                self.open[-1][1] += size
            if anchor is not None:
                self.sizes[anchor] = size

    def _count(self, event: yaml.Event, size: int) -> None:
        self.total += size
        if self.open:
            self.open[-1][1] += size
        if self.total > self.limits.max_nodes:
            n = self.limits.max_nodes
            what = (f"YAML expands to more than {n} nodes through aliases (an alias bomb?)"
                    if self.through_aliases else f"YAML has more than {n} nodes")
            self._refuse(event, f"{what}; limit YAMLLimits(max_nodes={n})")

    def _refuse(self, event: yaml.Event, message: str) -> None:
        raise YAMLError(message, source=self.source, line=event.start_mark.line + 1)


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` whose every event passes the budget before the composer sees it."""

    def __init__(self, stream: str, budget: _Budget) -> None:
        super().__init__(stream)
        self.budget = budget

    def get_event(self) -> yaml.Event:
        event = yaml.parser.Parser.get_event(self)  # not super(): this runs once per event
        self.budget.see(event)
        return event


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"unsupported key type {type(key).__name__}", key_node.start_mark)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"duplicate key {key!r} (first defined on line {result.key_lines[key]})",
                key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(text: str, source: str = "<string>", limits: YAMLLimits = DEFAULT_LIMITS) -> Any:
    """Parse one YAML document; errors and exceeded limits become ``YAMLError`` (source:line)."""
    try:
        return _load(text, _Budget(limits, source))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        raise YAMLError(reason or str(exc), source=source, line=line) from None
    except yaml.YAMLError as exc:
        raise YAMLError(str(exc), source=source, line=None) from None
    except RecursionError:  # only if a caller set max_depth beyond what the stack can take
        raise YAMLError(f"nested too deeply for the parser; lower YAMLLimits(max_depth="
                        f"{limits.max_depth})", source=source, line=None) from None


def _load(text: str, budget: _Budget) -> Any:
    loader = _Loader(text, budget)  # may raise: the reader checks the text up front
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_text_bounded(path: Path | str, limits: YAMLLimits = DEFAULT_LIMITS,
                      source: str | None = None) -> str:
    """A file's UTF-8 text, refusing one over ``limits.max_bytes`` before reading it whole.

    The size is checked on the open file and the read stops one byte past the limit, so a file
    that lies about its size or grows meanwhile is refused too.
    """
    source = source or str(path)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = b"" if size > limits.max_bytes else handle.read(limits.max_bytes + 1)
    size = max(size, len(data))
    if size > limits.max_bytes:
        raise YAMLError(f"file is {_mib(size)} ({size} bytes), over the "
                        f"{_mib(limits.max_bytes)} limit ({limits.max_bytes} bytes); "
                        f"{limits.raise_hint}",
                        source=source, line=None)
    return _decode(data, source)


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MB"


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text, or a ``YAMLError`` at the line and byte offset of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YAMLError(f"not UTF-8 text: byte offset {exc.start} (0x{data[exc.start]:02x}: "
                        f"{exc.reason}); save the file as UTF-8", source=source,
                        line=line) from None


def load_yaml_file(path: Path | str, limits: YAMLLimits = DEFAULT_LIMITS,
                   source: str | None = None) -> Any:
    """``load_yaml`` of a file read through ``read_text_bounded``; ``source`` names it in errors."""
    source = source or str(path)
    return load_yaml(read_text_bounded(path, limits, source), source=source, limits=limits)


def line_of(document: Any, path: Iterable[Any]) -> int | None:
    """The line of the deepest node reachable along ``path`` (keys and indexes)."""
    node, line = document, getattr(document, "line", None)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line, node = node.key_lines.get(step, line), node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line, node = node.item_lines[step], node[step]
        else:
            break
    return line


def plain(value: Any) -> Any:
    """Strip line bookkeeping: plain ``dict``/``list`` copies for code that must not see it."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value

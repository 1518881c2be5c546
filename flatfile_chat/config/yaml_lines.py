"""Safe YAML loading that remembers line numbers and refuses duplicate keys.

Used for config files here and for scenario files by the runner, so every error can say
``file:line``. Only plain data types are built (``SafeLoader``): no Python object tags.

Input is untrusted, so it is bounded (``YAMLLimits``): files over a size limit are refused
unread, and a budget counts nesting depth and the node total of the parser's events with every
alias at its full expanded size. An alias bomb or deep nesting is therefore refused after a few
hundred events, before anything is built or walked (``plain()``, schema validation), and before
a recursive composer can hit ``RecursionError``.

When PyYAML has libyaml (``LIBYAML``), the budget runs over the C parser's events in a pass of
its own, then the C composer builds the nodes; PyYAML's pure-Python parser costs ~2 ms per KB,
which every test collection paid for every scenario file. Without libyaml the budget sees each
event as the pure-Python composer pulls it. Both give the same data, lines and limits. Some
syntax errors are worded differently, on the same line; and libyaml, reading ahead for the ':'
of a block key, reports ``[[[...`` without one as that, where the Python path says too deep.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

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
    # 100k: the biggest shipped scenario file has ~2,700 nodes; a file just under the limit
    # still loads within about a second on a 2-core machine (benchmarks/bench_yaml.py).
    max_nodes: int = 100_000
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

LIBYAML: bool = yaml.__with_libyaml__
"""Whether loads go through libyaml; off without it, and in tests that compare both paths."""

LIBYAML_MAX_DEPTH = 500
"""Deeper ``max_depth`` limits keep the pure-Python path. libyaml refuses over 1000 levels with
an error of its own, and no limit above a few hundred can be honoured anyway (the constructor
recurses), so such callers get the 'nested too deeply for the parser' error they always got."""


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
    is recorded, and an alias adds that whole size to its parent and to the total. Undefined
    aliases and repeated anchors are refused here with PyYAML's own words, because libyaml's
    composer leaves the anchor's name out of both messages.
    """

    def __init__(self, limits: YAMLLimits, source: str) -> None:
        self.limits, self.source = limits, source
        self.open: list[list[Any]] = []  # [anchor, expanded size] per open collection
        self.sizes: dict[str, int] = {}
        self.anchors: dict[str, Any] = {}  # anchor -> start mark of the node that defines it
        self.total = 0
        self.through_aliases = False

    def see(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                self._define(event, event.anchor)
                self.sizes[event.anchor] = 1
            self._count(event, 1)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", _mark(event)
                )
            # An alias to a still-open anchor (recursive) counts 1; the constructor refuses it.
            size = self.sizes.get(event.anchor, 1)
            self.through_aliases = self.through_aliases or size > 1
            self._count(event, size)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if event.anchor is not None:
                self._define(event, event.anchor)
            self._count(event, 1)
            self.open.append([event.anchor, 1])
            if len(self.open) > self.limits.max_depth:
                self.refuse_depth(_line(event))
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            anchor, size = self.open.pop()
            if self.open:
                self.open[-1][1] += size
            if anchor is not None:
                self.sizes[anchor] = size

    def refuse_depth(self, line: int) -> None:
        depth = self.limits.max_depth
        raise YAMLError(
            f"nesting deeper than {depth} levels; limit YAMLLimits(max_depth={depth})",
            source=self.source,
            line=line,
        )

    def _define(self, event: yaml.NodeEvent, anchor: str) -> None:
        first = self.anchors.setdefault(anchor, event.start_mark)
        if first is not event.start_mark:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                first,
                "second occurrence",
                _mark(event),
            )

    def _count(self, event: yaml.Event, size: int) -> None:
        self.total += size
        if self.open:
            self.open[-1][1] += size
        if self.total > self.limits.max_nodes:
            n = self.limits.max_nodes
            what = (
                f"YAML expands to more than {n} nodes through aliases (an alias bomb?)"
                if self.through_aliases
                else f"YAML has more than {n} nodes"
            )
            self._refuse(event, f"{what}; limit YAMLLimits(max_nodes={n})")

    def _refuse(self, event: yaml.Event, message: str) -> None:
        raise YAMLError(message, source=self.source, line=_line(event))


def _line(event: yaml.Event) -> int:
    """The 1-based line ``event`` starts on (both parsers mark every event)."""
    mark = event.start_mark
    assert mark is not None
    return mark.line + 1


def _mark(event: yaml.Event) -> yaml.error.Mark | None:
    """``event``'s start mark for a PyYAML error. The stubs type the errors' marks as the
    pure-Python class; libyaml's own has the same fields and reads the same in the message."""
    return cast("yaml.error.Mark | None", event.start_mark)


_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLATTENED_TAGS = frozenset([_MERGE_TAG, "tag:yaml.org,2002:value"])  # what flattening changes


class _LineConstructor(yaml.constructor.SafeConstructor):
    """Builds ``LineDict``/``LineList``; shared by the libyaml and the pure-Python loader.

    Merge keys (``<<: *defaults``) follow PyYAML: merged pairs go first, so a key written in
    the mapping itself overrides a merged one. Only a key written twice in one mapping is an
    error, so ``merged`` remembers how many leading pairs of each flattened mapping were merged.
    """

    merged: dict[yaml.Node, int]

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key, _ in node.value:
            if key.tag in _FLATTENED_TAGS:
                break
        else:  # nothing to merge (or merged already): most mappings, so checked cheaply
            return
        sources = [value for key, value in node.value if key.tag == _MERGE_TAG]
        written = len(node.value) - len(sources)
        super().flatten_mapping(node)  # calls back here for each merge source
        self.merged[node] = len(node.value) - written
        for source in sources:  # one never built on its own ({<<: {a: 1, a: 2}}) is checked here
            for mapping in source.value if isinstance(source, yaml.SequenceNode) else [source]:
                first_lines: dict[Any, int] = {}
                for key_node, _ in mapping.value[self.merged.get(mapping, 0) :]:
                    _written_key(self, key_node, first_lines)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """PyYAML's, but a value its constructors cannot build is refused at the node's line."""
        try:
            return super().construct_object(node, deep=deep)
        except _UNBUILDABLE as exc:
            raise _unbuildable(node, exc) from None


_UNBUILDABLE = (ValueError, TypeError, KeyError, AttributeError, OverflowError)
"""What PyYAML's constructors raise, unwrapped, for ``!!int x``, ``2001-13-45`` (a date by
the YAML 1.1 rules), ``!!bool maybe`` or ``!!map [1]``; each becomes an error at the node."""


def _unbuildable(node: yaml.Node, exc: Exception) -> yaml.constructor.ConstructorError:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
        what = f"a {node.id}"
    else:
        what = _clip(repr(node.value))
    return yaml.constructor.ConstructorError(
        None,
        None,
        f"cannot read {what} as {tag} ({type(exc).__name__}: {_clip(str(exc))})",
        node.start_mark,
    )


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


_PLAIN_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")
)


def _construct(loader: _LineConstructor, node: yaml.Node) -> Any:
    """``construct_object`` with a shortcut for plain scalars, most of any document.

    Their values are immutable, so skipping PyYAML's cache of built objects changes nothing;
    everything else (collections, other tags, aliases to them) goes the usual way.
    """
    if node.__class__ is yaml.ScalarNode and node.tag in _PLAIN_SCALAR_TAGS:
        try:
            return loader.yaml_constructors[node.tag](loader, node)
        except _UNBUILDABLE as exc:  # !!int x
            raise _unbuildable(node, exc) from None
    return loader.construct_object(node, deep=True)


def _written_key(loader: _LineConstructor, key_node: yaml.Node, first_lines: dict[Any, int]) -> Any:
    """A key written in a mapping: a plain scalar, not written before in that mapping."""
    key = _construct(loader, key_node)
    if not isinstance(key, str | int | float | bool) and key is not None:
        raise yaml.constructor.ConstructorError(
            None, None, f"unsupported key type {type(key).__name__}", key_node.start_mark
        )
    if key in first_lines:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"duplicate key {key!r} (first defined on line {first_lines[key]})",
            key_node.start_mark,
        )
    first_lines[key] = key_node.start_mark.line + 1
    return key


def _construct_mapping(loader: _LineConstructor, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    merged = loader.merged.get(node, 0)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    first_lines: dict[Any, int] = {}
    for index, (key_node, value_node) in enumerate(node.value):  # merged pairs first
        if index < merged:  # checked in its own mapping; a written key may override it
            key = _construct(loader, key_node)
        else:
            key = _written_key(loader, key_node, first_lines)
        result[key] = _construct(loader, value_node)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineConstructor, node: yaml.SequenceNode) -> LineList:
    result = LineList([_construct(loader, child) for child in node.value])
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


class _PythonLoader(_LineConstructor, yaml.SafeLoader):
    """Pure-Python ``SafeLoader`` whose every event passes the budget before the composer."""

    def __init__(self, stream: str, budget: _Budget) -> None:
        super().__init__(stream)
        self.budget = budget
        self.merged = {}

    def get_event(self) -> yaml.Event:
        event = yaml.parser.Parser.get_event(self)  # not super(): this runs once per event
        self.budget.see(event)
        return event


_LOADERS: list[type[yaml.constructor.SafeConstructor]] = [_PythonLoader]

if LIBYAML:

    class _LibyamlLoader(_LineConstructor, yaml.CSafeLoader):
        """libyaml's parser and composer (C) with our constructors; run after the guard pass."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.merged = {}

    _LOADERS.append(_LibyamlLoader)

# The stubs want a constructor that takes one of PyYAML's loader classes; ours take the
# _LineConstructor mixin both loaders share, which no annotation there can express.
for _loader in _LOADERS:
    _loader.add_constructor(  # type: ignore[type-var]
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
    )
    _loader.add_constructor(  # type: ignore[type-var]
        yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence
    )


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
        raise YAMLError(
            f"nested too deeply for the parser; lower YAMLLimits(max_depth={limits.max_depth})",
            source=source,
            line=None,
        ) from None


def _load(text: str, budget: _Budget) -> Any:
    if LIBYAML and budget.limits.max_depth <= LIBYAML_MAX_DEPTH:
        return _load_with_libyaml(text, budget)
    return _load_with_python(text, budget)


def _load_with_python(text: str, budget: _Budget) -> Any:
    """The pure-Python path: the budget sees each event as the composer pulls it."""
    loader = _PythonLoader(text, budget)  # may raise: the reader checks the text up front
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _load_with_libyaml(text: str, budget: _Budget) -> Any:
    """The libyaml path: check, budget pass over C events, then C compose and construct.

    The guard pass parses a second time, but in C; it stops at the first breach, so a bomb
    or a file of too many nodes is refused before any node exists.
    """
    _check_printable(text)
    with _collector_paused():
        _guard(text, budget)
        loader = _LibyamlLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a document is built (re-enabled only if it was on).

    The composer allocates a node and two marks per YAML node and none of them is garbage
    until the load ends, so collections triggered meanwhile only re-scan them: loading a file
    of 200,000 nodes took twice as long with the collector running. The pause is bounded by
    the limits; cycles (only from recursive aliases) are collected afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_printable(text: str) -> None:
    """PyYAML's reader check, worded as it words it (libyaml says 'control characters')."""
    match = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if match:
        raise yaml.reader.ReaderError(
            "<unicode string>",
            match.start(),
            ord(match.group()),
            "unicode",
            "special characters are not allowed",
        )


def _guard(text: str, budget: _Budget) -> None:
    """Every event of the first document through ``budget``, before anything is composed.

    Later documents are left to the composer, which refuses them as PyYAML's does. libyaml
    reads a line of flow collections ahead (``[[[...`` could still turn out to be a key) and
    refuses over 1000 levels itself; that is our depth error on the same line.
    """
    parser = yaml.CSafeLoader(text)
    try:
        while (event := parser.get_event()) is not None:
            budget.see(event)
            if type(event) is yaml.DocumentEndEvent:
                return
    except yaml.MarkedYAMLError as exc:
        if exc.problem_mark is None or "maximum nesting depth" not in (exc.problem or ""):
            raise
        budget.refuse_depth(exc.problem_mark.line + 1)
    finally:
        parser.dispose()


def read_text_bounded(
    path: Path | str, limits: YAMLLimits = DEFAULT_LIMITS, source: str | None = None
) -> str:
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
        raise YAMLError(
            f"file is {_mib(size)} ({size} bytes), over the "
            f"{_mib(limits.max_bytes)} limit ({limits.max_bytes} bytes); "
            f"{limits.raise_hint}",
            source=source,
            line=None,
        )
    return _decode(data, source)


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MB"


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text, or a ``YAMLError`` at the line and byte offset of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YAMLError(
            f"not UTF-8 text: byte offset {exc.start} (0x{data[exc.start]:02x}: "
            f"{exc.reason}); save the file as UTF-8",
            source=source,
            line=line,
        ) from None


def load_yaml_file(
    path: Path | str, limits: YAMLLimits = DEFAULT_LIMITS, source: str | None = None
) -> Any:
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

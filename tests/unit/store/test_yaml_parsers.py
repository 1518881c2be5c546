"""libyaml and the pure-Python fallback load the same data with the same lines, and refuse the
same input with the same ``file:line``. The libyaml path is the default when it exists, runs
its bounds before anything is composed, and leaves the garbage collector as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from flatfile_chat.config import yaml_lines
from flatfile_chat.config.yaml_lines import (
    DEFAULT_LIMITS,
    LineDict,
    LineList,
    YAMLError,
    YAMLLimits,
    line_of,
    load_yaml,
)

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted(
    [
        *(ROOT / "scenarios").rglob("*.yaml"),
        *(ROOT / "flatfile_chat" / "config" / "presets").glob("*.yaml"),
        *(ROOT / "prism_scenarios" / "data").rglob("*.yaml"),
    ]
)


def _load(parser: str, text: str, limits: YAMLLimits = DEFAULT_LIMITS) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yaml_lines, "LIBYAML", parser == "libyaml")
        return load_yaml(text, source="s.yaml", limits=limits)


def _refusal(parser: str, text: str, limits: YAMLLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(YAMLError) as err:
        _load(parser, text, limits)
    return str(err.value)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    children = (
        node.items()
        if isinstance(node, dict)
        else (enumerate(node) if isinstance(node, list) else ())
    )
    for step, child in children:
        yield from _paths(child, (*path, step))


def _own_lines(node: Any) -> Any:
    """What ``line_of`` reads, for one node: its line and its keys' or items' lines."""
    if isinstance(node, LineDict):
        return ("map", node.line, node.key_lines)
    if isinstance(node, LineList):
        return ("seq", node.line, node.item_lines)
    return type(node).__name__


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_files_load_the_same_data_and_lines(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast, slow = _load("libyaml", text), _load("python", text)
    assert fast == slow
    paths = list(_paths(slow))
    assert len(paths) > 1
    assert [line_of(fast, p) for p in paths] == [line_of(slow, p) for p in paths]
    assert [_own_lines(_at(fast, p)) for p in paths] == [_own_lines(_at(slow, p)) for p in paths]


BROKEN = [
    "a: [1, 2\n",
    "a: b: c\n",
    "\tx: 1\n",
    "a:\n  - 1\n - 2\n",
    'key: "unterminated\nnext: 1\n',
    "scenarios:\n  - name: x\n    steps:\n      - a: 1\n     b: 2\n",
    "a: {b: 1\nc: 2\n",
    "- a\nb: 1\n",
    "a: @x\n",
    "a: |\n  ok\n bad\n",
    "a: 1\n...\n[\n",
    "%YAML 1.1\n%YAML 1.1\n---\na\n",
    "- [\n- ]\n",
    "x: 1\n" + "[" * 10_000,  # libyaml reads ahead for the ':' a block key needs: no ':'
]


@pytest.mark.parametrize("text", BROKEN)
def test_broken_yaml_is_refused_on_the_same_line(text: str) -> None:
    """libyaml words some syntax errors differently; the line it names is the same."""
    fast, slow = _refusal("libyaml", text), _refusal("python", text)
    assert fast.split(": ", 1)[0] == slow.split(": ", 1)[0]
    assert fast.startswith("s.yaml:")


def _bomb() -> str:
    levels = [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(["l0: &l0 [a, b, c, d, e, f, g, h, i]", *levels]) + "\n"


REFUSED = {
    "alias bomb": (_bomb(), DEFAULT_LIMITS),
    "flow nesting on one line": ("[" * 10_000, DEFAULT_LIMITS),
    "flow nesting over lines": ("[\n" * 100, DEFAULT_LIMITS),
    "block nesting": ("".join(f"{'  ' * i}k{i}:\n" for i in range(100)), DEFAULT_LIMITS),
    "too many nodes": ("- a\n" * 100, YAMLLimits(max_nodes=50)),
    "undefined alias": ("a: 1\nb: *nowhere\n", DEFAULT_LIMITS),
    "duplicate anchor": ("a: &x 1\nb: &x [2]\n", DEFAULT_LIMITS),
    "recursive alias": ("a: &a [*a]\n", DEFAULT_LIMITS),
    "duplicate key": ("a: 1\nb: 2\na: 3\n", DEFAULT_LIMITS),
    "unsupported key": ("? [a, b]\n: 1\n", DEFAULT_LIMITS),
    "two documents": ("a: 1\n---\nb: 2\n", DEFAULT_LIMITS),
    "NUL character": ("a: 1\nb: \x00\n", DEFAULT_LIMITS),
    "python tag": ("a: !!python/object:os.system x\n", DEFAULT_LIMITS),
}


@pytest.mark.parametrize("name", REFUSED)
def test_refusals_read_word_for_word_the_same(name: str) -> None:
    text, limits = REFUSED[name]
    assert _refusal("libyaml", text, limits) == _refusal("python", text, limits)


def test_libyaml_is_used_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_lines, "LIBYAML", True)
    monkeypatch.setattr(yaml_lines, "_load_with_python", _must_not_run)
    assert load_yaml("a: [1, 2]\n") == {"a": [1, 2]}


def test_without_libyaml_the_python_path_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_lines, "LIBYAML", False)
    monkeypatch.setattr(yaml_lines, "_load_with_libyaml", _must_not_run)
    assert load_yaml("a: [1, 2]\n") == {"a": [1, 2]}


def _must_not_run(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("this path must not run")


@pytest.mark.parametrize(
    "name",
    [
        "alias bomb",
        "flow nesting on one line",
        "too many nodes",
        "undefined alias",
        "duplicate anchor",
    ],
)
def test_libyaml_refuses_before_composing_anything(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, limits = REFUSED[name]
    monkeypatch.setattr(yaml_lines, "_LibyamlLoader", _must_not_run)
    assert _refusal("libyaml", text, limits).startswith("s.yaml:")


def test_the_collector_is_left_as_it_was() -> None:
    assert gc.isenabled()
    _load("libyaml", "a: 1\n")
    _refusal("libyaml", _bomb())
    assert gc.isenabled()
    gc.disable()
    try:
        _load("libyaml", "a: 1\n")
        assert not gc.isenabled()
    finally:
        gc.enable()

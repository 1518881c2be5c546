"""A memo for pytest-bdd's step-definition lookup, while prism-scenarios is loaded.

Why: for every step, pytest-bdd 9 (``scenario.find_fixturedefs_for_step``) walks every fixture
name pytest knows, asks pytest which definitions of it the test can see, and tries the regular
expression of each step definition. Its cost grows with the vocabulary: ours adds ~110 step
definitions, which made a Gherkin step cost ~4.6x a plain pytest-bdd step (issue 11,
benchmarks/bench_bdd.py), most of it in this walk.

What is memoised: the definitions found for (step type, step text) as seen from a test's
parent collector (a module or class: every test in it sees the same step definitions; only
fixtures registered on a test item itself, e.g. ``target_fixture`` values, differ, and those
are never step definitions). The memo is dropped whenever the set of fixture names pytest
knows changes, and is kept per fixture manager (one per pytest session, pytester included).
The answer is the one the walk would give: the same definitions, in the same order.

Installed by :mod:`prism_scenarios.bdd.hooks` at ``pytest_configure`` and removed at the last
``pytest_unconfigure``; if pytest-bdd's internals are not what this expects, or the
environment sets ``PRISM_BDD_LOOKUP_MEMO=0`` (an escape hatch, and the benchmark's "before"),
nothing is installed and pytest-bdd runs as it is.
"""

from __future__ import annotations

import importlib
import os
import weakref
from collections.abc import Callable, Iterable
from typing import Any

_REGISTRIES = ("_arg2node2fixturedefs", "_arg2nodeid2fixturedefs", "_arg2fixturedefs")
_original: Callable[..., Iterable[Any]] | None = None
_users = 0
# fixture manager -> (fixture-name counts when filled, {(type, text, parent id): defs})
_memo: weakref.WeakKeyDictionary[Any, tuple[tuple[int, ...], dict[tuple[Any, ...], list[Any]]]] = (
    weakref.WeakKeyDictionary()
)


def _generation(fixturemanager: Any) -> tuple[int, ...]:
    """How many fixture names pytest knows, per registry (pytest 9.2 keeps two, older ones
    one): it changes when a fixture name is added or removed after the memo was filled."""
    return tuple(len(getattr(fixturemanager, name, ())) for name in _REGISTRIES)


def _memoised(step: Any, fixturemanager: Any, node: Any) -> Iterable[Any]:
    names = _generation(fixturemanager)
    entry = _memo.get(fixturemanager)
    if entry is None or entry[0] != names:
        entry = (names, {})
        _memo[fixturemanager] = entry
    parent = node.parent
    key = (step.type, step.name, parent.nodeid if parent is not None else node.nodeid)
    found = entry[1].get(key)
    if found is None:
        found = list(_original(step, fixturemanager, node))  # type: ignore[misc]
        entry[1][key] = found
    return iter(found)


def install() -> None:
    """Memoise pytest-bdd's lookup (counted: nested pytest sessions each install once)."""
    global _original, _users
    if os.environ.get("PRISM_BDD_LOOKUP_MEMO", "").strip() == "0":
        return
    if _users == 0:
        try:
            scenario = importlib.import_module("pytest_bdd.scenario")  # the module, not the
        except ImportError:  # function of that name
            return
        current = getattr(scenario, "find_fixturedefs_for_step", None)
        if current is None or not hasattr(scenario, "inject_fixturedefs_for_step"):
            return  # another pytest-bdd: leave it alone
        _original = current
        scenario.find_fixturedefs_for_step = _memoised
    _users += 1


def uninstall() -> None:
    """Undo :func:`install` once the last session that installed it ends."""
    global _original, _users
    if _users == 0:
        return
    _users -= 1
    if _users == 0 and _original is not None:
        importlib.import_module("pytest_bdd.scenario").find_fixturedefs_for_step = _original
        _original = None
        _memo.clear()

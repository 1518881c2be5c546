"""The last session to end puts pytest-bdd's own step lookup back; a Gherkin line of a prism
scenario opens an Allure step named after the line, with the sentence's simple arguments."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios import allure_bridge
from prism_scenarios.bdd import _lookup, hooks


def test_the_last_uninstall_restores_the_original_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = importlib.import_module("pytest_bdd.scenario")

    def original(*_: Any) -> list[Any]:
        return []

    monkeypatch.setattr(scenario, "find_fixturedefs_for_step", _lookup._memoised)
    monkeypatch.setattr(_lookup, "_original", original)
    monkeypatch.setattr(_lookup, "_users", 2)
    _lookup.uninstall()
    assert scenario.find_fixturedefs_for_step is _lookup._memoised
    assert (_lookup._users, _lookup._original) == (1, original)
    _lookup.uninstall()
    assert scenario.find_fixturedefs_for_step is original
    assert (_lookup._users, _lookup._original) == (0, None)


def test_a_prism_gherkin_line_opens_an_allure_step_with_its_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[tuple[str, dict[str, Any]]] = []

    def start_step(title: str, params: dict[str, Any]) -> str:
        started.append((title, params))
        return "step-1"

    monkeypatch.setattr(hooks, "_allure_listens", lambda: True)
    monkeypatch.setattr(allure_bridge, "start_step", start_step)
    request = SimpleNamespace(node=SimpleNamespace(prism_scenario=True))
    step = SimpleNamespace(keyword="Given", name='user "alice" exists', docstring=None)
    hooks.pytest_bdd_before_step_call(
        request, None, None, step, None, {"user": "alice", "scenario_run": object(), "n": 2}
    )
    assert started == [('Given user "alice" exists', {"user": "alice", "n": 2})]
    assert request.node.prism_bdd_step == "step-1"

"""Fuzz mode: a deliberately broken action (registered only here) is found, shrunk, written
as a YAML scenario that the project's loader accepts and that fails the same way when run."""

from __future__ import annotations

from pathlib import Path

import pytest

from flatfile_chat.errors import NotFound
from prism_scenarios import cli, fuzz
from prism_scenarios.actions.registry import ActionRegistry, Params, action, load_actions
from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import ExpectationFailed, InvariantBreach
from prism_scenarios.loader import load_file


class Shout(Params):
    user_id: str
    text: str
    loud: bool = False


def _registry() -> ActionRegistry:
    """The real prelude actions plus three test-only ones."""
    real = load_actions()
    registry = ActionRegistry()
    for name in ("user.create", "session.create", "session.get"):
        registry.register(real.get(name))

    @action("test.broken", component="runner", registry=registry)
    async def broken(world, p: Shout) -> None:
        """Crashes (KeyError) on text longer than 3 characters: a bug, not a domain error."""
        if len(p.text) > 3:
            raise KeyError(p.text)

    @action("test.refuses", component="runner", registry=registry)
    async def refuses(world, p: Shout) -> None:
        """Refuses everything with a declared domain error: never a finding."""
        raise NotFound(f"thing {p.text!r} not found", key=p.text)

    @action("test.escapes", component="runner", registry=registry)
    async def escapes(world, p: Shout) -> None:
        """Writes beside the store root when asked to be loud: an invariant breach."""
        if p.loud:
            (world.base_dir / "escaped.txt").write_text(p.text)

    return registry


def _reproduce(path: Path, registry: ActionRegistry) -> BaseException:
    spec = load_file(path, registry=registry)
    (scenario,) = spec.scenarios
    with ScenarioRun(registry=registry, config=scenario.config,
                     variables=scenario.variables) as run, pytest.raises(Exception) as caught:
        for step in scenario.steps:
            run.step(step.action, step.params, where=step.where, save=step.save)
    return caught.value


def test_broken_action_is_found_shrunk_and_written_as_a_reproducing_scenario(tmp_path):
    registry = _registry()
    findings = fuzz.fuzz(["test.broken", "test.refuses"], examples=60, seed=7,
                         out_dir=tmp_path, registry=registry, echo=lambda *_: None)
    assert [(f.action, f.error) for f in findings] == [("test.broken", "KeyError")]
    finding = findings[0]
    assert len(finding.params["text"]) == 4  # shrunk to the smallest failing length
    error = _reproduce(finding.scenario_file, registry)
    assert isinstance(error, ExpectationFailed)
    assert isinstance(error.__cause__, KeyError)


def test_invariant_breach_is_a_finding_and_reproduces(tmp_path):
    registry = _registry()
    (finding,) = fuzz.fuzz(["test.escapes"], examples=40, seed=1, out_dir=tmp_path,
                           registry=registry, echo=lambda *_: None)
    assert finding.error == "InvariantBreach"
    assert finding.params["loud"] is True and finding.params["text"] == ""
    assert isinstance(_reproduce(finding.scenario_file, registry), InvariantBreach)


def test_fuzz_is_deterministic_for_a_seed(tmp_path):
    runs = [fuzz.fuzz(["test.broken"], examples=30, seed=3, registry=_registry(),
                      echo=lambda *_: None) for _ in range(2)]
    assert runs[0][0].params == runs[1][0].params


def test_saved_ids_are_sometimes_used():
    registry = _registry()
    from hypothesis import find

    found = find(fuzz.params_strategy(registry.get("session.get")),
                 lambda p: p.get("user_id") == fuzz.FUZZ_USER
                 and p.get("session_id") == "${session}")
    assert found["session_id"] == "${session}"


def test_cli_exit_code_and_unknown_action(tmp_path, capsys):
    assert cli.main(["fuzz", "--action", "no.such", "--examples", "2",
                     "--out", str(tmp_path)]) == 2
    assert cli.main(["fuzz", "--action", "user.get", "--examples", "5", "--seed", "4",
                     "--out", str(tmp_path)]) == 0
    assert "seed 4" in capsys.readouterr().out

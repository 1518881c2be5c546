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
    with (
        ScenarioRun(registry=registry, config=scenario.config, variables=scenario.variables) as run,
        pytest.raises(Exception) as caught,
    ):
        for step in scenario.steps:
            run.step(step.action, step.params, where=step.where, save=step.save)
    return caught.value


def test_broken_action_is_found_shrunk_and_written_as_a_reproducing_scenario(tmp_path):
    registry = _registry()
    findings = fuzz.fuzz(
        ["test.broken", "test.refuses"],
        examples=60,
        seed=7,
        out_dir=tmp_path,
        registry=registry,
        echo=lambda *_: None,
    )
    assert [(f.action, f.error) for f in findings] == [("test.broken", "KeyError")]
    finding = findings[0]
    assert len(finding.params["text"]) == 4  # shrunk to the smallest failing length
    error = _reproduce(finding.scenario_file, registry)
    assert isinstance(error, ExpectationFailed)
    assert isinstance(error.__cause__, KeyError)


def test_invariant_breach_is_a_finding_and_reproduces(tmp_path):
    registry = _registry()
    (finding,) = fuzz.fuzz(
        ["test.escapes"],
        examples=40,
        seed=1,
        out_dir=tmp_path,
        registry=registry,
        echo=lambda *_: None,
    )
    assert finding.error == "InvariantBreach"
    assert finding.params["loud"] is True and finding.params["text"] == ""
    assert isinstance(_reproduce(finding.scenario_file, registry), InvariantBreach)


def test_fuzz_is_deterministic_for_a_seed(tmp_path):
    runs = [
        fuzz.fuzz(["test.broken"], examples=30, seed=3, registry=_registry(), echo=lambda *_: None)
        for _ in range(2)
    ]
    assert runs[0][0].params == runs[1][0].params


def test_saved_ids_are_sometimes_used():
    registry = _registry()
    from hypothesis import find

    found = find(
        fuzz.params_strategy(registry.get("session.get")),
        lambda p: p.get("user_id") == fuzz.FUZZ_USER and p.get("session_id") == "${session}",
    )
    assert found["session_id"] == "${session}"


def test_cli_exit_code_and_unknown_action(tmp_path, capsys):
    assert cli.main(["fuzz", "--action", "no.such", "--examples", "2", "--out", str(tmp_path)]) == 2
    assert (
        cli.main(
            [
                "fuzz",
                "--action",
                "user.get",
                "--examples",
                "5",
                "--seed",
                "4",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert "seed 4" in capsys.readouterr().out


# The shrunk examples of the first full fuzz run (issue 12): each raised an undeclared error
# (ValueError, TypeError, OverflowError, IsADirectoryError, SameFileError, TimeoutError ...).
# Each is now a declared one whose message names the parameter.
_SESSION = {"user_id": fuzz.FUZZ_USER, "session_id": "${session}"}
FORMER_FINDINGS = [
    ("analytics.await_samples", {"count": 1, "within_seconds": 0.05}, "expected 1"),
    ("check.ordered", {"values": [None, None]}, "values[0] (None) and values[1]"),
    ("check.ordered", {"values": [1, "a", 2]}, "values[0] (1) and values[1] ('a')"),
    ("clock.advance", {"days": 2912443.0}, "days=2912443.0"),
    ("clock.advance", {"seconds": float("inf")}, "past the largest time"),
    ("clock.set", {"at": ""}, "at: Value error, not an ISO 8601 time"),
    ("clock.set", {"at": "2026-01-01T09:00:00"}, "at: Value error, give a timezone"),
    ("documents.upload", {**_SESSION, "filename": "a.txt"}, "exactly one of text, base64, size"),
    (
        "documents.upload",
        {**_SESSION, "filename": "a.txt", "base64": "!!"},
        "base64: Value error, not valid base64",
    ),
    ("documents.upload", {**_SESSION, "filename": "a.txt", "size": -1}, "size: Input should be"),
    (
        "kb.add_document",
        {"user_id": fuzz.FUZZ_USER, "kb_id": "kb_0"},
        "exactly one of text, from_document",
    ),
    (
        "kb.add_document",
        {"user_id": fuzz.FUZZ_USER, "kb_id": "kb_0", "text": "x"},
        "document_path is required with text",
    ),
    ("migration.generate", {"generation": "G0", "users": 0}, "users must be at least 1"),
    ("rag.format", {"contexts": [{}]}, "contexts[0]: context_id"),
    ("text.repeat", {"text": "", "length": 3}, "text: String should have at least 1"),
    ("text.repeat", {"text": "a", "length": -1}, "length: Input should be greater"),
    ("tools.processes", {"cmdline": []}, "cmdline: List should have at least 1"),
    ("files.count_lines", {"path": ""}, "path '' is a folder"),
    ("files.read_json", {"path": "users"}, "path 'users' is a folder"),
    ("files.read_jsonl", {"path": ""}, "path '' is a folder"),
    ("files.symlink", {"path": "", "target": "/etc"}, "path '' is a folder"),
    (
        "files.symlink",
        {"path": "users/fuzz_user/profile.json/x", "target": "/etc"},
        "which is a file",
    ),
    ("files.copy", {"source": "", "path": ""}, "source '' is a folder"),
    (
        "files.copy",
        {"source": "users/nobody.json", "path": "x.json"},
        "source 'users/nobody.json' does not exist",
    ),
    (
        "files.copy",
        {"source": "users/fuzz_user/profile.json", "path": "users/fuzz_user/profile.json"},
        "are the same file",
    ),
    (
        "files.copy",
        {"source": "users/fuzz_user/profile.json", "path": "no/such/x.json"},
        "the folder of path 'no/such/x.json' does not exist",
    ),
]


@pytest.mark.parametrize(
    ("name", "params", "says"),
    FORMER_FINDINGS,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(FORMER_FINDINGS)],
)
def test_former_findings_raise_declared_errors(name, params, says):
    with pytest.raises(Exception) as caught:
        fuzz.run_steps([*fuzz.PRELUDE, {name: params}])
    assert fuzz._undeclared(caught.value) is None, repr(caught.value.__cause__)
    assert says in str(caught.value)


def test_await_samples_timeout_is_still_a_timeout_error():
    """``raises: {error: TimeoutError}`` in scenarios keeps matching."""
    with ScenarioRun() as run:
        run.step("analytics.init", {}, where="test")
        run.step(
            "analytics.await_samples",
            {"count": 1, "within_seconds": 0.01},
            where="test",
            raises={"error": "TimeoutError", "message": "expected 1"},
        )
        run.step(
            "analytics.await_samples",
            {"count": 1, "within_seconds": 0.01},
            where="test",
            raises={"error": "WaitTimedOut"},
        )


def test_work_scaling_parameters_are_drawn_small():
    """A step asked to wait (``within_seconds`` ...) or to make a lot (``users``, ``size`` ...)
    is not a hang: parameters marked ``fuzz_max`` are drawn at most that (negative values
    still come, for the validation)."""
    registry = load_actions()
    marked = {
        (a, name): info.json_schema_extra["fuzz_max"]
        for a in registry
        for name, info in a.params.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and "fuzz_max" in info.json_schema_extra
    }
    assert {f"{a.name}.{name}" for a, name in marked} >= {
        "analytics.await_samples.within_seconds",
        "tools.processes.wait_seconds",
        "tools.execute_concurrently.overlap_within_seconds",
        "migration.generate.users",
        "documents.upload.size",
        "text.repeat.length",
    }
    for (action_, name), top in marked.items():
        drawn = find_all(fuzz.model_strategy(action_.params), 30)
        assert all(p.get(name) is None or p[name] <= top for p in drawn), (action_.name, name)


def find_all(strategy, n: int) -> list:
    """``n`` examples of ``strategy`` (hypothesis' own engine, no database)."""
    from hypothesis import given, settings

    seen: list = []

    @settings(max_examples=n, database=None)
    @given(strategy)
    def collect(value) -> None:
        seen.append(value)

    collect()
    return seen

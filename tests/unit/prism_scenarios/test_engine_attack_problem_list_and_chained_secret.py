"""An attack step that breaks several oracles lists each problem on its own indented line,
and an error chained under a step's error whose text still shows a secret is cut off."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios import matchers, write_audit
from prism_scenarios.actions.registry import ActionRegistry, Params, action, load_actions
from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import InvariantBreach
from prism_scenarios.loader import load_file

_reads = ActionRegistry()


class _Text(Params):
    text: str = ""


@action("probe.read_two_outside", component="runner", registry=_reads)
async def read_two_outside(world, p: _Text) -> str:
    """Reads the canary and another file beside the store root."""
    other = world.base_dir / "beside.txt"
    with write_audit.paused():
        other.write_text("x")
    return (world.base_dir / "canary.txt").read_text()[:0] + other.read_text()[:0] + "read"


def _registry() -> ActionRegistry:
    registry = ActionRegistry()
    for act in [*load_actions(), *_reads]:
        registry.register(act)
    return registry


ATTACK = """
scenarios:
  - name: probe
    attack: {payload: [xss]}
    steps:
      - probe.read_two_outside: {text: '${payload}'}
        attack_outcome: refused_or_verbatim
"""


def test_each_broken_oracle_is_on_its_own_indented_line(tmp_path: Path) -> None:
    registry = _registry()
    path = tmp_path / "attack.yaml"
    path.write_text(ATTACK)
    spec = load_file(path, registry=registry, display="attack.yaml").scenarios[0]
    run = ScenarioRun(
        config=spec.config,
        variables=spec.variables,
        registry=registry,
        attack=spec.attack,
        invariants=spec.invariants,
    )
    (step,) = spec.steps
    try:
        with pytest.raises(InvariantBreach) as caught:
            run.step(
                step.action,
                step.params,
                where=step.where,
                attack_outcome=step.attack_outcome,
            )
        root = run.world.store_root
        base = run.world.base_dir
    finally:
        run.close()
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(
        "attack.yaml:6: attack oracle broken after step 4 `probe.read_two_outside` (payload xss-"
    )
    assert lines[0].endswith("):")
    assert lines[1:] == [
        f"  [outside_root] {base / 'beside.txt'} was read outside the store root {root}",
        f"  [outside_root] {base / 'canary.txt'} was read outside the store root {root}",
    ]


SECRET = "s3cret-value-42"


def test_a_chained_error_still_showing_the_secret_is_cut_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Opaque(Exception):
        def __str__(self) -> str:  # words the secret from outside its args
            return f"opaque {SECRET}"

    def crash(actual: object, expected: object) -> None:
        raise RuntimeError("lookup failed") from Opaque()

    monkeypatch.setenv("PRISM_TEST_SECRET", SECRET)
    with ScenarioRun() as run:
        monkeypatch.setitem(matchers.MATCHERS, "equals", crash)
        with pytest.raises(RuntimeError) as caught:
            run.step(
                "expect.value",
                {"value": "${env:PRISM_TEST_SECRET}"},
                where="t:1",
                expect=[{"equals": 1}],
            )
    error = caught.value
    assert str(error) == "lookup failed"
    assert error.__cause__ is None
    assert error.__suppress_context__ is True

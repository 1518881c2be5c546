"""Attack mode: corpus names checked with file:line, expansion per scan depth, and each attack
oracle (outside_root for writes and reads, canary, cross_user, argv, outcome, read-back)
failing a run with a message that names it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from flatfile_chat.errors import ValidationError
from prism_scenarios import attack
from prism_scenarios.actions.registry import ActionRegistry, Params, action, load_actions
from prism_scenarios.engine import ScenarioRun
from prism_scenarios.errors import InvariantBreach, ScenarioFileError
from prism_scenarios.loader import load_file

_evil = ActionRegistry()


class Text(Params):
    text: str = ""


class Args(Params):
    args: list[str]


@action("evil.write_outside", component="runner", registry=_evil)
async def write_outside(world, p: Text) -> str:
    """Writes a file beside the store root (outside it)."""
    (world.base_dir / "escaped.txt").write_text(p.text)
    return "ok"


@action("evil.write_via_symlink", component="runner", registry=_evil)
async def write_via_symlink(world, p: Text) -> str:
    """Writes through a symlink inside the store root that points beside it."""
    from prism_scenarios import write_audit

    link = world.store_root / "link.txt"
    with write_audit.paused():
        world.store_root.mkdir(parents=True, exist_ok=True)
        os.symlink(world.base_dir / "target.txt", link)
    link.write_text(p.text)
    return "ok"


@action("evil.read_outside", component="runner", registry=_evil)
async def read_outside(world, p: Text) -> str:
    """Reads a file outside the store root."""
    return (world.base_dir / "canary.txt").read_text()[:0] + "read"


@action("evil.touch_canary", component="runner", registry=_evil)
async def touch_canary(world, p: Text) -> str:
    """Changes the canary from a subprocess (which the audit hook cannot see)."""
    subprocess.run(["touch", "-d", "2001-01-01", str(world.base_dir / "canary.txt")], check=True)
    return "ok"


@action("evil.leak", component="runner", registry=_evil)
async def leak(world, p: Text) -> list[Any]:
    """Returns the victim's messages to whoever asks."""
    session = world.variables["victim_session"]
    return world.store.fs.read_jsonl(
        world.store_root / "users" / "victim" / session / "messages.jsonl"
    )


@action("tools.evil_split", component="runner", registry=_evil)
async def split_args(world, p: Args) -> dict[str, Any]:
    """A 'tool' that re-splits its arguments on spaces, like a shell would."""
    argv = ["cat", *" ".join(p.args).split(" ")]
    return {"exit_code": 0, "success": True, "debug_information": {"argv": argv}}


@action("tools.evil_no_argv", component="runner", registry=_evil)
async def no_argv(world, p: Args) -> dict[str, Any]:
    """A 'tool' that ran but does not show its argv."""
    return {"exit_code": 0, "success": True, "debug_information": {}}


@action("evil.raw_error", component="runner", registry=_evil)
async def raw_error(world, p: Text) -> str:
    """Crashes on hostile input with a raw exception."""
    raise KeyError(p.text)


@action("evil.refuse", component="runner", registry=_evil)
async def refuse(world, p: Text) -> str:
    """Refuses everything with a domain error."""
    raise ValidationError(f"refused {p.text!r}")


@action("evil.echo", component="runner", registry=_evil)
async def echo(world, p: Text) -> dict[str, str]:
    """Stores nothing, returns the text stripped (not byte-identical)."""
    return {"text": p.text.strip() + "!"}


def _registry() -> ActionRegistry:
    registry = ActionRegistry()
    for act in [*load_actions(), *_evil]:
        registry.register(act)
    return registry


REGISTRY = _registry()


def _load(tmp_path: Path, text: str, depth: str | None = "standard"):
    path = tmp_path / "attack.yaml"
    path.write_text(text)
    return load_file(path, registry=REGISTRY, display="attack.yaml", scan_depth=depth)


def _run(spec) -> ScenarioRun:
    run = ScenarioRun(
        config=spec.config,
        variables=spec.variables,
        registry=REGISTRY,
        attack=spec.attack,
        invariants=spec.invariants,
    )
    try:
        for step in spec.steps:
            run.step(
                step.action,
                step.params,
                where=step.where,
                save=step.save,
                expect=step.expect,
                raises=step.raises,
                attack_outcome=step.attack_outcome,
                read_back=step.read_back,
            )
    finally:
        run.close()
    return run


ONE = """
scenarios:
  - name: probe
    attack: {{payload: [xss]}}
    steps:
      - {step}
        attack_outcome: {outcome}
"""


def _first(tmp_path: Path, step: str, outcome: str = "refused_or_verbatim"):
    return _load(tmp_path, ONE.format(step=step, outcome=outcome)).scenarios[0]


# -- loader and schema -------------------------------------------------------------------
def test_unknown_corpus_is_a_file_line_error_naming_the_known_corpora(tmp_path):
    with pytest.raises(ScenarioFileError) as caught:
        _load(
            tmp_path,
            "scenarios:\n  - name: x\n    attack: {payload: [xss, sqli]}\n"
            "    steps:\n      - noop: {}\n",
        )
    text = str(caught.value)
    assert "attack.yaml:3:" in text
    assert "'sqli' is not one of" in text
    for name in attack.corpus_names():
        assert name in text


def test_a_step_using_the_payload_must_declare_an_outcome(tmp_path):
    with pytest.raises(ScenarioFileError) as caught:
        _load(
            tmp_path,
            "scenarios:\n  - name: x\n    attack: {payload: [xss]}\n"
            "    steps:\n      - message.add: {user_id: a, session_id: s, "
            "role: user, content: '${payload}'}\n",
        )
    assert (
        "attack.yaml:5: step uses attacked variable ${payload} but declares no "
        "attack_outcome" in str(caught.value)
    )


def test_attack_outcome_needs_an_attack(tmp_path):
    with pytest.raises(ScenarioFileError) as caught:
        _load(
            tmp_path,
            "scenarios:\n  - name: x\n    steps:\n      - noop: {}\n"
            "        attack_outcome: refused\n",
        )
    assert "attack.yaml:5: 'attack_outcome' needs an 'attack' on the scenario" in str(caught.value)


def test_read_back_names_one_known_action(tmp_path):
    with pytest.raises(ScenarioFileError) as caught:
        _load(
            tmp_path,
            ONE.format(
                step="evil.echo: {text: '${payload}'}",
                outcome="verbatim\n        read_back: {evil.ecko: {}, path: text}",
            ),
        )
    assert (
        "read_back needs one action and a path, got 'evil.ecko' (did you mean "
        "'evil.echo'?)" in str(caught.value)
    )


@pytest.mark.parametrize("depth", ["basic", "standard"])
def test_one_run_per_payload_at_each_depth(tmp_path, depth):
    spec = _load(
        tmp_path,
        ONE.format(step="evil.echo: {text: '${payload}'}", outcome="verbatim").replace(
            "[xss]", "[xss, sql_injection]"
        ),
        depth=depth,
    )
    expected = len(attack.payloads("xss", depth)) + len(attack.payloads("sql_injection", depth))
    assert len(spec.scenarios) == expected
    assert expected == (
        2 * attack.BASIC_LINES
        if depth == "basic"
        else len(attack._vendored("xss")) + len(attack._vendored("sql_injection"))
    )
    first = spec.scenarios[0]
    lines = (attack.PAYLOAD_DIR / "xss.txt").read_text().split("\n")
    number = int(first.display_name.rsplit("-", 1)[1].rstrip("]"))
    assert first.display_name.startswith("probe[xss-")
    assert lines[number - 1] == first.variables["payload"]  # the id names the file line


def test_comprehensive_depth_needs_the_deep_folder_and_adds_its_lines(tmp_path, monkeypatch):
    monkeypatch.delenv(attack.DEEP_DIR_ENV, raising=False)
    with pytest.raises(ScenarioFileError) as caught:
        _load(
            tmp_path,
            ONE.format(step="evil.echo: {text: '${payload}'}", outcome="verbatim"),
            depth="comprehensive",
        )
    assert attack.DEEP_DIR_ENV in str(caught.value)
    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "xss.txt").write_text("<b>deep one</b>\n<script>alert(1)</script>\n")
    monkeypatch.setenv(attack.DEEP_DIR_ENV, str(deep))
    spec = _load(
        tmp_path,
        ONE.format(step="evil.echo: {text: '${payload}'}", outcome="verbatim"),
        depth="comprehensive",
    )
    assert len(spec.scenarios) == len(attack._vendored("xss")) + 1  # the duplicate once
    assert spec.scenarios[-1].display_name == "probe[xss+deep-1]"


def test_esc_lines_decode_nul_and_invisible_characters():
    texts = [p.text for p in attack.payloads("path_traversal", "standard")]
    assert "../../etc/passwd\x00.txt" in texts
    assert any("\u202e" in p.text for p in attack.payloads("unicode_confusables"))


# -- the oracles ---------------------------------------------------------------------------
def test_outside_write_fails_the_run_naming_the_oracle(tmp_path):
    spec = _first(tmp_path, "evil.write_outside: {text: '${payload}'}")
    with pytest.raises(
        InvariantBreach,
        match=r"\[outside_root\] .*escaped.txt was written "
        r"outside the store root",
    ):
        _run(spec)


def test_write_through_a_symlink_in_the_root_counts_as_outside(tmp_path):
    spec = _first(tmp_path, "evil.write_via_symlink: {text: '${payload}'}")
    with pytest.raises(
        InvariantBreach,
        match=r"\[outside_root\] .*link.txt -> .*target.txt "
        r"was written outside",
    ):
        _run(spec)


def test_outside_read_fails_the_run_naming_the_oracle(tmp_path):
    spec = _first(tmp_path, "evil.read_outside: {text: '${payload}'}")
    with pytest.raises(
        InvariantBreach,
        match=r"\[outside_root\] .*canary.txt was read "
        r"outside the store root",
    ):
        _run(spec)


def test_canary_changed_behind_the_audit_hook_fails_the_run(tmp_path):
    spec = _first(tmp_path, "evil.touch_canary: {text: '${payload}'}")
    with pytest.raises(InvariantBreach) as caught:
        _run(spec)
    assert "[canary]" in str(caught.value) and "was touched (mtime" in str(caught.value)
    assert "[outside_root]" not in str(caught.value)  # a subprocess: only the canary saw it


def test_victim_secret_in_a_result_fails_the_run(tmp_path):
    spec = _first(tmp_path, "evil.leak: {text: '${payload}'}")
    with pytest.raises(
        InvariantBreach,
        match=r"\[cross_user\] the step's result shows the "
        r"secret marker of user 'victim'",
    ):
        _run(spec)


def test_a_payload_split_into_several_argv_elements_fails_the_run(tmp_path):
    spec = _load(
        tmp_path,
        ONE.format(step="tools.evil_split: {args: ['${payload}']}", outcome="refused_or_verbatim"),
    ).scenarios
    spaced = next(s for s in spec if " " in s.variables["payload"])
    with pytest.raises(
        InvariantBreach,
        match=r"\[argv\] payload .* did not reach the tool as "
        r"one argv element",
    ):
        _run(spaced)
    _run(next(s for s in spec if " " not in s.variables["payload"]))  # one word: one element


def test_argv_not_shown_fails_the_run(tmp_path):
    spec = _first(tmp_path, "tools.evil_no_argv: {args: ['${payload}']}")
    with pytest.raises(
        InvariantBreach,
        match=r"\[argv\] the command ran but its argv is not "
        r"in the result",
    ):
        _run(spec)


def test_raw_exception_on_hostile_input_fails_even_where_refusal_is_fine(tmp_path):
    spec = _first(tmp_path, "evil.raw_error: {text: '${payload}'}", "refused_or_verbatim")
    with pytest.raises(
        InvariantBreach,
        match=r"\[outcome\] hostile input raised a raw "
        r"KeyError",
    ):
        _run(spec)


def test_refused_expected_but_accepted_fails(tmp_path):
    spec = _first(tmp_path, "evil.echo: {text: '${payload}'}", "refused")
    with pytest.raises(
        InvariantBreach,
        match=r"\[outcome\] expected the payload to be "
        r"refused",
    ):
        _run(spec)
    _run(_first(tmp_path, "evil.refuse: {text: '${payload}'}", "refused"))


def test_verbatim_read_back_must_be_byte_identical(tmp_path):
    spec = _first(
        tmp_path,
        "evil.echo: {text: '${payload}'}",
        "verbatim\n        read_back: {evil.echo: {text: '${payload}'}, path: text}",
    )
    with pytest.raises(
        InvariantBreach,
        match=r"\[outcome\] read back .* not the payload "
        r"byte-identical",
    ):
        _run(spec)


def test_a_clean_attack_run_passes_and_has_a_victim_and_canary(tmp_path):
    spec = _first(
        tmp_path,
        "message.add: {user_id: victim, session_id: '${victim_session}', "
        "role: user, content: '${payload}'}",
        "verbatim\n        save: {m: message_id}\n        read_back: {message.get: "
        "{user_id: victim, session_id: '${victim_session}', message_id: '${m}'}, "
        "path: content}",
    )
    run = _run(spec)
    assert [s.title.split(":")[0] for s in run.record.steps[:3]] == ["attack world"] * 3
    assert run.oracle is not None and run.oracle.world.canary.name == "canary.txt"

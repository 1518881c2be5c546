"""The CLI's parser in-process: every option of every command parses to the attribute and
value the handlers read, and the help text (the CLI's own documentation) is the reviewed
copy in cli_help.txt beside this file.

When a help text changes on purpose, regenerate the copy and review its diff:
    PRISM_WRITE_CLI_HELP=1 .venv/bin/pytest tests/unit/prism_scenarios/test_cli_parser.py
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

from prism_scenarios import cli
from prism_scenarios.cli import build_parser, parse

HELP_FILE = Path(__file__).with_name("cli_help.txt")


def _attrs(argv: list[str], *names: str) -> tuple:
    args = parse(argv)
    return tuple(getattr(args, name) for name in names)


def test_every_run_option() -> None:
    args = parse(
        [
            "run",
            "p1",
            "--suite",
            "s",
            "--scan-depth",
            "comprehensive",
            "--tags",
            "t",
            "-k",
            "kw",
            "-n",
            "2",
            "--report-dir",
            "r",
            "--no-html",
            "--vulnerability-threshold",
            "critical",
            "--all",
            "--profile",
            "regression",
            "--config",
            "c.yaml",
            "--stop-on-first-failure",
            "--reruns",
            "3",
            "--load-profile",
            "soak",
            "--shard",
            "1/2",
            "--shard-durations",
            "d.json",
            "p2",
        ]
    )
    assert (args.command, args.func) == ("run", cli._cmd_run)
    assert (args.paths, args.suite, args.scan_depth, args.tags, args.keyword) == (
        ["p1", "p2"],
        "s",
        "comprehensive",
        "t",
        "kw",
    )
    assert (args.workers, args.report_dir, args.no_html, args.vulnerability_threshold) == (
        "2",
        "r",
        True,
        "critical",
    )
    assert (args.all, args.profile, args.config, args.stop, args.reruns) == (
        True,
        "regression",
        "c.yaml",
        True,
        3,
    )
    assert (args.load_profile, args.shard_durations) == ("soak", "d.json")
    assert (args.shard.index, args.shard.count) == (1, 2)


def test_run_defaults() -> None:
    args = parse(["run"])
    assert (args.paths, args.suite, args.scan_depth, args.tags, args.keyword, args.workers) == (
        [],
        None,
        None,
        None,
        None,
        None,
    )
    assert (args.report_dir, args.no_html, args.vulnerability_threshold, args.all) == (
        "reports",
        False,
        None,
        False,
    )
    assert (args.profile, args.config, args.stop, args.reruns, args.load_profile) == (
        None,
        None,
        None,
        None,
        "quick",
    )
    assert (args.shard, args.shard_durations) == (None, None)


@pytest.mark.parametrize(
    ("option", "good", "bad"),
    [
        ("--scan-depth", ("basic", "standard", "comprehensive"), "deep"),
        ("--vulnerability-threshold", ("low", "medium", "high", "critical"), "LOW"),
        ("--profile", ("smoke", "regression"), "soak"),
    ],
)
def test_run_choices(option: str, good: tuple[str, ...], bad: str, capsys) -> None:
    attribute = option.lstrip("-").replace("-", "_")
    for value in good:
        assert getattr(parse(["run", option, value]), attribute) == value
    with pytest.raises(SystemExit) as raised:
        parse(["run", option, bad])
    assert raised.value.code == 2
    assert f"argument {option}: invalid choice: '{bad}'" in capsys.readouterr().err


def test_run_short_options() -> None:
    assert _attrs(["run", "-x", "-k", "a", "-n", "auto"], "stop", "keyword", "workers") == (
        True,
        "a",
        "auto",
    )


def test_validate_list_actions_steps_options() -> None:
    assert _attrs(["validate", "a", "b", "--unused"], "paths", "unused", "func") == (
        ["a", "b"],
        True,
        cli._cmd_validate,
    )
    assert _attrs(["validate"], "paths", "unused") == ([], False)
    assert _attrs(["list", "a", "--use-cases", "b"], "paths", "use_cases", "func") == (
        ["a", "b"],
        True,
        cli._cmd_list,
    )
    assert _attrs(["list"], "paths", "use_cases") == ([], False)
    assert _attrs(["actions", "--markdown", "--component", "kb"], "markdown", "component") == (
        True,
        "kb",
    )
    assert _attrs(["actions"], "markdown", "component", "func") == (False, None, cli._cmd_actions)
    assert _attrs(["steps", "--grep", "g", "--match", "Given x"], "grep", "match", "func") == (
        "g",
        "Given x",
        cli._cmd_steps,
    )
    assert _attrs(["steps"], "grep", "match") == (None, None)


def test_schema_init_fuzz_options() -> None:
    assert _attrs(["schema", "--output", "o", "--load", "--check"], "output", "load", "check") == (
        "o",
        True,
        True,
    )
    assert _attrs(["schema"], "output", "load", "check", "func") == (
        None,
        False,
        False,
        cli._cmd_schema,
    )
    assert _attrs(["init", "d"], "directory", "func") == ("d", cli._cmd_init)
    fuzz = ["fuzz", "--action", "a", "--examples", "3", "--seed", "4", "--out", "o"]
    assert _attrs(fuzz, "action", "examples", "seed", "out", "func") == (
        ["a"],
        3,
        4,
        "o",
        cli._cmd_fuzz,
    )


def test_load_options() -> None:
    argv = ["load", "a.yaml", "b.yaml", "--profile", "soak", "--workers", "3", "--dask", "tcp://h"]
    argv += ["--report-dir", "r", "--no-html", "--no-progress"]
    assert _attrs(
        argv, "files", "profile", "quick", "workers", "dask", "report_dir", "no_html", "no_progress"
    ) == (["a.yaml", "b.yaml"], "soak", False, 3, "tcp://h", "r", True, True)
    assert _attrs(["load", "a"], "quick", "profile", "workers", "dask", "report_dir") == (
        False,
        None,
        None,
        None,
        "reports",
    )
    assert _attrs(["load", "a"], "no_html", "no_progress", "func") == (False, False, cli._cmd_load)


def test_load_quick_and_profile_exclude_each_other(capsys) -> None:
    with pytest.raises(SystemExit):
        parse(["load", "a", "--quick", "--profile", "soak"])
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse(["load"])
    assert "the following arguments are required: files" in capsys.readouterr().err


def test_report_options() -> None:
    argv = ["report", "a", "b", "--results", "res", "--report-dir", "r", "--no-html"]
    argv += ["--config", "c", "--vulnerability-threshold", "high"]
    assert _attrs(
        argv, "dirs", "results", "report_dir", "no_html", "config", "vulnerability_threshold"
    ) == (["a", "b"], "res", "r", True, "c", "high")
    assert _attrs(["report"], "no_html", "config", "vulnerability_threshold", "func") == (
        False,
        None,
        None,
        cli._cmd_report,
    )


def test_every_command_is_known_by_name() -> None:
    parser, commands = build_parser()
    assert parser.prog == "prism-scenarios"
    assert list(commands) == [
        "run",
        "validate",
        "list",
        "actions",
        "steps",
        "schema",
        "init",
        "fuzz",
        "load",
        "report",
    ]
    for name, command in commands.items():
        assert command.prog == f"prism-scenarios {name}"


def _help_text() -> str:
    """The top-level help and every command's, at a fixed width."""
    parser, commands = build_parser()
    parts = [parser.format_help()]
    parts += [f"=== {name}\n{command.format_help()}" for name, command in commands.items()]
    return "\n".join(parts)


def test_help_text_is_the_reviewed_copy(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    text = _help_text()
    if os.environ.get("PRISM_WRITE_CLI_HELP"):
        HELP_FILE.write_text(text)
    assert text == HELP_FILE.read_text(), (
        "the CLI's help text changed: review it, then regenerate cli_help.txt "
        "(see this module's docstring)"
    )


def test_main_help_lists_every_command(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    with contextlib.redirect_stdout(io.StringIO()) as out, pytest.raises(SystemExit):
        parse(["--help"])
    text = out.getvalue()
    assert text.startswith("usage: prism-scenarios [-h] COMMAND ...")
    for line in (
        "    run       run scenario suites (wraps pytest) and write reports",
        "    schema    write the scenario JSON Schema for editors",
    ):
        assert line in text.splitlines()

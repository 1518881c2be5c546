"""``prism-scenarios run`` and friends as a user meets them: any folder, options in any order,
runs that abort, partial runs, pipes, the scaffold."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prism_scenarios.cli import main, parse
from prism_scenarios.resource_sampler import ResourceSampler

PASSING = """\
use_case: basic_chat
tags: [smoke]
scenarios:
  - name: counts
    steps:
      - user.create: {user_id: alice}
      - session.create: {user_id: alice}
        save: {s1: session_id}
      - chat.turn: {user_id: alice, session_id: "${s1}", text: hi, reply: hello}
      - session.get: {user_id: alice, session_id: "${s1}"}
        expect: [{path: message_count, equals: 2}]
"""
ABORTING_ACTION = '''\
from prism_scenarios.actions import Params, action


class Nothing(Params):
    pass


@action("team.abort", component="runner")
async def abort(world, p: Nothing) -> None:
    """Stand in for Ctrl-C in the middle of a run."""
    raise KeyboardInterrupt
'''


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project: scenarios in a folder of their choosing, not scenarios/."""
    (tmp_path / "checks" / "deep").mkdir(parents=True)
    (tmp_path / "checks" / "deep" / "chat.yml").write_text(PASSING)
    (tmp_path / "checks" / "notes.yaml").write_text("owner: team-chat\n")  # not a scenario
    return tmp_path


@pytest.mark.parametrize("order", ["options last", "options first"])
def test_options_and_paths_in_any_order(order: str) -> None:
    options = ["--report-dir", "R", "--tags", "smoke", "--no-html", "-n", "2"]
    argv = ["run", "checks", *options] if order == "options last" else ["run", *options, "checks"]
    args = parse([*argv, "--", "-x"])
    assert (
        args.paths,
        args.report_dir,
        args.tags,
        args.no_html,
        args.workers,
        args.pytest_args,
    ) == (["checks"], "R", "smoke", True, "2", ["-x"])
    assert parse(["run", "a", "--tags", "x", "b"]).paths == ["a", "b"]


@pytest.mark.subprocess
def test_a_folder_outside_scenarios_runs_every_scenario_in_it(project: Path) -> None:
    done = _cli(
        project,
        "run",
        "checks",
        "--report-dir",
        "out",
        "--no-html",
        "--tags",
        "use_case:basic_chat",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "prism-scenarios: 1 passed" in done.stdout
    summary = json.loads((project / "out" / "summary.json").read_text())
    assert [t["nodeid"] for t in summary["tests"]] == ["checks/deep/chat.yml::counts"]
    listed = _cli(project, "list", "checks")
    assert "checks/deep/chat.yml:4  counts" in listed.stdout


@pytest.mark.subprocess
def test_missing_or_empty_paths_are_errors(project: Path) -> None:
    (project / "empty").mkdir()
    (project / "empty" / "notes.yaml").write_text("owner: nobody\n")
    missing = _cli(project, "run", "nope", "--no-html")
    assert missing.returncode == 4 and "nope: no such file or folder" in missing.stdout
    empty = _cli(project, "run", "empty", "--no-html")
    assert empty.returncode == 5, empty.stdout
    assert "no scenario file" in empty.stdout
    assert "passed over empty/notes.yaml: no top-level 'scenarios:' key" in empty.stdout
    for command in ("validate", "list"):
        assert _cli(project, command, "nope").returncode == 1
        done = _cli(project, command, "empty")
        assert done.returncode == 1 and "no scenario file" in done.stdout, done.stdout
    assert not (project / "reports").exists()


@pytest.mark.subprocess
def test_an_aborted_or_empty_run_keeps_the_last_reports(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.prism-scenarios]\naction_modules = ["team_actions"]\n'
    )
    (project / "team_actions.py").write_text(ABORTING_ACTION)
    assert _cli(project, "run", "checks", "--no-html").returncode == 0
    reports = project / "reports"
    html = reports / "allure-report" / "index.html"
    html.parent.mkdir()
    html.write_text("the last good report")
    before = {p.relative_to(reports): p.read_bytes() for p in reports.rglob("*") if p.is_file()}
    assert any(p.parts[0] == "allure-results" for p in before)
    assert Path("integration/system_integration_report.json") in before
    (project / "abort").mkdir()
    (project / "abort" / "a.yaml").write_text(
        "scenarios:\n  - name: interrupted\n    steps: [{team.abort: {}}]\n"
    )
    runs = {
        "interrupted": _cli(project, "run", "abort"),
        "nothing selected": _cli(project, "run", "checks", "-k", "no_such_test"),
        "pytest usage error": _cli(project, "run", "checks", "--", "--no-such-flag"),
    }
    assert [d.returncode for d in runs.values()] == [2, 5, 4], runs
    for why, done in runs.items():
        assert "nothing was published" in done.stdout, (why, done.stdout)
    after = {p.relative_to(reports): p.read_bytes() for p in reports.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in reports.iterdir() if p.name.startswith(".")]


@pytest.mark.subprocess
def test_a_partial_run_is_scored_on_what_it_ran(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.prism-scenarios]\nuse_case_catalog = "catalog.yaml"\n'
    )
    (project / "catalog.yaml").write_text(
        "use_cases:\n"
        "  - {id: basic_chat, name: Basic Chat, category: basic, required: [storage]}\n"
        "  - {id: rag_chat, name: RAG Chat, category: basic, required: [storage]}\n"
        "aliases: {}\n"
    )
    full = _cli(project, "run", "--no-html", "checks", "-k", "counts")
    assert "partial run (-k 'counts'; paths checks)" in full.stdout
    assert "use cases passing: 1/1" in full.stdout
    report = json.loads(
        (project / "reports" / "integration" / "system_integration_report.json").read_text()
    )
    assert (
        report["use_cases_validated"],
        report["use_cases_passing"],
        report["use_case_success_rate"],
    ) == (1, 1, 100.0)
    assert report["production_readiness_score"] is None and report["run_scope"] == "partial"
    assert "partial run" in report["notes"]["scope"]
    (project / "scenarios").mkdir()
    (project / "checks" / "deep" / "chat.yml").rename(project / "scenarios" / "chat.yml")
    whole = _cli(project, "run", "--no-html")
    assert "use cases passing: 1/2" in whole.stdout, whole.stdout
    report = json.loads(
        (project / "reports" / "integration" / "system_integration_report.json").read_text()
    )
    assert report["run_scope"] == "full" and report["production_readiness_score"] is not None
    verdicts = {v["use_case_id"]: v for v in report["use_case_results"]}
    assert verdicts["rag_chat"]["blocking_issues"] == [
        "no scenario covers use case 'rag_chat' (RAG Chat)"
    ]
    assert report["average_cpu_usage_percent"] <= report["peak_cpu_usage_percent"]


def test_average_cpu_never_exceeds_the_peak() -> None:
    """A run shorter than one sampling interval used to report a peak below its average."""
    with ResourceSampler(interval=10) as sampler:
        end = time.process_time() + 0.05
        while time.process_time() < end:
            pass
    assert sampler.average_cpu_percent is not None and sampler.average_cpu_percent > 0
    assert sampler.peak_cpu_percent is not None
    assert sampler.average_cpu_percent <= sampler.peak_cpu_percent


@pytest.mark.subprocess
@pytest.mark.parametrize("command", [["list", "scenarios"], ["actions"], ["steps"]])
def test_piping_into_head_is_quiet(command: list[str]) -> None:
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        f"{sys.executable} -m prism_scenarios.cli {' '.join(command)} | head -n 1",
        shell=True,
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip()
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_steps_lists_sentences_and_suggests(capsys) -> None:
    assert main(["steps", "--grep", "remembers"]) == 0
    out = capsys.readouterr().out
    assert (
        'Given/When "<user>" remembers "<content>" in the <layer> layer with relevance <relevance>'
    ) in out
    assert "layer: one of: immediate, short_term, medium_term, long_term, permanent" in out
    assert "relevance: a number" in out
    assert main(["steps", "--match", 'Given user "alice" exists']) == 0
    assert '[a ]user "<user>"[ exists]' in capsys.readouterr().out
    assert main(["steps", "--match", 'Given "alice" has a chat sesion "intro"']) == 1
    assert (
        'did you mean: Given "<user>" has a[n] <kind> session "<name>"' in capsys.readouterr().out
    )
    assert main(["steps", "--match", 'And user "alice" exists']) == 0  # copied from a feature
    assert main(["steps", "--grep", "no such words"]) == 1
    assert "no sentence contains 'no such words'" in capsys.readouterr().out


@pytest.mark.subprocess
def test_init_scaffolds_a_project_that_passes(tmp_path: Path) -> None:
    target = tmp_path / "my-project"
    done = _cli(tmp_path, "init", "my-project")
    assert done.returncode == 0, done.stderr
    for name in (
        "conftest.py",
        "pytest.ini",
        "scenarios/example.yaml",
        "features/example.feature",
        "features/test_features.py",
        "schemas/scenario.schema.json",
        ".vscode/settings.json",
    ):
        assert (target / name).is_file(), name
    settings = json.loads((target / ".vscode" / "settings.json").read_text())
    assert settings["yaml.schemas"] == {
        "./schemas/scenario.schema.json": ["scenarios/**/*.yaml", "scenarios/**/*.yml"]
    }
    assert _cli(target, "validate").returncode == 0
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=target,
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode == 0 and "2 passed" in plain.stdout, plain.stdout
    (target / "conftest.py").write_text("# the user's own\n")
    again = _cli(tmp_path, "init", "my-project")
    assert (
        "kept   my-project/conftest.py (exists; add to it: pytest_plugins = "
        '["prism_scenarios.pytest_plugin"])' in again.stdout
    )
    assert (target / "conftest.py").read_text() == "# the user's own\n"


@pytest.mark.subprocess
def test_env_values_never_reach_any_report(project: Path) -> None:
    secret = "s3cr3t-token-4711"
    (project / "checks" / "secret.yaml").write_text("""\
scenarios:
  - name: leaks nothing
    steps:
      - user.create: {user_id: alice, metadata: {token: "Bearer ${env:API_TOKEN}"}}
        save: {profile: metadata}
      - expect.value: {value: "${profile}"}
        expect:
          - {path: token, equals: "Bearer nope"}
          - {path: token, contains: "${env:API_TOKEN}-x"}
""")
    done = subprocess.run(
        [sys.executable, "-m", "prism_scenarios.cli", "run", "checks", "--no-html", "-k", "leaks"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "API_TOKEN": secret},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 of 2 expectations failed" in done.stdout and "Bearer ***" in done.stdout
    reports = project / "reports"
    written = {p: p.read_text(errors="replace") for p in reports.rglob("*") if p.is_file()}
    assert any(p.name == "junit.xml" for p in written)
    assert any(p.name.endswith("-result.json") for p in written)
    for path, text in [*written.items(), (Path("stdout"), done.stdout + done.stderr)]:
        assert secret not in text, path
    assert "***" in (reports / "junit.xml").read_text()


@pytest.mark.subprocess
def test_the_projects_own_allure_entries_survive_a_run(project: Path) -> None:
    results = project / "reports" / "allure-results"
    results.mkdir(parents=True)
    (results / "environment.properties").write_text("ci_build=1234\npython=stale\n")
    (results / "categories.json").write_text(
        json.dumps([{"name": "Flaky network", "matchedStatuses": ["broken"]}])
    )
    assert _cli(project, "run", "checks", "--no-html").returncode == 0
    env = (results / "environment.properties").read_text()
    assert "ci_build=1234" in env and "python=stale" not in env
    assert f"python={sys.version.split()[0]}" in env
    names = [c["name"] for c in json.loads((results / "categories.json").read_text())]
    assert names[0] == "Flaky network" and "Invariant breach" in names


@pytest.mark.subprocess
def test_settings_come_from_the_project_root_and_exclude_applies_everywhere(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.prism-scenarios]\nscenario_exclude = ["checks/wip/*"]\n'
    )
    (project / "checks" / "wip").mkdir()
    (project / "checks" / "wip" / "broken.yaml").write_text(
        "scenarios:\n  - name: half written\n    steps: [{no.such: {}}]\n"
    )
    (project / "conftest.py").write_text('pytest_plugins = ["prism_scenarios.pytest_plugin"]\n')
    deep = project / "checks" / "deep"
    for cwd in (project, deep):  # from a subfolder the same project is found
        for command in ("validate", "list"):
            done = _cli(cwd, command, str(project / "checks"))
            assert done.returncode == 0 and "broken" not in done.stdout, (cwd, done.stdout)
        plain = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                str(project / "checks"),
            ],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        assert plain.returncode == 0 and "1 passed" in plain.stdout, plain.stdout
    (project / "pyproject.toml").write_text('[tool.prism-scenarios]\nexclude = ["x"]\n')
    done = _cli(project, "validate", "checks")
    assert done.returncode == 2
    assert (
        "pyproject.toml: [tool.prism-scenarios] exclude: Extra inputs are not permitted"
        in done.stderr
        and "Traceback" not in done.stderr
    )


@pytest.mark.subprocess
def test_validate_knows_the_projects_own_steps(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["prism_scenarios.pytest_plugin"]\n')
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "login.feature").write_text(
        'Feature: Login\n  Scenario: mixed\n    Given user "bob" exists\n'
        '    Then the user is "bob"\n    And user "carl" exist\n'
    )
    (tmp_path / "features" / "test_login.py").write_text(
        "from pytest_bdd import parsers, scenarios, then\n\nscenarios('login.feature')\n\n\n"
        "@then(parsers.parse('the user is \"{name}\"'))\ndef user_is(name):\n"
        "    assert name == 'bob'\n"
    )
    done = _cli(tmp_path, "validate", "features")
    assert done.returncode == 1
    assert "the user is" not in done.stdout  # the project's own step is defined
    assert (
        'features/login.feature:5: undefined step: And user "carl" exist\n'
        '      did you mean: And [a ]user "<user>"[ exists]' in done.stdout
    )
    assert "1 undefined steps" in done.stdout or "1 problem" in done.stdout

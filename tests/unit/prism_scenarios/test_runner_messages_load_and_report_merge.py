"""Runner details: unknown-variable and subset-miss messages, severity tags, fuzz file names,
file-level settings, attack run ids, action loading, static coverage, report merging, step
timeouts, load plans (shared data, profiles, Dask, worker processes) and PDF line height."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios import matchers, pytest_plugin  # noqa: F401 (loaded before pytester runs)
from prism_scenarios.actions.registry import load_actions
from prism_scenarios.errors import ScenarioError
from prism_scenarios.fuzz import Finding, write_scenario
from prism_scenarios.interpolate import lookup
from prism_scenarios.loader import load_file
from prism_scenarios.tags import severity_tag

load_actions()  # before any pytester snapshot of sys.modules (see test_plugin_inprocess)


def _load(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return load_file(path, display="case.yaml")


def test_unknown_variable_lists_the_known_names_comma_separated() -> None:
    with pytest.raises(ScenarioError) as caught:
        lookup("missing", {"beta": 1, "alpha": 2})
    assert str(caught.value).endswith("unknown variable ${missing} (known: alpha, beta)")


def test_severity_tag_ignores_a_level_with_a_colon_in_it() -> None:
    assert severity_tag({"severity:x:critical"}) is None
    assert severity_tag({"severity:x:critical", "severity:minor"}) == "minor"


def test_fuzz_scenario_file_name_keeps_leading_and_trailing_x(tmp_path: Path) -> None:
    finding = Finding(action="xml.export", error="ParseX", message="m", params={}, seed=1)
    path = write_scenario(finding, tmp_path)
    assert path.name == "xml_export_ParseX.yaml"


def test_subset_miss_cuts_both_values_at_80_characters() -> None:
    got = "g" * 100
    want = "w" * 100
    message = matchers._subset_miss({"k": got}, {"k": want})
    shown_got = '"' + "g" * 79 + "…"
    shown_want = '"' + "w" * 79 + "…"
    assert message == f"key 'k' is {shown_got}, not {shown_want}"


def test_file_level_telemetry_and_config_reach_each_scenario(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
telemetry: true
config:
  storage:
    max_messages_per_session: 7
scenarios:
  - name: plain
    steps:
      - noop: {}
  - name: own
    telemetry: false
    config:
      storage:
        max_sessions_per_user: 3
    steps:
      - noop: {}
""",
    )
    plain, own = spec.scenarios
    assert plain.telemetry is True
    assert own.telemetry is False
    assert plain.config == {"storage": {"max_messages_per_session": 7}}
    assert own.config == {"storage": {"max_messages_per_session": 7, "max_sessions_per_user": 3}}


def test_attack_run_id_joins_example_and_payload_with_a_dash(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        """\
scenarios:
  - name: probe
    attack: {payload: [xss]}
    examples:
      - {size: 1}
    steps:
      - noop: {}
""",
    )
    assert spec.scenarios
    for scenario in spec.scenarios:
        assert scenario.example_id == f"size=1-{scenario.attack.payload.id}"


def test_load_actions_imports_the_action_modules_only_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prism_scenarios.actions import registry

    imported: list[str] = []
    real = registry.importlib.import_module

    def counting(name: str, *args, **kwargs):
        imported.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry.importlib, "import_module", counting)
    registry.load_actions()
    assert imported  # the first call imports the built-in action modules
    imported.clear()
    assert registry.load_actions() is registry.REGISTRY
    assert imported == []  # the second does not import them again


def test_a_callable_without_a_module_is_not_ours() -> None:
    from prism_scenarios.bdd.hooks import _is_ours

    step = (1).__add__  # a method-wrapper: no __module__ attribute at all
    assert not hasattr(step, "__module__")
    assert _is_ours(step) is False


def test_static_coverage_goes_on_after_a_broken_feature_file(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prism_scenarios.validate import static_coverage

    features = tmp_path / "features"
    features.mkdir()
    (features / "a_broken.feature").write_text("this is not gherkin\n  Scenario\n")
    (features / "b_good.feature").write_text(
        "@use_case:basic_chat\nFeature: good\n\n  Scenario: works\n    Given nothing\n"
    )
    found = static_coverage([str(features)])
    assert [ref.split(" ", 1)[1] for ref, _components in found["basic_chat"]] == ["works"]


def test_report_merge_keeps_the_families_the_inputs_agree_on(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from prism_scenarios.cli import main

    folders = []
    for name in ("a", "b"):
        folder = tmp_path / name
        (folder / "allure-results").mkdir(parents=True)
        test = {"nodeid": f"scenarios/{name}.yaml::one", "outcome": "passed", "duration": 0.5}
        (folder / "summary.json").write_text(
            json.dumps({"elapsed_seconds": 1.0, "tests": [test], "families": ["component"]})
        )
        folders.append(str(folder))
    conf = tmp_path / "conf.yaml"
    conf.write_text("report_output_formats: [json]\n")
    out = tmp_path / "merged"
    argv = ["report", "--no-html", "--config", str(conf), "--report-dir", str(out)]
    assert main([*argv, *folders]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["families"] == ["component"]


def test_a_yaml_step_past_its_timeout_fails_the_scenario(
    recording_project: pytest.Pytester,
) -> None:
    (recording_project.path / "scenarios").mkdir()
    (recording_project.path / "scenarios" / "slow.yaml").write_text(
        "use_case: basic_chat\n"
        "scenarios:\n"
        "  - name: slow\n"
        "    steps:\n"
        "      - wall.sleep: {ms: 3000}\n"
        "        timeout: 0.2\n"
    )
    result = recording_project.runpytest_inprocess("-rA")
    result.assert_outcomes(failed=1)
    assert "timeout of 0.2s" in result.stdout.str()


def test_a_load_scenario_leaving_the_shared_data_alone_is_not_blamed(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prism_scenarios.load import load_plan, run_plan

    folder = tmp_path / "scenarios" / "load"
    folder.mkdir(parents=True)
    (tmp_path / "scenarios" / "s.yaml").write_text(
        "scenarios:\n  - name: tidy\n    steps:\n      - user.create: {user_id: ann}\n"
    )
    (folder / "tidy.yaml").write_text(
        "name: tidy\nmix: [{scenario: tidy}]\n"
        "data: {volume: small}\nmodel: {type: open, rate: 5, duration: 1s}\n"
    )
    result = run_plan(load_plan(folder / "tidy.yaml"), progress=False)
    assert result.template_changed_by == []


def test_merging_results_only_renders_the_html_into_the_report_dir(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from prism_scenarios import report as report_mod
    from prism_scenarios.cli import main

    calls: list[tuple[Path, Path]] = []

    def render_html(results: Path, report_dir: Path, **_kw) -> Path:
        calls.append((results, report_dir))
        return report_dir / "allure-report" / "index.html"

    monkeypatch.setattr(report_mod, "render_html", render_html)
    folders = []
    for name in ("a", "b"):
        results = tmp_path / name / "allure-results"
        results.mkdir(parents=True)
        (results / f"{name}-result.json").write_text(
            json.dumps({"uuid": name, "name": name, "status": "passed"})
        )
        folders.append(str(tmp_path / name))
    conf = tmp_path / "conf.yaml"
    conf.write_text("report_output_formats: [json]\n")
    out = tmp_path / "merged"
    argv = ["report", "--config", str(conf), "--report-dir", str(out)]
    assert main([*argv, *folders]) == 0
    assert calls == [(out / "allure-results", out)]


def test_pdf_paragraph_lines_use_the_tables_line_height() -> None:
    from prism_scenarios.formats.pdf import _Page

    page = _Page()
    top = page.get_y()
    page.paragraph("one short line")
    assert page.get_y() - top == pytest.approx(4.6)  # the grid's line_height: one leading
    top = page.get_y()
    page.paragraph("word " * 200)  # wraps onto several lines, each 4.6 mm
    lines = (page.get_y() - top) / 4.6
    assert lines > 2 and lines == pytest.approx(round(lines))


@pytest.mark.parametrize(
    ("profile", "quick", "named"), [("quick", True, None), ("soak", False, "soak")]
)
def test_the_performance_family_runs_the_load_files_under_the_chosen_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str, quick: bool, named: str | None
) -> None:
    import argparse

    from prism_scenarios import cli
    from prism_scenarios.load import command as load_command

    load_file_path = tmp_path / "scenarios" / "load" / "one.yaml"
    monkeypatch.setattr(cli.families, "load_files", lambda _root: [load_file_path])
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(load_command, "run", lambda ns: seen.append(ns) or 0)
    args = argparse.Namespace(load_profile=profile, no_html=True)
    assert cli._run_load_family(args, tmp_path / "reports", None) == 0
    [ns] = seen
    assert (ns.files, ns.quick, ns.profile) == ([str(load_file_path)], quick, named)


def test_dask_connects_to_the_given_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    from prism_scenarios.load.executors import LoadRunError, run_dask

    addresses: list[object] = []

    class FakeClient:
        def __init__(self, address, **_kw) -> None:
            addresses.append(address)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def scheduler_info(self) -> dict:
            return {"workers": {}}

    monkeypatch.setattr(distributed, "Client", FakeClient)
    with pytest.raises(LoadRunError, match="tcp://sched:8786 has no workers"):
        run_dask(None, "tcp://sched:8786", None, None)  # type: ignore[arg-type]
    assert addresses == ["tcp://sched:8786"]


@pytest.mark.slow  # worker processes: make mutate leaves it out (a mutant lives in this process)
def test_a_load_plan_runs_across_two_worker_processes(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prism_scenarios.load import load_plan, run_plan

    folder = tmp_path / "scenarios" / "load"
    folder.mkdir(parents=True)
    (tmp_path / "scenarios" / "s.yaml").write_text(
        "scenarios:\n  - name: tidy\n    steps:\n      - noop: {}\n"
    )
    (folder / "two.yaml").write_text(
        "name: two\nmix: [{scenario: tidy}]\nmodel: {type: open, rate: 4, duration: 1s}\n"
    )
    result = run_plan(load_plan(folder / "two.yaml"), workers=2, progress=False)
    assert not result.aborted and result.executor == "processes x2"
    assert result.metrics.metric("iterations").passed == result.started

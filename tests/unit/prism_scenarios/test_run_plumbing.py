"""The plumbing of a run, in-process: publishing staged outputs (prism_scenarios.publish), the
shard cut inside pytest (prism_scenarios.shard_plugin), the project root and its settings
(prism_scenarios.project, prism_scenarios.settings), the scaffold (prism_scenarios.scaffold),
the resource sampler and the pytest11 entry point."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from prism_scenarios import project, publish, pytest_entry, scaffold, settings, shard_plugin
from prism_scenarios.resource_sampler import ResourceSampler, cpu_seconds
from prism_scenarios.shard import Shard, assign, digest


# -- publish ----------------------------------------------------------------------------------
def test_staging_carries_over_the_projects_entries_and_publishes_on_request(
    tmp_path: Path,
) -> None:
    reports = tmp_path / "reports"
    old_results = reports / "allure-results"
    old_results.mkdir(parents=True)
    (old_results / "environment.properties").write_text("ci_build=7\npython=3.0\n")
    (old_results / "old-result.json").write_text("{}")
    (reports / "junit.xml").write_text("old junit")
    (reports / "summary.json").write_text("old summary")
    staging = publish.Staging(reports)
    assert staging.root == reports / f".run-{os.getpid()}"
    assert staging.results == staging.root / "allure-results"
    assert staging.junit == staging.root / "junit.xml"
    with staging as entered:
        assert entered is staging
        assert (staging.results / "environment.properties").read_text() == "ci_build=7\n"
        (staging.results / "new-result.json").write_text("{}")
        staging.junit.write_text("new junit")  # no summary.json this time
        assert staging.publish() == old_results
    assert sorted(p.name for p in old_results.iterdir()) == [
        "environment.properties",
        "new-result.json",
    ]
    assert (reports / "junit.xml").read_text() == "new junit"
    assert (reports / "summary.json").read_text() == "old summary"
    assert sorted(p.name for p in reports.iterdir()) == [
        "allure-results",
        "junit.xml",
        "summary.json",
    ]  # the staging folder and the old results are gone


def test_an_unpublished_run_leaves_the_last_outputs_and_no_staging(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    (reports / "allure-results").mkdir(parents=True)
    (reports / "allure-results" / "kept-result.json").write_text("{}")
    leftover = reports / f".run-{os.getpid()}"
    (leftover / "stale").mkdir(parents=True)  # an earlier run of this pid: cleared
    with pytest.raises(KeyboardInterrupt), publish.Staging(reports) as staging:
        assert not (staging.root / "stale").exists()
        (staging.results / "x-result.json").write_text("{}")
        raise KeyboardInterrupt
    assert sorted(p.name for p in reports.iterdir()) == ["allure-results"]
    assert [p.name for p in (reports / "allure-results").iterdir()] == ["kept-result.json"]


def test_publishing_into_an_empty_report_folder(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with publish.Staging(reports) as staging:
        (staging.root / "summary.json").write_text("s")
        target = staging.publish()
    assert target == reports / "allure-results" and target.is_dir()
    assert (reports / "summary.json").read_text() == "s"
    assert not (reports / "junit.xml").exists()


def test_publishing_gives_up_after_ten_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = tmp_path / "reports"
    with publish.Staging(reports) as staging:
        tries: list[Path] = []
        real_rename = Path.rename

        def rename(self: Path, target: Any) -> Any:
            if self == staging.results:
                tries.append(Path(target))
                raise OSError("someone else's results arrived first")
            return real_rename(self, target)

        monkeypatch.setattr(Path, "rename", rename)
        with pytest.raises(OSError) as caught:
            staging.publish()
        assert str(caught.value) == (
            f"could not publish {staging.results} as {reports / 'allure-results'}"
        )
        assert len(tries) == 10


# -- shard plugin -----------------------------------------------------------------------------
class _Hook:
    def __init__(self) -> None:
        self.deselected: list[Any] = []

    def pytest_deselected(self, items: list[Any]) -> None:
        self.deselected.extend(items)


def _config(**options: Any) -> Any:
    values = {
        "prism_shard": None,
        "prism_shard_durations": None,
        "prism_shard_record": None,
        **options,
    }
    return SimpleNamespace(getoption=values.__getitem__, hook=_Hook())


def _items(*nodeids: str) -> list[Any]:
    return [SimpleNamespace(nodeid=n) for n in nodeids]


NODES = [f"t.py::test_{n}" for n in range(7)]


def test_without_a_shard_nothing_is_cut() -> None:
    items = _items(*NODES)
    config = _config()
    shard_plugin.pytest_collection_modifyitems(config, items)
    assert [i.nodeid for i in items] == NODES and config.hook.deselected == []


def test_a_shard_keeps_its_part_deselects_the_rest_and_records_it(tmp_path: Path) -> None:
    shards, loads, _ = assign(NODES, 3)
    record = tmp_path / "record.json"
    items = _items(*NODES)
    config = _config(prism_shard=Shard(2, 3), prism_shard_record=str(record))
    shard_plugin.pytest_collection_modifyitems(config, items)
    kept = [n for n in NODES if shards[n] == 2]
    assert [i.nodeid for i in items] == kept
    assert [i.nodeid for i in config.hook.deselected] == [n for n in NODES if shards[n] != 2]
    text = record.read_text(encoding="utf-8")
    assert json.loads(text) == {
        "index": 2,
        "count": 3,
        "suite_tests": 7,
        "suite_digest": digest(NODES),
        "tests": len(kept),
        "balanced_by": "hash",
        "durations_digest": None,
        "estimated_loads": loads,
    }
    assert text.startswith('{\n  "index": 2,')
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_a_shard_balanced_by_durations_from_a_file(tmp_path: Path) -> None:
    durations = {NODES[0]: 5000, NODES[1]: 10, NODES[2]: 20}
    source = tmp_path / "durations.json"
    source.write_text(json.dumps({k: str(v) if k == NODES[0] else v for k, v in durations.items()}))
    shards, loads, _ = assign(NODES, 2, durations)
    items = _items(*NODES)
    record = tmp_path / "r.json"
    config = _config(
        prism_shard=Shard(1, 2), prism_shard_durations=str(source), prism_shard_record=str(record)
    )
    shard_plugin.pytest_collection_modifyitems(config, items)
    assert [i.nodeid for i in items] == [n for n in NODES if shards[n] == 1] == [NODES[0]]
    data = json.loads(record.read_text())
    assert data["balanced_by"] == "durations"
    assert data["durations_digest"] == digest(durations)
    assert data["estimated_loads"] == loads


def test_a_single_shard_keeps_everything_and_deselects_nothing() -> None:
    items = _items(*NODES)
    config = _config(prism_shard=Shard(1, 1))
    shard_plugin.pytest_collection_modifyitems(config, items)
    assert [i.nodeid for i in items] == NODES and config.hook.deselected == []


def test_the_shard_options_are_registered_in_their_group() -> None:
    import argparse

    from prism_scenarios.shard import parse_spec

    groups: dict[str, dict[str, dict[str, Any]]] = {}

    def getgroup(name: str) -> Any:
        options = groups.setdefault(name, {})
        return SimpleNamespace(addoption=lambda flag, **kw: options.__setitem__(flag, kw))

    shard_plugin.pytest_addoption(SimpleNamespace(getgroup=getgroup))  # type: ignore[arg-type]
    options = groups["prism-scenarios shard"]
    assert list(options) == ["--prism-shard", "--prism-shard-durations", "--prism-shard-record"]
    assert options["--prism-shard"]["type"] is parse_spec
    assert options["--prism-shard"]["metavar"] == "K/N"
    assert all(o["default"] is None for o in options.values())
    assert options["--prism-shard-durations"]["metavar"] == "FILE"
    assert options["--prism-shard-durations"]["help"] == (
        "balance the shards by these durations ({node id: ms}, as written by prism-scenarios run)"
    )
    assert options["--prism-shard"]["help"] == "run only shard K of N of the collected tests"
    assert options["--prism-shard-record"]["help"] == "write what this shard holds (JSON) to FILE"
    with pytest.raises(argparse.ArgumentTypeError):
        options["--prism-shard"]["type"]("3/2")


# -- project root and settings ----------------------------------------------------------------
@pytest.fixture
def fresh_project(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(project, "_root", None)
    settings.load.cache_clear()
    yield
    settings.load.cache_clear()


def test_the_root_is_the_nearest_folder_with_a_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_project: None
) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").mkdir()  # a folder of that name is no project
    assert project.project_root(deep) == tmp_path.resolve()
    monkeypatch.chdir(deep)
    assert project.project_root() == tmp_path.resolve()
    lone = tmp_path.parent / f"{tmp_path.name}-lone"
    lone.mkdir()
    if not any((p / "pyproject.toml").is_file() for p in lone.resolve().parents):
        assert project.project_root(lone) == lone.resolve()


def test_pytests_rootdir_wins_unless_a_start_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_project: None
) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    project.set_project_root(chosen)
    assert project._root == chosen
    monkeypatch.chdir(tmp_path)
    assert project.project_root() == chosen.resolve()  # no pyproject needed there
    assert project.project_root(chosen) == tmp_path.resolve()  # a start searches upward
    project.set_project_root(None)
    assert project.project_root() == tmp_path.resolve()


def test_settings_default_without_a_pyproject_or_table(tmp_path: Path, fresh_project: None) -> None:
    loaded = settings.load(tmp_path)
    assert loaded.root == tmp_path.resolve()
    assert loaded.action_modules == [] and loaded.use_case_catalog is None
    assert loaded.max_scenario_file_mb == 5.0 and loaded.scenario_exclude == []
    assert loaded.path("x/y.yaml") == tmp_path.resolve() / "x" / "y.yaml"
    (tmp_path / "pyproject.toml").write_text("[tool.other]\na = 1\n")
    settings.load.cache_clear()
    assert settings.load(tmp_path).action_modules == []


def test_settings_are_read_from_the_table_once_per_root(
    tmp_path: Path, fresh_project: None
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.prism-scenarios]\naction_modules = ["team.actions"]\n'
        'use_case_catalog = "cases.yaml"\nmax_scenario_file_mb = 0.5\n'
        'scenario_exclude = ["scenarios/data/**"]\n'
    )
    loaded = settings.load(tmp_path)
    assert loaded.action_modules == ["team.actions"]
    assert loaded.use_case_catalog == "cases.yaml"
    assert loaded.max_scenario_file_mb == 0.5
    assert loaded.scenario_exclude == ["scenarios/data/**"]
    pyproject.write_text("[tool.prism-scenarios]\naction_modules = []\n")
    assert settings.load(tmp_path) is loaded  # cached
    settings.load.cache_clear()
    assert settings.load(tmp_path).action_modules == []


@pytest.mark.parametrize(
    "table, message",
    [
        ('root = "elsewhere"', "[tool.prism-scenarios] root: unknown key"),
        ("colour = 1", "[tool.prism-scenarios] colour: Extra inputs are not permitted"),
        (
            "max_scenario_file_mb = 0",
            "[tool.prism-scenarios] max_scenario_file_mb: Input should be greater than 0",
        ),
    ],
)
def test_bad_settings_name_the_file_and_key(
    tmp_path: Path, fresh_project: None, table: str, message: str
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.prism-scenarios]\n{table}\n")
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(tmp_path)
    assert str(caught.value) == f"{pyproject}: {message}"


def test_every_bad_key_is_named_on_its_own_line(tmp_path: Path, fresh_project: None) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.prism-scenarios]\nb = 1\naction_modules = "x"\n')
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(tmp_path)
    assert str(caught.value).splitlines() == [
        f"{pyproject}: [tool.prism-scenarios] action_modules: Input should be a valid list",
        f"{pyproject}: [tool.prism-scenarios] b: Extra inputs are not permitted",
    ]


def test_a_pyproject_that_is_not_toml(tmp_path: Path, fresh_project: None) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.prism-scenarios\n")
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(tmp_path)
    assert str(caught.value).startswith(f"{pyproject}: ")
    assert isinstance(caught.value, ValueError)


# -- scaffold ---------------------------------------------------------------------------------
def test_scaffold_writes_every_template_the_schema_and_editor_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from prism_scenarios.schema import build_schema, render

    target = tmp_path / "new" / "project"
    assert scaffold.scaffold(target) == 0
    templates = {
        p.relative_to(scaffold.TEMPLATES)
        for p in scaffold.TEMPLATES.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    for relative in templates:
        assert (target / relative).read_bytes() == (scaffold.TEMPLATES / relative).read_bytes()
    assert (target / "schemas" / "scenario.schema.json").read_text() == render(build_schema())
    assert json.loads((target / ".vscode" / "settings.json").read_text()) == {
        "yaml.schemas": {
            "./schemas/scenario.schema.json": ["scenarios/**/*.yaml", "scenarios/**/*.yml"]
        }
    }
    written = {p.relative_to(target) for p in target.rglob("*") if p.is_file()}
    assert written == templates | {
        Path("schemas/scenario.schema.json"),
        Path(".vscode/settings.json"),
    }
    out = capsys.readouterr().out.splitlines()
    assert sorted(out[: len(written)]) == sorted(f"wrote  {target / p}" for p in written)
    assert out[len(written) :] == [
        "",
        f"next: cd {target} && prism-scenarios validate && prism-scenarios run (or plain `pytest`)",
    ]


@pytest.mark.parametrize("config", ["pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"])
def test_scaffold_keeps_existing_files_and_a_projects_pytest_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str
) -> None:
    (tmp_path / config).write_text("mine")
    (tmp_path / "conftest.py").write_text("mine")
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "settings.json").write_text("{}")
    scaffold.scaffold(tmp_path)
    assert (tmp_path / config).read_text() == "mine"
    assert (tmp_path / "conftest.py").read_text() == "mine"
    assert (tmp_path / ".vscode" / "settings.json").read_text() == "{}"
    out = capsys.readouterr().out.splitlines()
    assert (
        f"kept   {tmp_path / 'conftest.py'} (exists; add to it: pytest_plugins = "
        '["prism_scenarios.pytest_plugin"])'
    ) in out
    assert (
        f"kept   {tmp_path / '.vscode' / 'settings.json'} (exists; add to it: "
        f"{json.dumps(scaffold.EDITOR_MAPPING)})"
    ) in out
    assert not any(line.startswith(f"kept   {tmp_path / config}") for line in out)
    assert not any(line == f"wrote  {tmp_path / 'pytest.ini'}" for line in out)
    (tmp_path / "scenarios").mkdir(exist_ok=True)
    scaffold.scaffold(tmp_path)
    again = capsys.readouterr().out.splitlines()
    schema = tmp_path / "schemas" / "scenario.schema.json"
    assert f"kept   {schema} (exists; left as it is)" in again
    assert not any(line.startswith("wrote") for line in again)


# -- resource sampler -------------------------------------------------------------------------
def test_the_sampler_measures_the_window_and_the_peak_is_never_below_the_average() -> None:
    import time

    sampler = ResourceSampler(interval=0.01)
    assert sampler.peak_cpu_percent is None and sampler.peak_rss_mb is None
    before = cpu_seconds()
    wall = time.perf_counter()
    with sampler:
        spin = 0
        while cpu_seconds() - before < 0.1:
            spin += 1
    wall = time.perf_counter() - wall
    assert 0 < sampler.elapsed <= wall  # the window it covered, no more
    assert sampler.average_cpu_percent is not None and sampler.average_cpu_percent > 0
    assert sampler.peak_cpu_percent is not None
    assert sampler.peak_cpu_percent >= sampler.average_cpu_percent
    assert sampler.peak_rss_mb is not None and sampler.peak_rss_mb > 1
    assert not sampler._thread.is_alive()


def test_the_peak_is_the_higher_of_sampled_and_average() -> None:
    sampler = ResourceSampler()
    sampler.average_cpu_percent = 40.0
    assert sampler.peak_cpu_percent == 40.0
    sampler._sampled_cpu = 90.0
    assert sampler.peak_cpu_percent == 90.0
    sampler.average_cpu_percent = 120.0
    assert sampler.peak_cpu_percent == 120.0
    sampler.average_cpu_percent = None
    assert sampler.peak_cpu_percent == 90.0


def test_cpu_seconds_adds_own_and_children_user_and_system_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import resource

    usage = {
        resource.RUSAGE_SELF: SimpleNamespace(ru_utime=1.0, ru_stime=0.5),
        resource.RUSAGE_CHILDREN: SimpleNamespace(ru_utime=0.25, ru_stime=0.125),
    }
    monkeypatch.setattr(resource, "getrusage", usage.__getitem__)
    assert cpu_seconds() == 1.875


# -- pytest11 entry point ---------------------------------------------------------------------
def test_the_entry_point_is_inert_until_the_ini_switch_is_on() -> None:
    imported: list[str] = []
    ini = SimpleNamespace(getini={"prism_scenarios": False}.__getitem__)
    config = SimpleNamespace(
        getini=ini.getini, pluginmanager=SimpleNamespace(import_plugin=imported.append)
    )
    pytest_entry.pytest_load_initial_conftests(config)  # type: ignore[arg-type]
    assert imported == []
    config.getini = {"prism_scenarios": True}.__getitem__
    pytest_entry.pytest_load_initial_conftests(config)  # type: ignore[arg-type]
    assert imported == ["prism_scenarios.pytest_plugin"] == [pytest_entry.FULL_PLUGIN]


def test_the_ini_switch_is_a_boolean_off_by_default() -> None:
    added: dict[str, Any] = {}

    def addini(name: str, help: str, **kw: Any) -> None:
        added[name] = (help, kw)

    pytest_entry.pytest_addoption(SimpleNamespace(addini=addini))  # type: ignore[arg-type]
    help_text, options = added["prism_scenarios"]
    assert options == {"type": "bool", "default": False}
    assert help_text.startswith("activate prism-scenarios in this project")

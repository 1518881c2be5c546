"""The run configuration exactly (prism_scenarios.run_config): an explicit file, empty and
unreadable files, every problem's full text, and the line finder for pyproject tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios.dto import FFIntegrationTestingConfigDTO
from prism_scenarios.run_config import (
    RunConfig,
    RunConfigError,
    _toml_line,
    _toml_table,
    load_run_config,
)


def _project(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n" + extra)
    return tmp_path


def _problems(root: Path, path: Path | None = None) -> list[str]:
    with pytest.raises(RunConfigError) as caught:
        load_run_config(root, path)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_an_explicit_file_wins_over_the_projects(tmp_path: Path) -> None:
    root = _project(tmp_path, "[tool.prism-scenarios.testing]\nmax_parallel_tests = 1\n")
    (root / "prism-scenarios.yaml").write_text("max_parallel_tests: 2\n")
    chosen = tmp_path / "ci.yaml"
    chosen.write_text("max_parallel_tests: 3\n")
    assert load_run_config(root, chosen) == RunConfig(
        FFIntegrationTestingConfigDTO(max_parallel_tests=3), str(chosen)
    )


def test_an_empty_yaml_file_is_the_defaults_from_that_file(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "prism-scenarios.yaml").write_text("# nothing yet\n")
    assert load_run_config(root) == RunConfig(
        FFIntegrationTestingConfigDTO(), str(root / "prism-scenarios.yaml")
    )


def test_a_pyproject_table_is_read_with_its_source(tmp_path: Path) -> None:
    root = _project(tmp_path, "[tool.prism-scenarios.testing]\nmax_parallel_tests = 4\n")
    loaded = load_run_config(root)
    assert loaded == RunConfig(
        FFIntegrationTestingConfigDTO(max_parallel_tests=4), str(root / "pyproject.toml")
    )


def test_without_a_pyproject_the_yaml_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "prism-scenarios.yaml").write_text("max_parallel_tests: 6\n")
    assert load_run_config(tmp_path).config.max_parallel_tests == 6


def test_yaml_that_is_not_a_mapping(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "prism-scenarios.yaml").write_text("- a\n- b\n")
    assert _problems(root) == [
        f"{root / 'prism-scenarios.yaml'}:1: expected a mapping of FFIntegrationTestingConfigDTO "
        "fields (testing_levels, max_parallel_tests, ...)"
    ]


def test_yaml_that_does_not_parse_or_cannot_be_read(tmp_path: Path) -> None:
    root = _project(tmp_path)
    broken = root / "prism-scenarios.yaml"
    broken.write_text("a: [1,\n")
    [problem] = _problems(root)
    assert problem.startswith(str(broken))
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    [problem] = _problems(root, folder)
    assert problem.startswith(f"{folder}: cannot read: ")


def test_every_problem_in_full(tmp_path: Path) -> None:
    root = _project(tmp_path)
    path = root / "prism-scenarios.yaml"
    path.write_text(
        "testing_levels: [component, smoke]\n"
        "max_retry_attempts: 11\n"
        "colour: red\n"
        "security_config:\n"
        "  vulnerability_threshold: severe\n"
    )
    assert _problems(root) == [
        f"{path}:1: testing_levels.1: got 'smoke': input should be 'component', "
        "'integration', 'end_to_end', 'performance', 'security' or 'migration'",
        f"{path}:5: security_config.vulnerability_threshold: got 'severe': input should be "
        "'low', 'medium', 'high' or 'critical'",
        f"{path}:2: max_retry_attempts: Input should be less than or equal to 10",
        f"{path}:3: colour: unknown key (see FFIntegrationTestingConfigDTO in docs/readiness.md)",
    ]


def test_a_key_in_a_nested_table_points_at_its_line(tmp_path: Path) -> None:
    root = _project(
        tmp_path, "\n\n[tool.prism-scenarios.testing.performance_config]\nconcurrent_users = 'x'\n"
    )
    assert _problems(root) == [
        f"{root / 'pyproject.toml'}:6: performance_config.concurrent_users: Input should be a "
        "valid integer, unable to parse string as an integer"
    ]


def test_both_sources_named_in_the_error(tmp_path: Path) -> None:
    root = _project(tmp_path, "[tool.prism-scenarios.testing]\n")
    (root / "prism-scenarios.yaml").write_text("{}\n")
    assert _problems(root) == [
        f"{root / 'prism-scenarios.yaml'}: and [tool.prism-scenarios.testing] in "
        f"{root / 'pyproject.toml'} both configure the run: keep one"
    ]


def test_the_toml_table_missing_broken_or_not_a_table(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    assert _toml_table(pyproject) is None
    pyproject.write_text("[tool.prism-scenarios]\naction_modules = []\n")
    assert _toml_table(pyproject) is None
    pyproject.write_text("[tool]\nprism-scenarios = 3\n")
    assert _toml_table(pyproject) is None
    pyproject.write_text("[tool.prism-scenarios.testing]\nmax_parallel_tests = 1\n")
    assert _toml_table(pyproject) == {"max_parallel_tests": 1}
    pyproject.write_text("[tool.prism-scenarios]\nx = 1\ntesting = 'all'\n")
    with pytest.raises(RunConfigError) as caught:
        _toml_table(pyproject)
    assert caught.value.problems == [f"{pyproject}:1: tool.prism-scenarios.testing must be a table"]
    pyproject.write_text("\n[tool.prism-scenarios.testing]\n")
    assert _toml_table(pyproject) == {}
    pyproject.write_text("[tool\n")
    with pytest.raises(RunConfigError) as caught:
        _toml_table(pyproject)
    assert caught.value.problems[0].startswith(f"{pyproject}: ")


TOML = """\
[project]
name = "x"

[tool.prism-scenarios.testing]
max_parallel_tests = 1
  "stop_on_first_failure" = true
[ tool . "prism-scenarios" . testing . security_config ]
vulnerability_threshold = "low"
colour = 1

[tool.prism-scenarios.testing.migration_config]
other = 2
[tool.other]
migration_batch_size = 3
"""


@pytest.mark.parametrize(
    "loc, line",
    [
        ([], 4),
        (["max_parallel_tests"], 5),
        (["stop_on_first_failure"], 6),
        (["security_config"], 7),
        (["security_config", "vulnerability_threshold"], 8),
        (["security_config", "colour"], 9),
        (["security_config", "missing"], 7),
        (["testing_levels", 2], 4),
        (["migration_config", "migration_batch_size"], 11),  # not past the next table
        (["performance_config", "concurrent_users"], 4),
    ],
)
def test_the_line_of_a_key_in_the_testing_table(tmp_path: Path, loc: list, line: int) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(TOML)
    assert _toml_line(pyproject, loc) == line


def test_no_testing_header_no_line(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.prism-scenarios]\ntesting = {a = 1}\n")
    assert _toml_line(pyproject, ["a"]) is None

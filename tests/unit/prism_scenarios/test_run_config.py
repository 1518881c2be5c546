"""The run configuration (FFIntegrationTestingConfigDTO) from prism-scenarios.yaml or
[tool.prism-scenarios.testing]: values, families, and errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_scenarios.run_config import RunConfigError, load_run_config


def _project(tmp_path: Path, pyproject_extra: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n" + pyproject_extra)
    return tmp_path


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    loaded = load_run_config(_project(tmp_path))
    assert loaded.source == "defaults"
    assert loaded.config.families() == [
        "component",
        "integration",
        "end_to_end",
        "performance",
        "security",
        "migration",
    ]


def test_yaml_file_is_read_and_validation_scopes_add_families(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "prism-scenarios.yaml").write_text(
        "testing_levels: [component]\nvalidation_scopes: [functionality, compatibility]\n"
        "max_parallel_tests: 2\nstop_on_first_failure: true\nretry_failed_tests: true\n"
        "max_retry_attempts: 2\nperformance_config: {max_response_time_ms: 250}\n"
    )
    loaded = load_run_config(root)
    assert loaded.source == str(root / "prism-scenarios.yaml")
    assert loaded.config.families() == ["component", "migration"]
    assert loaded.config.max_parallel_tests == 2 and loaded.config.stop_on_first_failure
    assert loaded.config.max_retry_attempts == 2
    assert loaded.config.performance_config.max_response_time_ms == 250


def test_yaml_errors_name_file_line_and_key(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "prism-scenarios.yaml").write_text(
        "testing_levels: [component, smoke]\n"
        "max_parallel_tests: two\n"
        "security_config:\n"
        "  vulnerability_threshold: severe\n"
        "  colour: red\n"
    )
    with pytest.raises(RunConfigError) as caught:
        load_run_config(root)
    problems = "\n".join(caught.value.problems)
    yaml_file = root / "prism-scenarios.yaml"
    assert f"{yaml_file}:1: testing_levels.1: got 'smoke'" in problems
    assert f"{yaml_file}:2: max_parallel_tests:" in problems
    assert f"{yaml_file}:4: security_config.vulnerability_threshold: got 'severe'" in problems
    assert f"{yaml_file}:5: security_config.colour: unknown key" in problems


def test_pyproject_table_is_read_with_lines_in_errors(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "\n[tool.prism-scenarios.testing]\ntesting_levels = ['security']\n"
        "max_retry_attempts = 99\n\n"
        "[tool.prism-scenarios.testing.migration_config]\n"
        "migration_batch_size = 'big'\n",
    )
    with pytest.raises(RunConfigError) as caught:
        load_run_config(root)
    problems = "\n".join(caught.value.problems)
    assert f"{root / 'pyproject.toml'}:6: max_retry_attempts:" in problems
    assert f"{root / 'pyproject.toml'}:9: migration_config.migration_batch_size:" in problems
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n[tool.prism-scenarios.testing]\ntesting_levels = ['security']\n"
    )
    assert load_run_config(root).config.families() == ["performance", "security", "migration"]


def test_both_sources_at_once_is_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path, "[tool.prism-scenarios.testing]\nmax_parallel_tests = 1\n")
    (root / "prism-scenarios.yaml").write_text("max_parallel_tests: 2\n")
    with pytest.raises(RunConfigError, match="both configure the run"):
        load_run_config(root)


def test_migration_bounds_are_config_errors_not_mid_run_exceptions(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "prism-scenarios.yaml").write_text(
        "migration_config:\n  migration_batch_size: 0\n  migration_timeout_minutes: 0\n"
    )
    with pytest.raises(RunConfigError) as caught:
        load_run_config(root)
    problems = "\n".join(caught.value.problems)
    assert f"{root / 'prism-scenarios.yaml'}:2: migration_config.migration_batch_size:" in problems
    assert f"{root / 'prism-scenarios.yaml'}:3: migration_config.migration_timeout_minutes:" in (
        problems
    )

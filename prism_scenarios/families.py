"""Test families and where they live: a family is a suite folder under ``scenarios/`` and
``features/`` (end_to_end is ``use_cases``; performance is ``load``, whose YAML files are load
files run by ``prism-scenarios load`` and whose features are ordinary pytest-bdd tests).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from prism_scenarios.dto import FAMILIES, FFIntegrationTestingConfigDTO

FAMILY_FOLDERS = {
    "component": "component",
    "integration": "integration",
    "end_to_end": "use_cases",
    "performance": "load",
    "security": "security",
    "migration": "migration",
}
FOLDER_FAMILY = {folder: family for family, folder in FAMILY_FOLDERS.items()}
ROOTS = ("scenarios", "features")
assert set(FAMILY_FOLDERS) == set(FAMILIES)


def has_family_layout(root: Path) -> bool:
    """The project keeps its suites in family folders (else its own layout is run whole)."""
    return any(
        (root / base / folder).is_dir() for base in ROOTS for folder in FAMILY_FOLDERS.values()
    )


def pytest_paths(families: list[str], root: Path) -> list[str]:
    """The folders pytest runs for ``families`` (the load files' folder is not pytest's)."""
    paths = []
    for family in families:
        for base in ROOTS:
            if base == "scenarios" and family == "performance":
                continue
            folder = root / base / FAMILY_FOLDERS[family]
            if folder.is_dir():
                paths.append(f"{base}/{FAMILY_FOLDERS[family]}")
    return paths


def load_files(root: Path) -> list[Path]:
    return sorted((root / "scenarios" / FAMILY_FOLDERS["performance"]).glob("*.yaml"))


def pytest_options(
    config: FFIntegrationTestingConfigDTO,
    *,
    workers: str | None,
    stop: bool | None,
    reruns: int | None,
    cores: int,
) -> list[str]:
    """pytest arguments for the configuration's failure handling and parallelism; a command
    line option (``workers``, ``stop``, ``reruns``) wins over the file."""
    options: list[str] = []
    if workers is None and config.parallel_test_execution:
        # Never more workers than cores: on this project's 2-core machine -n 2 already costs
        # more in start-up than it saves for small suites (docs/readiness.md).
        count = min(config.max_parallel_tests, cores)
        workers = str(count) if count > 1 else None
    if workers and workers not in ("0", "1"):
        options += ["-n", workers, "--dist", "loadfile"]
    if stop if stop is not None else config.stop_on_first_failure:
        options.append("-x")
    attempts = (
        reruns
        if reruns is not None
        else (config.max_retry_attempts if config.retry_failed_tests else 0)
    )
    if attempts:
        if importlib.util.find_spec("pytest_rerunfailures") is None:
            raise RetriesUnavailable(
                f"retries ({attempts}) need pytest-rerunfailures: pip install "
                "'prism-scenarios[retries]' (or set retry_failed_tests: false)"
            )
        options += ["--reruns", str(attempts)]  # the plugin loads through its entry point
    return options


class RetriesUnavailable(RuntimeError):
    """Retries were asked for and pytest-rerunfailures is not installed."""

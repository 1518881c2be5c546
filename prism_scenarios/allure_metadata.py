"""Report-wide Allure files (``categories.json``, ``environment.properties``), merged into
what is already there: a user's own categories and environment entries are never overwritten.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

from prism_scenarios.allure_bridge import CATEGORIES


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def merge_categories(existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Theirs first (Allure uses the first matching category), ours after, by name once."""
    names = {c.get("name") for c in existing}
    return existing + [c for c in CATEGORIES if c["name"] not in names]


def _read_properties(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip() and not line.lstrip().startswith(("#", "!")) and "=" in line:
            key, value = line.split("=", 1)
            entries[key.strip()] = value
    return entries


def add_report_metadata(results: Path, environment: dict[str, str]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    categories_file = results / "categories.json"
    existing: list[dict[str, Any]] = []
    if categories_file.exists():
        try:
            loaded = json.loads(categories_file.read_text(encoding="utf-8"))
        except ValueError:
            return  # not ours to repair: leave a file we cannot read as it is
        if not isinstance(loaded, list):
            return
        existing = loaded
    merged = merge_categories(existing)
    if merged != existing:
        _write(categories_file, json.dumps(merged, indent=2) + "\n")
    env_file = results / "environment.properties"
    theirs = _read_properties(env_file) if env_file.exists() else {}
    missing = {k: v for k, v in environment.items() if k not in theirs}
    if missing:
        body = env_file.read_text(encoding="utf-8") if env_file.exists() else ""
        if body and not body.endswith("\n"):
            body += "\n"
        _write(env_file, body + "".join(f"{k}={v}\n" for k, v in missing.items()))


def environment() -> dict[str, str]:
    """What ran the tests, for the report's environment panel."""
    from importlib.metadata import PackageNotFoundError, version

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
    }
    for package in (
        "prism-scenarios",
        "pytest",
        "pytest-bdd",
        "allure-pytest",
        "pydantic",
        "bm25s",
    ):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            continue
    return info


def carry_over(previous: Path, fresh: Path) -> None:
    """Start a new results folder with the project's own entries of the previous one (a
    ``ci_build=`` line, a category of theirs); ours are written anew after the run."""
    ours = set(environment())
    env_file = previous / "environment.properties"
    if env_file.is_file():
        kept = {k: v for k, v in _read_properties(env_file).items() if k not in ours}
        if kept:
            _write(fresh / "environment.properties", "".join(f"{k}={v}\n" for k, v in kept.items()))
    categories_file = previous / "categories.json"
    if categories_file.is_file():
        try:
            loaded = json.loads(categories_file.read_text(encoding="utf-8"))
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            names = {c["name"] for c in CATEGORIES}
            kept_categories = [
                c for c in loaded if not (isinstance(c, dict) and c.get("name") in names)
            ]
            if kept_categories:
                _write(fresh / "categories.json", json.dumps(kept_categories, indent=2) + "\n")

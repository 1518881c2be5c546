"""Which files are scenarios: one rule for ``pytest``, ``run``, ``validate`` and ``list``.

A YAML file is a scenario file when it was named explicitly, or when it has a top-level
``scenarios:`` key (or a yaml-language-server modeline pointing at ``scenario.schema.json``).
That lets a scenario folder hold data and other YAML (the use-case catalog, load profiles,
fixtures) without a list of exclusions, and a user's unrelated ``scenarios/`` folder is never
read unless the plugin was asked for. Only stdlib here: the pytest plugin calls this for every
YAML file it sees.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")
FEATURE_SUFFIXES = (".feature",)
SNIFF_BYTES = 1 << 20
# A top-level ``scenarios`` key (bare, or quoted as JSON-style YAML writes it; a UTF-8 byte
# order mark or a flow-style ``{`` before it), or the editor modeline of a scenario file.
_SCENARIO_MARK = re.compile(
    rb"(?m)^(?:\xef\xbb\xbf)?(?:\{[ \t]*)?"
    rb"(?:(?:scenarios|\"scenarios\"|'scenarios')[ \t]*:"
    rb"|#.*\$schema=\S*scenario\.schema\.json)"
)
# A load file (docs/load.md): a top-level ``mix:`` key, or the load schema's editor modeline.
_LOAD_MARK = re.compile(
    rb"(?m)^(?:\xef\xbb\xbf)?(?:mix|\"mix\"|'mix')[ \t]*:"
    rb"|^#.*\$schema=\S*load\.schema\.json"
)
_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "build",
    "dist",
}


def looks_like_scenario_file(path: Path) -> bool:
    """True when the file's top level has a ``scenarios:`` key (first MiB only)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return False
    return _SCENARIO_MARK.search(head) is not None


def looks_like_load_file(path: Path) -> bool:
    """True when the file's top level has a ``mix:`` key or the load schema's modeline."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return False
    return _LOAD_MARK.search(head) is not None


def excluded(path: Path, patterns: Iterable[str], root: Path | None = None) -> bool:
    """``path`` matches one of the glob ``patterns`` (relative to ``root`` when given)."""
    text = path.as_posix()
    if root is not None:
        with contextlib.suppress(ValueError):
            text = path.resolve().relative_to(root.resolve()).as_posix()
    return any(fnmatch.fnmatch(text, pattern) for pattern in patterns)


@dataclass
class Found:
    """What a set of paths holds: scenario files, features, and what was passed over."""

    yaml: list[Path] = field(default_factory=list)
    features: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.yaml and not self.features


def _walk(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            if path.name not in _SKIP_DIRS and not path.name.startswith("."):
                yield from _walk(path)
        else:
            yield path


def find(
    paths: Sequence[str | Path], exclude: Iterable[str] = (), root: Path | None = None
) -> Found:
    """Scenario files and features under ``paths`` (files named directly always count);
    ``exclude`` globs are relative to ``root`` (the project root)."""
    found, patterns = Found(), list(exclude)
    for raw in paths:
        path = Path(str(raw).split("::", 1)[0])  # a pytest node id names its file
        if not path.exists():
            found.missing.append(str(raw))
        elif path.is_file():
            if path.suffix in YAML_SUFFIXES:
                found.yaml.append(path)
            elif path.suffix in FEATURE_SUFFIXES:
                found.features.append(path)
            else:
                found.skipped.append((path, "neither .yaml/.yml nor .feature"))
        else:
            for file in _walk(path):
                if excluded(file, patterns, root):
                    continue
                if file.suffix in FEATURE_SUFFIXES:
                    found.features.append(file)
                elif file.suffix in YAML_SUFFIXES:
                    if looks_like_scenario_file(file):
                        found.yaml.append(file)
                    else:
                        found.skipped.append((file, "no top-level 'scenarios:' key"))
    return found


def explain_empty(paths: Sequence[str | Path], found: Found) -> str:
    """Why nothing was found, naming each path and what was passed over."""
    lines = []
    for raw in found.missing:
        lines.append(f"{raw}: no such file or folder")
    given = [str(p) for p in paths if str(p) not in found.missing]
    if given and found.empty:  # a missing path beside found files: only it is the problem
        lines.append(
            f"no scenario file (.yaml with a top-level 'scenarios:' key) or .feature "
            f"file under: {', '.join(given)}"
        )
    for path, why in found.skipped[:10]:
        lines.append(f"  passed over {path}: {why}")
    if len(found.skipped) > 10:
        lines.append(f"  … and {len(found.skipped) - 10} more")
    return "\n".join(lines)


def find_in_project(paths: Sequence[str | Path]) -> Found:
    """:func:`find` with the project's ``scenario_exclude`` (``[tool.prism-scenarios]``)."""
    from prism_scenarios import settings

    project = settings.load()
    return find(paths, project.scenario_exclude, project.root)


def find_usable(paths: Sequence[str | Path]) -> tuple[Found, str | None]:
    """:func:`find_in_project`, and why its result is unusable (a missing path, nothing found)
    or None when it is usable."""
    found = find_in_project(paths)
    return found, (explain_empty(paths, found) if found.missing or found.empty else None)

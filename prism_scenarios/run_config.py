"""The project's run configuration: the seed's ``FFIntegrationTestingConfigDTO``.

It lives in ``prism-scenarios.yaml`` at the project root (the DTO's fields at the top level)
or in ``[tool.prism-scenarios.testing]`` of pyproject.toml. Both at once is an error: one
source of truth. Every problem names the file, the line and the key, and says what was
expected. No file means the DTO's defaults.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from flatfile_chat.config.yaml_lines import YAMLError, line_of, load_yaml, read_text_bounded
from prism_scenarios.dto import FFIntegrationTestingConfigDTO
from prism_scenarios.project import PYPROJECT, project_root

YAML_NAME = "prism-scenarios.yaml"
TOML_TABLE = ("tool", "prism-scenarios", "testing")


class RunConfigError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RunConfig:
    config: FFIntegrationTestingConfigDTO
    source: str  # the file it came from, or "defaults"


def load_run_config(root: Path | None = None, path: Path | None = None) -> RunConfig:
    """``path`` (a YAML file) when given, else the project's file or table, else defaults."""
    root = project_root(root)
    if path is not None:
        return _from_yaml(path)
    yaml_file = root / YAML_NAME
    table = _toml_table(root / PYPROJECT)
    if yaml_file.is_file() and table is not None:
        raise RunConfigError(
            [
                f"{yaml_file}: and [{'.'.join(TOML_TABLE)}] in "
                f"{root / PYPROJECT} both configure the run: keep one"
            ]
        )
    if yaml_file.is_file():
        return _from_yaml(yaml_file)
    if table is not None:
        return _validated(
            table, str(root / PYPROJECT), lambda loc: _toml_line(root / PYPROJECT, loc)
        )
    return RunConfig(FFIntegrationTestingConfigDTO(), "defaults")


def _from_yaml(path: Path) -> RunConfig:
    try:
        document = load_yaml(read_text_bounded(path), str(path))
    except YAMLError as exc:
        raise RunConfigError([str(exc)]) from None
    except OSError as exc:
        raise RunConfigError([f"{path}: cannot read: {exc}"]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise RunConfigError(
            [
                f"{path}:1: expected a mapping of FFIntegrationTestingConfigDTO "
                "fields (testing_levels, max_parallel_tests, ...)"
            ]
        )
    return _validated(document, str(path), lambda loc: line_of(document, loc))


def _validated(data: dict[str, Any], source: str, line: Any) -> RunConfig:
    try:
        return RunConfig(FFIntegrationTestingConfigDTO.model_validate(data), source)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [
                p
                for p in error["loc"]
                if not isinstance(p, str) or not p.startswith(("literal[", "function-"))
            ]
            key = ".".join(map(str, loc)) or "(top level)"
            where = line(loc) or 1
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key (see FFIntegrationTestingConfigDTO in docs/readiness.md)"
            elif error["type"] == "literal_error":
                message = f"got {error['input']!r}: {message.lower()}"
            problems.append(f"{source}:{where}: {key}: {message}")
        raise RunConfigError(problems) from None


def _toml_table(pyproject: Path) -> dict[str, Any] | None:
    if not pyproject.is_file():
        return None
    try:
        with pyproject.open("rb") as fh:
            data: Any = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RunConfigError([f"{pyproject}: {exc}"]) from None
    for key in TOML_TABLE:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    if not isinstance(data, dict):
        raise RunConfigError(
            [
                f"{pyproject}:{_toml_line(pyproject, []) or 1}: "
                f"{'.'.join(TOML_TABLE)} must be a table"
            ]
        )
    return data


def _toml_line(pyproject: Path, loc: list[Any]) -> int | None:
    """The line of ``loc`` under the testing table (tomllib keeps no positions): the deepest
    ``[tool.prism-scenarios.testing.<...>]`` header along it, then ``key =`` inside."""
    lines = pyproject.read_text().splitlines()
    keys = [str(k) for k in loc if not isinstance(k, int)]
    header_line, depth = None, 0
    for n in range(len(keys), -1, -1):
        name = r"\s*\.\s*".join(rf'"?{re.escape(part)}"?' for part in [*TOML_TABLE, *keys[:n]])
        pattern = re.compile(rf"^\s*\[\s*{name}\s*\]")
        found = next((i for i, text in enumerate(lines) if pattern.match(text)), None)
        if found is not None:
            header_line, depth = found, n
            break
    if header_line is None:
        return None
    if depth == len(keys):
        return header_line + 1
    key = re.compile(rf"^\s*\"?{re.escape(keys[depth])}\"?\s*=")
    for i in range(header_line + 1, len(lines)):
        if lines[i].lstrip().startswith("["):
            break
        if key.match(lines[i]):
            return i + 1
    return header_line + 1

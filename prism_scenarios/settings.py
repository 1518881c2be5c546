"""Project settings: the ``[tool.prism-scenarios]`` table of the project's pyproject.toml.

The project root comes from :mod:`prism_scenarios.project` (pytest's rootdir, or the nearest
pyproject.toml up from the working directory), so running from a subfolder reads the same
settings. Paths in the table are relative to that root. Unknown keys are errors naming the
file and the key, like every config here.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prism_scenarios.project import PYPROJECT, project_root


class SettingsError(ValueError):
    pass


class ProjectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    root: Path = Field(default_factory=Path.cwd, exclude=True)
    action_modules: list[str] = Field(
        default_factory=list,
        description="modules of the project's own actions, imported before a run",
    )
    use_case_catalog: str | None = Field(
        None,
        description="the project's use-case catalog "
        "(default: scenarios/use_cases.yaml if it exists, "
        "else the packaged PrismMind catalog)",
    )
    max_scenario_file_mb: float = Field(
        5.0, gt=0, description="larger scenario files are refused unread"
    )
    scenario_exclude: list[str] = Field(
        default_factory=list,
        description="glob patterns "
        "(relative to the project root) of YAML files that "
        "are never scenarios",
    )

    def path(self, relative: str | Path) -> Path:
        """``relative`` against the project root."""
        return self.root / relative


@functools.cache
def _read(root: Path) -> ProjectSettings:
    pyproject = root / PYPROJECT
    if not pyproject.is_file():
        return ProjectSettings(root=root)
    try:
        with pyproject.open("rb") as fh:
            table = tomllib.load(fh).get("tool", {}).get("prism-scenarios", {})
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{pyproject}: {exc}") from None
    if "root" in table:
        raise SettingsError(f"{pyproject}: [tool.prism-scenarios] root: unknown key")
    try:
        return ProjectSettings.model_validate({**table, "root": root})
    except ValidationError as exc:
        problems = [
            f"{pyproject}: [tool.prism-scenarios] "
            f"{'.'.join(map(str, e['loc'])) or '(table)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise SettingsError("\n".join(problems)) from None


def load(project_dir: Path | None = None) -> ProjectSettings:
    """The settings of ``project_dir`` (default: the project root), read once per root."""
    return _read(project_root(project_dir))


load.cache_clear = _read.cache_clear  # type: ignore[attr-defined]

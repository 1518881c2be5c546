"""Project settings: the ``[tool.prism-scenarios]`` table of the project's pyproject.toml.

Read once per process from the working directory; unknown keys are errors naming the file
and the key, like every config here.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(ValueError):
    pass


class ProjectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action_modules: list[str] = Field(default_factory=list, description="modules of the "
                                      "project's own actions, imported before a run")
    use_case_catalog: str | None = Field(None, description="the project's use-case catalog "
                                         "(default: scenarios/use_cases.yaml if it exists, "
                                         "else the packaged PrismMind catalog)")
    max_scenario_file_mb: float = Field(5.0, gt=0, description="larger scenario files are "
                                        "refused unread")


@functools.cache
def load(project_dir: Path | None = None) -> ProjectSettings:
    pyproject = (project_dir or Path.cwd()) / "pyproject.toml"
    if not pyproject.is_file():
        return ProjectSettings()
    try:
        with pyproject.open("rb") as fh:
            table = tomllib.load(fh).get("tool", {}).get("prism-scenarios", {})
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{pyproject}: {exc}") from None
    try:
        return ProjectSettings.model_validate(table)
    except ValidationError as exc:
        problems = [f"{pyproject}: [tool.prism-scenarios] "
                    f"{'.'.join(map(str, e['loc'])) or '(table)'}: {e['msg']}"
                    for e in exc.errors()]
        raise SettingsError("\n".join(problems)) from None

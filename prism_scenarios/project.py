"""Where the user's project is: pytest's rootdir when the plugin runs, else the nearest folder
holding a pyproject.toml from the working directory up. Stdlib only: the plugin asks at every
pytest start, and reading the settings themselves waits until something needs them.
"""

from __future__ import annotations

from pathlib import Path

PYPROJECT = "pyproject.toml"

_root: Path | None = None


def set_project_root(path: Path | None) -> None:
    """Where pytest decided the project is (the plugin calls this at configure time)."""
    global _root
    _root = path


def project_root(start: Path | None = None) -> Path:
    base = (start or _root or Path.cwd()).resolve()
    if start is None and _root is not None:
        return base
    for folder in (base, *base.parents):
        if (folder / PYPROJECT).is_file():
            return folder
    return base

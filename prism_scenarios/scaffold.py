"""``prism-scenarios init DIR``: a working project in one command.

Copies the templates in ``data/init`` (a passing YAML scenario, the same in Gherkin with its
binding module, a ``conftest.py`` that opts the project in, a ``pytest.ini``), writes the
scenario JSON Schema and maps it for editors. Existing files are never overwritten: each one
is reported with what to add by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "data" / "init"
SCHEMA = Path("schemas") / "scenario.schema.json"
EDITOR_SETTINGS = Path(".vscode") / "settings.json"
EDITOR_MAPPING = {
    "yaml.schemas": {f"./{SCHEMA.as_posix()}": ["scenarios/**/*.yaml", "scenarios/**/*.yml"]}
}
PYTEST_CONFIGS = ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
HINTS = {
    "conftest.py": 'add to it: pytest_plugins = ["prism_scenarios.pytest_plugin"]',
    str(EDITOR_SETTINGS): f"add to it: {json.dumps(EDITOR_MAPPING)}",
}


def _files() -> dict[Path, str]:
    files = {
        path.relative_to(TEMPLATES): path.read_text(encoding="utf-8")
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    files[EDITOR_SETTINGS] = json.dumps(EDITOR_MAPPING, indent=2) + "\n"
    return files


def scaffold(directory: Path) -> int:
    from prism_scenarios.schema import build_schema, render

    directory.mkdir(parents=True, exist_ok=True)
    files = _files()
    if any((directory / name).exists() for name in PYTEST_CONFIGS):
        files.pop(Path("pytest.ini"))  # the project configures pytest already
    files[SCHEMA] = render(build_schema())
    for relative, text in files.items():
        target = directory / relative
        if target.exists():
            hint = HINTS.get(str(relative), "left as it is")
            print(f"kept   {target} (exists; {hint})")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote  {target}")
    print(
        f"\nnext: cd {directory} && prism-scenarios validate && prism-scenarios run "
        "(or plain `pytest`)"
    )
    return 0

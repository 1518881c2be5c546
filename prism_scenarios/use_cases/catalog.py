"""The use-case catalog: which use cases exist, their category and the components each must
exercise, and the non-canonical names other lists use for them.

Loading only: judging a run is :mod:`prism_scenarios.use_cases.tally`, printing is the CLI's.
"""

from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from flatfile_chat.config.yaml_lines import YAMLError, line_of, load_yaml_file, plain

DATA = Path(__file__).resolve().parent.parent / "data"
PACKAGED_CATALOG = DATA / "use_cases.yaml"  # the canonical 22 PrismMind use cases
PROJECT_CATALOG = Path("scenarios/use_cases.yaml")  # a project's own catalog, if it has one
CATALOG_SCHEMA = DATA / "use-case-catalog.schema.json"


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class UseCase:
    id: str
    name: str
    category: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


@dataclass
class Catalog:
    use_cases: dict[str, UseCase]
    aliases: dict[str, list[str]] = field(default_factory=dict)

    def check_id(self, value: str) -> str | None:
        """None if ``value`` is a canonical id, else a sentence saying what to use."""
        if value in self.use_cases:
            return None
        if value in self.aliases:
            return (
                f"use_case {value!r} is a non-canonical name; use "
                f"{' or '.join(map(repr, self.aliases[value]))}"
            )
        close = difflib.get_close_matches(value, list(self.use_cases), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (
            f"unknown use_case {value!r}{hint}; see `prism-scenarios list --use-cases` "
            "(a project's own use cases go in its own catalog: scenarios/use_cases.yaml, "
            "or use_case_catalog under [tool.prism-scenarios])"
        )


def project_catalog_path() -> Path | None:
    """The project's own catalog: ``use_case_catalog`` in ``[tool.prism-scenarios]``, else
    ``scenarios/use_cases.yaml`` if it exists (both relative to the project root)."""
    from prism_scenarios import settings

    project = settings.load()
    if project.use_case_catalog:
        return project.path(project.use_case_catalog)
    default = project.path(PROJECT_CATALOG)
    return default if default.is_file() else None


def catalog_path() -> Path:
    """The project's catalog, else the packaged PrismMind one."""
    return project_catalog_path() or PACKAGED_CATALOG


@functools.lru_cache(maxsize=4)
def load_catalog(path: Path = PACKAGED_CATALOG) -> Catalog:
    try:
        document = load_yaml_file(path)
    except (OSError, YAMLError) as exc:
        raise CatalogError(str(exc)) from None
    schema = json.loads(CATALOG_SCHEMA.read_text())
    problems = [
        f"{path}:{line_of(document, list(e.absolute_path)) or 1}: {e.message}"
        for e in jsonschema.Draft202012Validator(schema).iter_errors(document)
    ]
    data = plain(document) if not problems else {"use_cases": [], "aliases": {}}
    ids = [u["id"] for u in data["use_cases"]]
    problems += [
        f"{path}: duplicate use case id {i!r}" for i in sorted(set(ids)) if ids.count(i) > 1
    ]
    for alias, targets in data.get("aliases", {}).items():
        problems += [
            f"{path}: alias {alias!r} points to unknown use case {t!r}"
            for t in targets
            if t not in ids
        ]
    if problems:
        raise CatalogError("\n".join(problems))
    return Catalog(
        {
            u["id"]: UseCase(
                u["id"],
                u["name"],
                u["category"],
                tuple(u["required"]),
                tuple(u.get("optional", ())),
            )
            for u in data["use_cases"]
        },
        data.get("aliases", {}),
    )


def current_catalog() -> Catalog:
    return load_catalog(catalog_path())

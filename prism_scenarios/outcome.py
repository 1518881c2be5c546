"""One test's prism record: what the use-case bookkeeping and the reports need of it.

The record is typed (:class:`TestOutcome`) and kept on the item (``item.stash[OUTCOME_KEY]``).
It crosses process boundaries (an xdist worker to the controller, a run to ``summary.json``)
only as a dict, and this module is the only one that knows that dict's keys: :meth:`to_dict`
writes it, :meth:`from_dict` reads it back and fails loudly on a missing or mistyped field
(a record that silently lost its components would skew the integration report), and
:func:`outcome_of` is how every reader of a ``summary.json`` test entry gets at it.

Older ``summary.json`` files (``prism-scenarios report DIR`` merges them) lack the fields the
record gained later, and read as if those were empty: see :data:`ABSENT_IN_OLDER_FILES`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import pytest

#: The ``user_properties`` name the record travels under (and the ``summary.json`` key).
PROPERTY = "prism"


class OutcomeError(ValueError):
    """A serialised record that cannot be read back: names the field and what is wrong."""


#: The fields a record written by an older version may lack, and what they read as. Tags
#: joined the record with the migration suite, severity with xdist runs (an invalid file's
#: record went without it until the record was typed). Every other field was always written:
#: missing, the record is refused. Present, these are type-checked like the rest.
ABSENT_IN_OLDER_FILES: dict[str, Any] = {"tags": (), "severity": None}


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """Per test: which use case and file it belongs to, the components its steps reached,
    how many steps and how long they took, its tags as written, its declared severity."""

    __test__ = False  # a record, not a test class (pytest collects ``Test*`` names)

    use_case: str | None
    source: str
    name: str
    components: tuple[str, ...]
    steps: int
    duration: float
    tags: tuple[str, ...]
    severity: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (lists, not tuples); key order is the one reports always had."""
        return {
            "use_case": self.use_case,
            "source": self.source,
            "name": self.name,
            "components": list(self.components),
            "steps": self.steps,
            "duration": self.duration,
            "tags": list(self.tags),
            # the declared severity travels with the report (xdist workers collect items)
            "severity": self.severity,
        }

    @classmethod
    def from_dict(cls, data: Any) -> TestOutcome:
        """The record :meth:`to_dict` wrote (or an older version did: the fields of
        :data:`ABSENT_IN_OLDER_FILES` may be missing); OutcomeError for anything else."""
        if not isinstance(data, dict):
            raise OutcomeError(f"prism record: expected an object, got {type(data).__name__}")
        optional = ABSENT_IN_OLDER_FILES
        missing = [f.name for f in fields(cls) if f.name not in data and f.name not in optional]
        if missing:
            raise OutcomeError(f"prism record: missing field(s) {', '.join(missing)}: {data!r}")
        data = {**optional, **data}
        return cls(
            use_case=_optional_str(data, "use_case"),
            source=_typed(data, "source", str),
            name=_typed(data, "name", str),
            components=_strings(data, "components"),
            steps=_typed(data, "steps", int),
            duration=float(_typed(data, "duration", int | float)),
            tags=_strings(data, "tags"),
            severity=_optional_str(data, "severity"),
        )


def _typed(data: dict[str, Any], key: str, kind: Any) -> Any:
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise OutcomeError(f"prism record: field {key!r} has the wrong type: {value!r}")
    return value


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    return None if data[key] is None else _typed(data, key, str)


def _strings(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data[key]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise OutcomeError(f"prism record: field {key!r} is not a list of strings: {value!r}")
    return tuple(value)


def outcome_of(test: Mapping[str, Any]) -> TestOutcome | None:
    """The record of one ``summary.json`` test entry (None: not a scenario, e.g. a unit test);
    OutcomeError, naming the test, for one that cannot be read back."""
    data = test.get(PROPERTY)
    if data is None:
        return None
    try:
        return TestOutcome.from_dict(data)
    except OutcomeError as exc:
        raise OutcomeError(f"{test.get('nodeid', '?')}: {exc}") from None


OUTCOME_KEY = pytest.StashKey[TestOutcome]()


def attach(item: pytest.Item, outcome: TestOutcome) -> None:
    """Keep ``outcome`` on the item, and as a user property for the reports built from it
    (each phase's report copies the item's properties; xdist ships them to the controller)."""
    item.stash[OUTCOME_KEY] = outcome
    item.user_properties.append((PROPERTY, json.dumps(outcome.to_dict())))


def from_report(report: pytest.TestReport) -> TestOutcome | None:
    """The record a report carries (the last one, if a rerun added another), or None."""
    found: str | None = None
    for name, value in report.user_properties:
        if name == PROPERTY:
            found = str(value)  # attach wrote a str; typed object in pytest
    return None if found is None else TestOutcome.from_dict(json.loads(found))

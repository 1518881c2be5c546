"""The CLI's tables about use cases: the run's verdicts after ``run`` and the static coverage
of ``list --use-cases``.

Only :mod:`prism_scenarios.cli` imports this module. The functions return lines instead of
printing, so the bookkeeping in :mod:`prism_scenarios.use_cases` stays free of output and
the tables can be tested as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prism_scenarios.dto import FFUseCaseValidationDTO
from prism_scenarios.use_cases import Catalog


def run_table(
    validations: list[FFUseCaseValidationDTO], partial_because: list[str] | None = None
) -> list[str]:
    """One line per judged use case (a partial run's validations hold only those it ran)."""
    lines = []
    rows = validations
    if partial_because:
        lines.append(
            f"partial run ({'; '.join(partial_because)}): only the use cases it touched are judged"
        )
    if not rows:
        lines.append("no scenario in this run declares a use case")
        return lines
    lines.append(
        f"{'use case':22} {'result':7} {'scenarios':>9} {'time':>8}  components exercised "
        "(missing required in !)"
    )
    for v in rows:
        passed = sum(v.end_to_end_tests.values())
        total = len(v.end_to_end_tests)
        components = ", ".join(v.components_exercised) or "-"
        missing = [c for c in v.required_components if c not in v.components_exercised]
        if missing:
            components += "  !" + ",".join(missing)
        lines.append(
            f"{v.use_case_id:22} {'PASS' if v.validation_successful else 'FAIL':7} "
            f"{passed:>4}/{total:<4} {v.total_time_ms / 1000:>7.2f}s  {components}"
        )
    passing = sum(v.validation_successful for v in rows)
    lines.append(f"use cases passing: {passing}/{len(rows)}")
    return lines


def use_case_table(
    catalog: Catalog, coverage: Mapping[str, Sequence[tuple[str, Sequence[str]]]]
) -> list[str]:
    """The catalog with the scenarios that declare each use case (``coverage``: use case ->
    (scenario reference, its components)), flagging required components they never touch."""
    lines = [f"{'use case':22} {'category':18} {'required components':55} scenarios"]
    for case in catalog.use_cases.values():
        found = coverage.get(case.id, [])
        lines.append(f"{case.id:22} {case.category:18} {', '.join(case.required):55} {len(found)}")
        for ref, components in found:
            missing = set(case.required) - set(components)
            flag = f"   (does not touch: {', '.join(sorted(missing))})" if missing else ""
            lines.append(f"    {ref}{flag}")
    lines.append(
        "aliases: " + ", ".join(f"{a} -> {'/'.join(t)}" for a, t in catalog.aliases.items())
    )
    return lines

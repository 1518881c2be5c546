"""A test that passed only on a retry is flaky, not a clean pass.

pytest-rerunfailures makes allure-pytest write one result per attempt, all with the same
``historyId``; Allure then shows the last attempt and lists the earlier ones as retries, but
(allure-python#815, allure2#1177) does not flag the test. Here, after the run and before the
results are published, the last attempt of such a test gets ``statusDetails.flaky = true``,
which Allure shows as the flaky mark and counts in its flaky filter.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

_FAILED = ("failed", "broken")


def mark_flaky(results: Path) -> int:
    """Flag every test whose last attempt passed after a failed one; returns how many."""
    attempts: dict[str, list[tuple[int, Path, dict[str, Any]]]] = defaultdict(list)
    for path in results.glob("*-result.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("historyId"):
            attempts[data["historyId"]].append((int(data.get("stop") or 0), path, data))
    flagged = 0
    for runs in attempts.values():
        if len(runs) < 2:
            continue
        runs.sort(key=lambda run: run[0])
        _, path, last = runs[-1]
        if last.get("status") == "passed" and any(r[2].get("status") in _FAILED for r in runs[:-1]):
            last.setdefault("statusDetails", {})["flaky"] = True
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(last))
            os.replace(tmp, path)
            flagged += 1
    return flagged

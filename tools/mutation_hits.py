"""pytest plugin for mutmut's stats pass under xdist (tools/mutmut_xdist.py).

mutmut's trampolines add the mangled name of every mutated function they run to
`mutmut.state.state()._stats` while MUTANT_UNDER_TEST is "stats". mutmut's own collector reads
and clears that set after each test; this does the same in each worker and writes what it saw
to $MUTATION_HITS_DIR/<worker>.json when the worker's session ends. Hits during a test's
teardown count for that test, as in mutmut.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from mutation_trampolines import install
from mutmut.state import state

# before any test imports the mutated code: hits are recorded without mutmut's trampolines
install()

_hits: dict[str, list[str]] = {}
_durations: dict[str, float] = {}


def pytest_configure(config: pytest.Config) -> None:
    # mutmut reads its config from the working directory the first time a trampoline runs;
    # a test may have changed directory by then (monkeypatch.chdir), so read it now.
    from mutmut.configuration import config as mutmut_config

    mutmut_config()


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _durations[nodeid] = 0.0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator:
    yield
    seen = state()._stats
    if seen:
        _hits.setdefault(item.nodeid, []).extend(sorted(seen))
        seen.clear()


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> None:
    if call.when == "call":
        _durations[item.nodeid] = _durations.get(item.nodeid, 0.0) + call.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller: it sees the workers' reports, not their hits
    directory = Path(os.environ["MUTATION_HITS_DIR"])
    # from xdist's own config, not the environment: a pytest run inside an xdist worker
    # inherits PYTEST_XDIST_WORKER without being one
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    payload = {"hits": _hits, "durations": _durations}
    (directory / f"{worker}.json").write_text(json.dumps(payload))

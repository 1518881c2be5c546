"""The resource sampler's RSS in megabytes, a partial run judging only the use cases it ran,
and discovery refusing missing paths beside a load file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prism_scenarios import discovery, validate
from prism_scenarios.resource_sampler import ResourceSampler
from prism_scenarios.use_cases import PACKAGED_CATALOG, load_catalog
from prism_scenarios.use_cases.reports import write_reports


class _Memory:
    rss = 3 * 1024 * 1024


class _Proc:
    def cpu_percent(self, interval: Any) -> float:
        return 0.0

    def memory_info(self) -> _Memory:
        return _Memory()


class _OneTick:
    def __init__(self) -> None:
        self.calls = 0

    def wait(self, timeout: float) -> bool:
        self.calls += 1
        return self.calls > 1


def test_sampler_reports_rss_in_megabytes(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = ResourceSampler(interval=0.0)
    monkeypatch.setattr(sampler, "_processes", lambda: [_Proc(), _Proc()])
    monkeypatch.setattr(sampler, "_stop", _OneTick())
    sampler._run()
    assert sampler.peak_rss_mb == pytest.approx(6.0)


def test_a_partial_run_judges_only_the_use_cases_it_ran(tmp_path: Path) -> None:
    catalog = load_catalog(PACKAGED_CATALOG)
    assert catalog.use_cases  # the packaged catalog is not empty
    validations, report = write_reports(
        [], tmp_path, elapsed=1.0, started=0.0, partial_because=["-k x"], catalog=catalog
    )
    assert validations == []
    assert report.run_scope == "partial"


def test_discover_refuses_missing_paths_even_beside_a_load_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "load"
    folder.mkdir()
    load = folder / "load.yaml"
    load.write_text("mix:\n  - action: x\n")
    paths = [str(folder), str(tmp_path / "absent")]
    found, problem = discovery.find_usable(paths)
    # the case under test: a load file passed over, and a path that does not exist
    assert problem and found.missing == [str(tmp_path / "absent")]
    assert [path for path, _ in found.skipped] == [load]
    assert discovery.looks_like_load_file(load)
    assert validate.discover(paths) is None
    assert capsys.readouterr().out.strip() == problem.strip()

"""A run writes into a hidden staging folder and publishes only when it really ran.

An aborted run (Ctrl-C, usage error, internal error) or an empty one must not wipe the last
good ``allure-results/``, ``junit.xml`` and ``summary.json``; a real run replaces them, the
results folder by rename (the old one goes only after the new one is in place).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from types import TracebackType


class Staging:
    """``with Staging(report_dir) as staging:`` run into ``staging.results`` /
    ``staging.junit`` / ``staging.root``, then ``staging.publish()``; anything left
    unpublished is removed on exit."""

    OUTPUTS = ("junit.xml", "summary.json")

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir
        self.root = report_dir / f".run-{os.getpid()}"
        self.results = self.root / "allure-results"
        self.junit = self.root / "junit.xml"

    def __enter__(self) -> Staging:
        from prism_scenarios.allure_metadata import carry_over

        shutil.rmtree(self.root, ignore_errors=True)
        self.results.mkdir(parents=True)
        carry_over(self.report_dir / "allure-results", self.results)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def publish(self) -> Path:
        """Move the staged outputs into ``report_dir``; returns the results folder. Two runs
        publishing at once: each moves whatever is there aside before its own goes in."""
        target = self.report_dir / "allure-results"
        for attempt in range(10):
            old = self.report_dir / f".allure-results.old-{os.getpid()}-{attempt}"
            with contextlib.suppress(FileNotFoundError):
                target.rename(old)
            try:
                self.results.rename(target)
                break
            except OSError:  # another run put its results in between
                continue
            finally:
                shutil.rmtree(old, ignore_errors=True)
        else:
            raise OSError(f"could not publish {self.results} as {target}")
        for name in self.OUTPUTS:
            if (self.root / name).exists():
                os.replace(self.root / name, self.report_dir / name)
        return target

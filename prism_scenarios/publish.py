"""A run writes into a hidden staging folder and publishes only when it really ran.

An aborted run (Ctrl-C, usage error, internal error) or an empty one must not wipe the last
good ``allure-results/``, ``junit.xml`` and ``summary.json``; a real run replaces them, the
results folder by rename (the old one goes only after the new one is in place).
"""

from __future__ import annotations

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
        shutil.rmtree(self.root, ignore_errors=True)
        self.results.mkdir(parents=True)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def publish(self) -> Path:
        """Move the staged outputs into ``report_dir``; returns the results folder."""
        target = self.report_dir / "allure-results"
        old = self.report_dir / f".allure-results.old-{os.getpid()}"
        if target.exists():
            target.rename(old)
        self.results.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        for name in self.OUTPUTS:
            if (self.root / name).exists():
                os.replace(self.root / name, self.report_dir / name)
        return target

"""Failures the runner reports. All subclass ``AssertionError`` so Allure shows them as failed
(a product or scenario defect), never "broken"; each kind maps to an Allure category."""

from __future__ import annotations


class ScenarioFailure(AssertionError):
    """Base: a scenario did not do what it says. ``category`` feeds Allure's categories.json."""

    category = "Product defect"


class ExpectationFailed(ScenarioFailure):
    """An ``expect``/``raises`` check did not hold (or the action raised unexpectedly)."""


class InvariantBreach(ScenarioFailure):
    """A store invariant broke after a step: write outside the root, bad JSONL, counters."""

    category = "Invariant breach"


class WaitTimedOut(ScenarioFailure, TimeoutError):
    """A step waited (real time, its own ``within_seconds``) for something that did not
    happen. Also a ``TimeoutError``, so ``raises: {error: TimeoutError}`` matches it."""


class ScenarioError(ScenarioFailure):
    """The scenario itself is wrong: bad file, unknown action, bad parameters, missing var."""

    category = "Scenario error"
    marker = "scenario error: "

    def __init__(self, message: str = "") -> None:
        # The marker lets Allure's categories.json tell scenario mistakes from product defects.
        super().__init__(message if self.marker in message else self.marker + message)


class ThresholdBreach(ScenarioFailure):
    """A performance threshold (p95, rate, RSS ...) was not met."""

    category = "ThresholdBreach"


class ScenarioFileError(ScenarioError):
    """A scenario file failed validation at collection: ``file:line: message`` lines."""

    def __init__(self, problems: list[str], use_case: str | None = None) -> None:
        super().__init__("invalid scenario file, nothing in it ran:\n" + "\n".join(problems))
        self.problems = problems
        # The file's declared use case, when it could be read: a broken file must fail its
        # use case, not silently drop out of it.
        self.use_case = use_case

"""Gherkin bindings: thin, readable sentences that call the engine (never a manager).

Every module in this package is a pytest plugin of step definitions (``steps`` holds the
generic vocabulary and the base store; one module per component adds its own sentences).
"""

from __future__ import annotations

import pkgutil


def step_modules() -> list[str]:
    """All step-definition modules, generic vocabulary first."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__)
                   if not info.name.startswith("_"))
    names.sort(key=lambda n: n != "steps")
    return [f"prism_scenarios.bdd.{name}" for name in names]

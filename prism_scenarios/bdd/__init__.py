"""Gherkin bindings: thin, readable sentences that call the engine (never a manager).

Load this package as a pytest plugin to get the vocabulary in a project's own pytest-bdd
suite (``pytest_plugins = ["prism_scenarios.bdd"]`` in the root ``conftest.py``); the full
plugin (:mod:`prism_scenarios.pytest_plugin`) loads it too. Every module here is a pytest
plugin: ``steps`` holds the generic vocabulary and the base store, one module per component
adds its own sentences, ``hooks`` reports Gherkin lines to Allure.
"""

from __future__ import annotations

import pkgutil


def step_modules() -> list[str]:
    """All step-definition modules, generic vocabulary first."""
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_") and info.name != "hooks"
    )
    names.sort(key=lambda n: n != "steps")
    return [f"{__name__}.{name}" for name in names]


pytest_plugins = [*step_modules(), f"{__name__}.hooks"]

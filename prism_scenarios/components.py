"""The components of the system under test, named once.

Actions declare the component they exercise (``@action(..., component=Component.STORAGE)``),
the engine records the components of every step it ran, the use-case catalog says which
components each use case requires, and the integration report has one flag per memory,
panel, knowledge, tool and analytics manager. All of them use the names below, so a typo is
an error at import time instead of a use case that silently never counts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import StrEnum


class Component(StrEnum):
    """A component an action can exercise (use-case bookkeeping counts these)."""

    STORAGE = "storage"
    DOCUMENTS = "documents"
    PERSONAS = "personas"
    MEMORY_LAYER = "memory_layer"
    KNOWLEDGE_BASE = "knowledge_base"
    PANEL_SESSION = "panel_session"
    TOOL_EXECUTION = "tool_execution"
    ANALYTICS = "analytics"
    MIGRATION = "migration"
    RUNNER = "runner"


# Every component name, in declaration order (the order `--component` help and errors show).
COMPONENTS: tuple[str, ...] = tuple(c.value for c in Component)

# What a use case may require or list as optional: the chat system's own components. The
# migration engine and the runner's checks are exercised by suites, never by a use case.
# The catalog schema's ``$defs.component`` enum must equal this (a unit test checks it).
USE_CASE_COMPONENTS: tuple[str, ...] = tuple(
    c.value for c in Component if c not in (Component.MIGRATION, Component.RUNNER)
)

# The integration report's per-manager flag: true when every test that touched the manager
# together with another component passed (readiness counts them).
MANAGER_FLAGS: dict[str, str] = {
    Component.MEMORY_LAYER.value: "memory_layer_integration",
    Component.PANEL_SESSION.value: "panel_session_integration",
    Component.KNOWLEDGE_BASE.value: "rag_integration",
    Component.TOOL_EXECUTION.value: "tool_execution_integration",
    Component.ANALYTICS.value: "analytics_integration",
}


def component_name(value: object, *, where: str) -> str:
    """``value`` as a plain component name, or a ValueError naming ``where`` it was given and
    the allowed names (plain str: reports and YAML dumps never see the enum type)."""
    if isinstance(value, str) and value in COMPONENTS:
        return str(Component(value).value)
    close = difflib.get_close_matches(value, COMPONENTS, n=1) if isinstance(value, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(
        f"{where}: unknown component {value!r}{hint}; allowed: {', '.join(COMPONENTS)} "
        "(prism_scenarios.components.Component)"
    )


def component_names(values: Iterable[object], *, where: str) -> tuple[str, ...]:
    """Each of ``values`` checked by :func:`component_name`."""
    return tuple(component_name(v, where=where) for v in values)

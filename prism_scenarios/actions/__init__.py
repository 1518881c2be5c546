"""Actions: the one step vocabulary. See :mod:`prism_scenarios.actions.registry`."""

from prism_scenarios.actions.registry import (
    COMPONENTS,
    REGISTRY,
    Action,
    ActionRegistry,
    Params,
    action,
    load_actions,
)

__all__ = ["COMPONENTS", "REGISTRY", "Action", "ActionRegistry", "Params", "action", "load_actions"]

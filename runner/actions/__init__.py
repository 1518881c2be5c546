"""Actions: the one step vocabulary. See :mod:`runner.actions.registry`."""

from runner.actions.registry import (
    COMPONENTS,
    REGISTRY,
    Action,
    ActionRegistry,
    Params,
    action,
    load_actions,
)

__all__ = ["COMPONENTS", "REGISTRY", "Action", "ActionRegistry", "Params", "action",
           "load_actions"]

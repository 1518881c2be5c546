"""The action registry: the one step vocabulary shared by YAML and Gherkin.

An action is an ``async def fn(world, params) -> Output`` with a pydantic parameter model, a
return annotation (its output model, shown in the catalog; see
:mod:`prism_scenarios.actions.outputs`), a docstring and the component it exercises::

    class CreateUser(Params):
        user_id: str = Field(description="new user's id")

    @action("user.create", component="storage")
    async def create_user(world: World, p: CreateUser) -> FFUserProfileDTO:
        '''Create a user (``users/{user_id}/profile.json``).'''
        ...

Projects add their own actions the same way, in a module listed in their ``pyproject.toml``::

    [tool.prism-scenarios]
    action_modules = ["my_project.scenario_actions"]

or exposed through the ``prism_scenarios.actions`` entry point group of an installed package.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import typing
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ConfigDict

# The SUT components an action can exercise are named once, in prism_scenarios.components;
# COMPONENTS stays importable from here for the catalog and project code.
from prism_scenarios.components import COMPONENTS as COMPONENTS
from prism_scenarios.components import component_name, component_names

ENTRY_POINT_GROUP = "prism_scenarios.actions"


class Params(BaseModel):
    """Base for action parameters: unknown keys are errors, like everywhere else.

    Keep models to *types*; leave business limits (ranges, lengths, quotas) to the system
    under test, or negative scenarios would only ever test the runner's own validation.
    """

    model_config = ConfigDict(extra="forbid")


def fuzz_max(top: float) -> dict[str, Any]:
    """``json_schema_extra`` of a parameter that only scales a step's work (how many users or
    bytes to generate, how long to wait in real time): fuzz mode draws it at most ``top``
    (negative values still, for the validation), so a step doing the large amount it was
    asked for is not reported as a hang, and one example cannot fill the machine."""
    return {"fuzz_max": top}


# A real-time wait in seconds: the step may take that long by design.
REAL_TIME_WAIT = fuzz_max(1.0)


def exactly_one(params: BaseModel, *keys: str) -> None:
    """For a ``model_validator(mode="after")``: exactly one of ``keys`` is given (not None).
    The ``ValueError`` becomes a bad-parameters scenario error naming the keys."""
    given = [key for key in keys if getattr(params, key) is not None]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of {', '.join(keys)} (given: {', '.join(given) or 'none'})"
        )


ActionFn = Callable[[Any, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Action:
    name: str
    fn: ActionFn
    params: type[Params]
    component: str
    description: str
    module: str
    extra_components: tuple[str, ...] = field(default=())
    # The return annotation: what expectations see (as JSON). ``Any`` is allowed for a
    # project's own actions but says nothing; the built-in ones all declare a model.
    output: Any = Any

    @property
    def components(self) -> tuple[str, ...]:
        return (self.component, *self.extra_components)


class ActionRegistry:
    def __init__(self) -> None:
        self._actions: dict[str, Action] = {}

    def register(self, action: Action) -> None:
        existing = self._actions.get(action.name)
        if existing is not None and existing.fn is not action.fn:
            raise ValueError(
                f"action {action.name!r} is defined twice: in {existing.module} and {action.module}"
            )
        self._actions[action.name] = action

    def get(self, name: str) -> Action | None:
        return self._actions.get(name)

    def names(self) -> list[str]:
        return sorted(self._actions)

    def __iter__(self) -> Iterator[Action]:
        return iter(sorted(self._actions.values(), key=lambda a: a.name))

    def __contains__(self, name: str) -> bool:
        return name in self._actions

    def __len__(self) -> int:
        return len(self._actions)


REGISTRY = ActionRegistry()
_loaded = False
_NOT_ACTION_MODULES = frozenset({"registry", "outputs"})


def action(
    name: str, *, component: str, also: Iterable[str] = (), registry: ActionRegistry | None = None
) -> Callable[[ActionFn], ActionFn]:
    """Register ``fn`` as action ``name``; its second parameter's annotation is the model.
    ``component`` and ``also`` must be names of :class:`prism_scenarios.components.Component`:
    a misspelt one would never count for a use case, so it fails here, at import time."""
    component = component_name(component, where=f"action {name!r}")
    extra = component_names(also, where=f"action {name!r} (also=)")

    def decorate(fn: ActionFn) -> ActionFn:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"action {name!r} must be 'async def' (the engine awaits it)")
        hints = typing.get_type_hints(fn, include_extras=True)
        arg_names = list(inspect.signature(fn).parameters)
        params = hints.get(arg_names[1]) if len(arg_names) == 2 else None
        if not (isinstance(params, type) and issubclass(params, Params)):
            raise TypeError(f"action {name!r}: signature must be (world, params: <Params model>)")
        if "return" not in hints:
            raise TypeError(
                f"action {name!r} needs a return annotation (its output model, "
                "shown in the catalog; '-> None' if it returns nothing)"
            )
        doc = inspect.cleandoc(fn.__doc__ or "").strip()
        if not doc:
            raise TypeError(f"action {name!r} needs a docstring (it becomes its documentation)")
        (registry if registry is not None else REGISTRY).register(
            Action(
                name=name,
                fn=fn,
                params=params,
                component=component,
                description=doc,
                module=fn.__module__,
                extra_components=extra,
                output=hints["return"],
            )
        )
        return fn

    return decorate


def configured_modules() -> list[str]:
    """``[tool.prism-scenarios] action_modules`` of the project (see :mod:`..settings`)."""
    from prism_scenarios import settings

    return settings.load().action_modules


def load_actions(extra_modules: Iterable[str] = ()) -> ActionRegistry:
    """Import built-in action modules, entry points, the project's configured modules and
    ``extra_modules`` (each once)."""
    global _loaded
    if not _loaded:
        import prism_scenarios.actions as package

        for info in pkgutil.iter_modules(package.__path__):  # one module per component
            if not info.name.startswith("_") and info.name not in _NOT_ACTION_MODULES:
                importlib.import_module(f"prism_scenarios.actions.{info.name}")
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            ep.load()
        project = configured_modules()
        if project:
            from prism_scenarios.project import project_root

            root = str(project_root())
            if root not in sys.path:
                sys.path.insert(0, root)  # project modules live next to pyproject.toml
        for module in project:
            importlib.import_module(module)
        _loaded = True
    for module in extra_modules:
        importlib.import_module(module)
    return REGISTRY

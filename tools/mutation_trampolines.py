"""Cheaper trampolines, chosen when the mutated code is imported.

mutmut's trampoline decides on every call which version of a function to run (it reads
MUTANT_UNDER_TEST each time) and, in its stats pass, also records the hit through a few
lookups: about 4 us a call in a mutant run and 12 us in the stats pass, against 0.2 us for
the function itself. A hot function in the sample made both passes several times slower.
What a process will need is known when it imports the mutated code:

- the stats pass (MUTANT_UNDER_TEST=stats): each mutated function records its name in mutmut's
  hit set and runs as written (the trampoline's own stats path, without the call-stack
  tracking this project turns off: `track_dependencies = false`);
- a mutant's run (MUTANT_UNDER_TEST=<module>.<function>__mutmut_<n>): only that function keeps
  mutmut's trampoline; every other function runs as written;
- anything else (the forced-fail check, the clean run): mutmut's trampolines, unchanged.

A function that is not a plain function (a generator or a coroutine) keeps mutmut's
trampoline, which handles those. Install before the mutated code is imported:
tools/mutation_hits.py does in the stats pass, tools/mutmut_xdist.py in mutmut's process
(every mutant's run is a fork of it that imports the code afterwards).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from functools import wraps
from typing import Any


def mangled_name(function: Callable[..., Any]) -> str | None:
    """mutmut's name for a function or a method of a top-level class; None for anything else."""
    parts = function.__qualname__.split(".")
    if len(parts) == 1:
        return f"{function.__module__}.x_{parts[0]}"
    if len(parts) == 2:
        return f"{function.__module__}.xǁ{parts[0]}ǁ{parts[1]}"
    return None


def _plain(function: Callable[..., Any]) -> bool:
    return not (
        inspect.isgeneratorfunction(function)
        or inspect.iscoroutinefunction(function)
        or inspect.isasyncgenfunction(function)
    )


def _recording(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    from mutmut.state import state

    hits = state()._stats

    @wraps(function)
    def recorder(*args: Any, **kwargs: Any) -> Any:
        hits.add(name)
        return function(*args, **kwargs)

    return recorder


def install() -> None:
    import mutmut.mutation.trampoline as trampoline

    wrap_in_trampoline = trampoline.wrap_in_trampoline
    if getattr(wrap_in_trampoline, "chooses", False):
        return  # installed already (a pytest run inside mutmut's process)

    def choosing(mutants: dict, is_classmethod: bool = False) -> Callable:
        mutmuts = wrap_in_trampoline(mutants, is_classmethod)

        def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
            name = mangled_name(function)
            active = os.environ.get("MUTANT_UNDER_TEST", "")
            if name is None or not _plain(function):
                return mutmuts(function)
            if active == "stats":
                return _recording(function, name)
            if "__mutmut_" in active:
                return mutmuts(function) if active.startswith(f"{name}__mutmut_") else function
            return mutmuts(function)

        return decorate

    choosing.chooses = True  # type: ignore[attr-defined]
    trampoline.wrap_in_trampoline = choosing  # type: ignore[assignment]

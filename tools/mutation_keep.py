"""Trampolines for the sampled functions only, decided when the mutated code is imported.

mutmut wraps every function it mutated in a trampoline that picks the original or the active
mutant on each call; in its stats pass each call also records a hit. A sampled run needs that
for the sampled mutants' functions alone. When MUTATION_KEEP_FILE names a file of mangled
function names (`flatfile_chat.store.x_f`, `pkg.mod.xǁClassǁmethod`, one per line), mutmut's
decorator returns every other function as written, so it runs at its normal speed and the
population's generated mutants are used without generating a restricted copy.

Install it before the mutated code is imported: tools/mutation_hits.py does in the stats pass,
tools/mutmut_xdist.py in mutmut's process (its mutant runs are forks of it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

KEEP_ENV = "MUTATION_KEEP_FILE"


def mangled_name(function: Callable[..., Any]) -> str | None:
    """mutmut's name for a function or a method of a top-level class; None for anything else."""
    parts = function.__qualname__.split(".")
    if len(parts) == 1:
        return f"{function.__module__}.x_{parts[0]}"
    if len(parts) == 2:
        return f"{function.__module__}.xǁ{parts[0]}ǁ{parts[1]}"
    return None


def install(keep: frozenset[str]) -> None:
    import mutmut.mutation.trampoline as trampoline

    wrap_in_trampoline = trampoline.wrap_in_trampoline
    if getattr(wrap_in_trampoline, "keeps", None) is not None:
        return  # installed already (a pytest run inside mutmut's process)

    def selective(mutants: dict, is_classmethod: bool = False) -> Callable:
        wrap = wrap_in_trampoline(mutants, is_classmethod)

        def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
            name = mangled_name(function)
            return function if name is not None and name not in keep else wrap(function)

        return decorate

    selective.keeps = keep  # type: ignore[attr-defined]
    trampoline.wrap_in_trampoline = selective  # type: ignore[assignment]


def install_from_env() -> None:
    path = os.environ.get(KEEP_ENV)
    if path:
        install(frozenset(Path(path).read_text().split()))

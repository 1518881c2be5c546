"""mutmut's mutant generation for a sample: name every mutant, or write only the sampled ones.

Why: mutmut 3.8.1 writes a full copy of a function for each of its mutants, about 54,000 for
this tree; on a fresh clone that took longer than the rest of a sampled run. A sample needs
every mutant's name (to draw from) and the sampled mutants' code, nothing more. Both come
from mutmut's own generation with its per-function step (`function_trampoline_arrangement`)
replaced:

- naming (no sample file): each function's mutants get the names mutmut gives them, and the
  function is kept as written: nothing is rendered;
- a sample: only the sampled mutants are written, under their own numbers, behind mutmut's
  trampoline; a function without a sampled mutant keeps no trampoline and runs as written.

Which nodes mutate, how mutants are numbered, and the .meta files stay mutmut's.

Usage (in a mutmut work directory): python tools/mutation_generate.py --jobs 2 [--sample F]
where F is JSON: {source file: [mutant names]}.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_wanted: set[str] | None = None  # local mutant names of the file in hand; None: name them all
_sample: dict[str, set[str]] | None = None


def local_name(mutant: str) -> str:
    """`flatfile_chat.store.xǁCǁm__mutmut_3` -> `xǁCǁm__mutmut_3` (mangled names have no dot)."""
    return mutant.rpartition(".")[2]


def arrangement(function: Any, mutants: Sequence[Any], class_name: str | None) -> tuple:
    """mutmut's function_trampoline_arrangement, for the sampled mutants of one function."""
    import libcst as cst
    from mutmut.mutation.file_mutation import deep_replace
    from mutmut.mutation.trampoline_templates import (
        build_mutants_dict_and_name,
        mangle_function_name,
    )

    mangled = mangle_function_name(name=function.name.value, class_name=class_name) + "__mutmut"
    numbered = [(f"{mangled}_{i + 1}", mutant) for i, mutant in enumerate(mutants)]
    if _wanted is None:
        return [], [function], [], [name for name, _ in numbered]
    chosen = [(name, mutant) for name, mutant in numbered if name in _wanted]
    if not chosen:
        return [], [function], [], []
    # from here on as mutmut 3.8.1 writes it, for the chosen mutants only
    dict_name = f"mutants_{mangled}"
    declaration = list(cst.parse_module(f"{dict_name}: MutantDict = {{}}  # type: ignore").body)
    args = [cst.Arg(cst.Name(dict_name))]
    decorators = function.decorators
    if len(decorators) == 1 and _is_classmethod(decorators[0].decorator):
        args.append(cst.Arg(cst.Name("True"), keyword=cst.Name("is_classmethod")))
    trampoline = function.with_changes(
        decorators=[
            *decorators,
            cst.Decorator(cst.Call(func=cst.Name("_mutmut_mutated"), args=args)),
        ]
    )
    nodes = [trampoline, function.with_changes(name=cst.Name(mangled + "_orig"))]
    for name, mutant in chosen:
        copy = function.with_changes(name=cst.Name(name))
        nodes.append(deep_replace(copy, mutant.original_node, mutant.mutated_node))
    names = [name for name, _ in chosen]
    assignment_code = build_mutants_dict_and_name(
        mangled_name=mangled, mutants=names, mutants_dict_name=dict_name, class_name=class_name
    )
    assignments = list(cst.parse_module(assignment_code).body)
    assignments[0] = assignments[0].with_changes(leading_lines=[cst.EmptyLine()])
    return declaration, nodes, assignments, names


def _is_classmethod(decorator: Any) -> bool:
    import libcst.matchers as m

    return m.matches(decorator, m.Name("classmethod"))


def create_file_mutants(path: Path) -> Any:
    """mutmut's per-file step, told which of the file's mutants to write."""
    global _wanted
    _wanted = None if _sample is None else _sample.get(path.as_posix(), set())
    return _original_create_file_mutants(path)


_original_create_file_mutants: Any = None


def install(sample: dict[str, set[str]] | None) -> None:
    """Point mutmut's generation at the functions above (before its worker pool forks)."""
    global _sample, _original_create_file_mutants
    import mutmut.__main__ as mutmut_main
    import mutmut.mutation.file_mutation as file_mutation

    _sample = sample
    if _original_create_file_mutants is None:
        _original_create_file_mutants = mutmut_main.create_file_mutants
    file_mutation.function_trampoline_arrangement = arrangement  # type: ignore[assignment]
    mutmut_main.create_file_mutants = create_file_mutants  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=Path, help="JSON: {source file: [mutant names]}")
    args = parser.parse_args(argv)
    sample = None
    if args.sample:
        listed = json.loads(args.sample.read_text())
        sample = {source: {local_name(n) for n in names} for source, names in listed.items()}
    install(sample)
    from mutmut.__main__ import (
        copy_also_copy_files,
        copy_src_dir,
        create_mutants,
        set_mutant_under_test,
        setup_source_paths,
    )

    set_mutant_under_test("mutant_generation")
    os.makedirs("mutants", exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    stats = create_mutants(args.jobs)
    print("generated", stats.mutated, "files mutated,", stats.unmodified, "unchanged")


if __name__ == "__main__":
    main()

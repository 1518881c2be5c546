"""Load YAML scenario files into specs, validating everything before anything runs.

Errors read ``path/to/file.yaml:LINE: <what is wrong> (allowed: …)``. A file with any error
yields no runnable scenario at all (the pytest plugin turns it into one failing item). Besides
the schema, the loader checks what would otherwise only fail mid-run: every ``${variable}`` a
step reads is defined by then, and every ``matches`` regular expression compiles under RE2.
"""

from __future__ import annotations

import difflib
import functools
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from flatfile_chat.config import validate_config
from flatfile_chat.config.loader import deep_merge
from flatfile_chat.config.yaml_lines import (
    LineDict,
    YAMLError,
    YAMLLimits,
    line_of,
    load_yaml,
    plain,
    read_text_bounded,
)
from flatfile_chat.errors import ConfigError
from prism_scenarios import attack as attack_mode
from prism_scenarios import settings
from prism_scenarios.actions.registry import Action, ActionRegistry, load_actions
from prism_scenarios.errors import ScenarioFileError
from prism_scenarios.interpolate import references, variable_name
from prism_scenarios.matchers import MATCHERS, regex_problem
from prism_scenarios.schema import (
    INTERPOLATION,
    INVARIANTS,
    STEP_KEYS,
    build_schema,
    expectation_schema,
    params_schema,
    structural_schema,
)

# Where the system under test defines the errors a `raises:` may name: the store's own, and
# the migration tool's (MigrationError, MigrationTimeout, MigrationLocked, BackupInvalid,
# HistoryMismatch), which live beside the code that raises them.
ERROR_MODULES = (
    "flatfile_chat.errors",
    "flatfile_chat.migration.engine",
    "flatfile_chat.migration.passes",
    "flatfile_chat.migration.lease",
    "flatfile_chat.migration.manifest",
    "flatfile_chat.migration.history",
)


@functools.cache
def error_names() -> list[str]:
    """Error class names a ``raises:`` may use (imported on first use: the migration tool
    loads only when a file names an error)."""
    import importlib

    names = {
        name
        for module in ERROR_MODULES
        for name, obj in vars(importlib.import_module(module)).items()
        if isinstance(obj, type)
        and issubclass(obj, Exception)
        and (module == "flatfile_chat.errors" or obj.__module__ == module)
    }
    return sorted(names) + ["TimeoutError"]


_STEP_KEY_SET = frozenset(STEP_KEYS)  # asked of every key of every step


@dataclass
class StepSpec:
    action: str
    params: dict[str, Any]
    line: int
    source: str
    save: dict[str, str] = field(default_factory=dict)
    expect: list[dict[str, Any]] = field(default_factory=list)
    raises: dict[str, str] | None = None
    timeout: float | None = None
    label: str | None = None
    attack_outcome: str | None = None
    read_back: dict[str, Any] | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass
class ScenarioSpec:
    name: str
    source: str
    line: int
    steps: list[StepSpec]
    use_case: str | None = None
    tags: list[str] = field(default_factory=list)
    severity: str = "normal"
    skip: str | None = None
    xfail: str | None = None
    invariants: dict[str, bool] = field(default_factory=dict)
    start: str | None = None
    seed: int | None = None
    config: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    example_id: str | None = None
    description: str = ""
    telemetry: bool = False
    attack: attack_mode.AttackPoint | None = None

    @property
    def display_name(self) -> str:
        """The test name: ``name[example]`` for a row of ``examples``, ``name[corpus-line]``
        for an attack run (with both: ``name[example-corpus-line]``)."""
        return self.name + (f"[{self.example_id}]" if self.example_id else "")

    @property
    def components(self) -> list[str]:
        """Components this scenario's actions belong to (what it *should* exercise)."""
        registry = load_actions()
        found: set[str] = set()
        for step in self.steps:
            found.update(registry.get(step.action).components)
        return sorted(found - {"runner"})


@dataclass
class ScenarioFileSpec:
    path: str
    scenarios: list[ScenarioSpec]
    use_case: str | None = None
    tags: list[str] = field(default_factory=list)


class _Problems:
    def __init__(self, source: str, document: Any) -> None:
        self.source, self.document, self.items = source, document, []

    def add(self, location: list[Any] | int | None, message: str) -> None:
        line = (
            location
            if isinstance(location, int)
            else (line_of(self.document, location) if location is not None else None)
        )
        self.items.append(
            f"{self.source}:{line}: {message}" if line else f"{self.source}: {message}"
        )


def load_file(
    path: Path | str,
    registry: ActionRegistry | None = None,
    display: str | None = None,
    *,
    max_file_mb: float | None = None,
    scan_depth: str | None = None,
) -> ScenarioFileSpec:
    """Parse and validate one file; raises ``ScenarioFileError`` listing every problem.

    Bad input is refused before anything runs: a file over ``max_file_mb`` megabytes (MiB;
    default ``$PRISM_MAX_SCENARIO_FILE_MB``, else the project's ``max_scenario_file_mb``, 5
    unless set) unread, alias bombs and deep nesting too. ``scan_depth`` (default
    ``$PRISM_SCAN_DEPTH``, else standard) decides how many payloads an ``attack`` expands to.
    """
    registry = registry or load_actions()
    source = display or str(path)
    if max_file_mb is None and not os.environ.get("PRISM_MAX_SCENARIO_FILE_MB", "").strip():
        max_file_mb = settings.load().max_scenario_file_mb  # read only when it decides
    limits = YAMLLimits().with_megabytes(
        max_file_mb,
        env="PRISM_MAX_SCENARIO_FILE_MB",
        hint="raise it with max_scenario_file_mb under [tool.prism-scenarios] in "
        "pyproject.toml or the PRISM_MAX_SCENARIO_FILE_MB environment variable",
    )
    try:
        document = load_yaml(read_text_bounded(path, limits, source), source, limits)
    except YAMLError as exc:
        raise ScenarioFileError([str(exc)]) from None
    if not isinstance(document, LineDict):
        raise ScenarioFileError(
            [f"{source}:1: a scenario file is a mapping with a 'scenarios' list"]
        )
    problems = _Problems(source, document)
    _check_structure(document, problems, registry)
    _check_use_case(document, problems)
    steps_by_location = {}
    for location, step in _iter_steps(document):
        spec = _check_step(step, location, problems, registry, source)
        if spec is not None:
            steps_by_location[tuple(location)] = spec
    _check_variables(document, problems)
    _check_attack(document, problems)
    payloads = _attack_payloads(document, problems, scan_depth)
    file_config = plain(document.get("config", {}))
    for location, cfg in [(["config"], file_config)] + [
        (["scenarios", i, "config"], deep_merge(file_config, plain(s.get("config", {}))))
        for i, s in enumerate(document.get("scenarios", []) or [])
        if isinstance(s, dict) and "config" in s
    ]:
        _check_config(cfg, location, problems)
    if problems.items:
        declared = document.get("use_case")
        raise ScenarioFileError(problems.items, declared if isinstance(declared, str) else None)
    return _build(document, source, steps_by_location, payloads)


@functools.lru_cache(maxsize=1)
def _structural_validator() -> tuple[jsonschema.Draft202012Validator, bool]:
    """The file schema, and whether :func:`_check_structure` checks steps itself. The
    structural schema's only rule for a step is "a mapping"; jsonschema's descent into each
    step to check that cost ~12 µs a step, a third of loading a file (benchmarks/bench_bdd.py),
    so the schema used here does not look inside ``steps`` and Python checks that rule."""
    schema = structural_schema(build_schema())
    steps = schema["$defs"]["steps"]
    if steps.get("items") != {"$ref": "#/$defs/step"} or schema["$defs"]["step"] != {
        "type": "object"
    }:
        return jsonschema.Draft202012Validator(schema), False  # not the shape known here
    schema["$defs"]["steps"] = {k: v for k, v in steps.items() if k != "items"}
    return jsonschema.Draft202012Validator(schema), True


def _check_structure(document: LineDict, problems: _Problems, registry: ActionRegistry) -> None:
    validator, steps_here = _structural_validator()
    found: list[tuple[list[Any], jsonschema.ValidationError | None, Any]] = [
        (list(error.absolute_path), error, None) for error in validator.iter_errors(document)
    ]
    if steps_here:  # the schema's rule for a step: a mapping (in jsonschema's words)
        found += [
            (location, None, step)
            for location, step in _iter_steps(document)
            if not isinstance(step, dict)
        ]
    for path, error, step in sorted(found, key=lambda found: list(map(str, found[0]))):
        if error is None:
            problems.add(path, f"{_describe(path)}: {step!r} is not of type 'object'")
            continue
        if error.validator == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            extra = sorted(set(error.instance) - set(allowed))
            where = ".".join(map(str, path)) or "top level"
            for key in extra:
                hint = _did_you_mean(key, allowed)
                problems.add(
                    path + [key],
                    f"unknown key {key!r} in {where}{hint} (allowed: {', '.join(allowed)})",
                )
        else:
            problems.add(path, f"{_describe(path)}: {error.message}")


def _describe(path: list[Any]) -> str:
    return ".".join(map(str, path)) or "file"


def _iter_steps(document: LineDict):
    background = document.get("background")
    if isinstance(background, list):
        for i, step in enumerate(background):
            yield ["background", i], step
    for s, scenario in enumerate(document.get("scenarios") or []):
        if isinstance(scenario, dict) and isinstance(scenario.get("steps"), list):
            for i, step in enumerate(scenario["steps"]):
                yield ["scenarios", s, "steps", i], step


@functools.lru_cache(maxsize=512)
def _params_validator(action: Action) -> jsonschema.Draft202012Validator:
    defs: dict[str, Any] = {}
    schema = params_schema(action, defs)
    schema["$defs"] = {**defs, "interpolation": INTERPOLATION}
    return jsonschema.Draft202012Validator(schema)


def _check_step(
    step: Any, location: list[Any], problems: _Problems, registry: ActionRegistry, source: str
) -> StepSpec | None:
    if not isinstance(step, dict):
        problems.add(location, f"a step is a mapping with one action, got {type(step).__name__}")
        return None
    actions = [k for k in step if k not in _STEP_KEY_SET]
    known = [k for k in actions if k in registry]
    for key in actions:
        if key not in registry:
            hint = _did_you_mean(key, registry.names() + list(STEP_KEYS))
            problems.add(
                location + [key],
                f"unknown action {key!r}{hint} (step keys: "
                f"{', '.join(STEP_KEYS)}; actions: run "
                "`prism-scenarios actions`)",
            )
    if not actions:
        problems.add(
            location,
            "step has no action (it needs exactly one, e.g. 'user.create: {user_id: alice}')",
        )
    if len(known) > 1:
        problems.add(location, f"step has {len(known)} actions {known}; one step = one action")
    if len(known) != 1 or len(actions) != 1:
        _check_step_keys(step, location, problems)
        return None
    name = known[0]
    raw_params = step[name] if step[name] is not None else {}
    if not isinstance(raw_params, dict):
        problems.add(
            location + [name],
            f"parameters of {name} must be a mapping, got {type(raw_params).__name__}",
        )
        return None
    _check_params(name, raw_params, location + [name], problems, registry)
    _check_read_back(step.get("read_back"), location + ["read_back"], problems, registry)
    _check_step_keys(step, location, problems)
    get = step.get
    line = (
        getattr(step, "key_lines", {}).get(name)
        or line_of(problems.document, location + [name])
        or 0
    )
    return StepSpec(
        action=name,
        params=plain(raw_params),
        line=line,
        source=source,
        save=plain(get("save")) if "save" in step else {},
        expect=plain(get("expect")) if "expect" in step else [],
        raises=plain(get("raises")),
        timeout=get("timeout"),
        label=get("name"),
        attack_outcome=get("attack_outcome"),
        read_back=plain(get("read_back")),
    )


def _check_params(
    name: str, params: dict, location: list[Any], problems: _Problems, registry: ActionRegistry
) -> None:
    action = registry.get(name)
    validator = _params_validator(action)
    fields = action.params.model_fields
    errors = list(validator.iter_errors(params))
    if not errors:
        return
    allowed = ", ".join(f"{k}{'' if f.is_required() else '?'}" for k, f in fields.items())
    for error in errors:
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            for key in sorted(set(error.instance) - set(fields)):
                hint = _did_you_mean(key, list(fields))
                problems.add(
                    location + [key],
                    f"unknown parameter {key!r} for {name}{hint} (allowed: {allowed})",
                )
        elif error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            problems.add(
                location, f"missing required parameter {missing!r} for {name} (allowed: {allowed})"
            )
        else:
            param = ".".join(map(str, path)) or "(parameters)"
            expected = _expected_type(fields.get(path[0]) if path else None)
            problems.add(
                location + path, f"parameter {param!r} of {name}: {_short(error)}{expected}"
            )


def _expected_type(field_info: Any) -> str:
    if field_info is None:
        return ""
    annotation = field_info.annotation
    # Literal[...] and Optional[...] read as themselves, not as a bare "Literal".
    annotation = (
        str(annotation)
        if typing.get_origin(annotation)
        else getattr(annotation, "__name__", None) or str(annotation)
    )
    annotation = annotation.replace("typing.", "").replace(" | None", " or null")
    return f" (expected {annotation}, or a whole ${{variable}})"


def _short(error: jsonschema.ValidationError) -> str:
    if error.validator == "anyOf":
        wrong_value = next(_value_errors(error), None)  # a string, but not an allowed one
        return wrong_value.message if wrong_value else f"{error.instance!r} has the wrong type"
    return error.message


def _value_errors(error: jsonschema.ValidationError):
    for sub in error.context or []:
        if sub.validator in ("enum", "const"):
            yield sub
        yield from _value_errors(sub)


def _check_step_keys(step: dict, location: list[Any], problems: _Problems) -> None:
    for i, expectation in enumerate(step.get("expect") or []):
        if not isinstance(expectation, dict):
            problems.add(
                location + ["expect", i], "an expectation is a mapping like {path: x, equals: 1}"
            )
            continue
        unknown = [k for k in expectation if k != "path" and k not in MATCHERS]
        for key in unknown:
            problems.add(
                location + ["expect", i, key],
                f"unknown matcher {key!r}{_did_you_mean(key, list(MATCHERS))} "
                f"(allowed: path, {', '.join(MATCHERS)})",
            )
        if not unknown and not [k for k in expectation if k in MATCHERS]:
            problems.add(
                location + ["expect", i],
                f"expectation has no matcher (allowed: {', '.join(MATCHERS)})",
            )
        for key, value in expectation.items():
            if key in MATCHERS or key == "path":
                why = _expected_value_problem(key, value)
                if why:
                    problems.add(location + ["expect", i, key], why)
        if "matches" in expectation:
            _check_regex(expectation["matches"], location + ["expect", i, "matches"], problems)
    raises = step.get("raises")
    if isinstance(raises, dict) and "matches" in raises:
        _check_regex(raises["matches"], location + ["raises", "matches"], problems)
    if isinstance(raises, dict) and raises.get("error") not in error_names():
        problems.add(
            location + ["raises", "error"],
            f"unknown error {raises.get('error')!r}"
            f"{_did_you_mean(str(raises.get('error')), error_names())} (allowed: "
            f"{', '.join(error_names())})",
        )
    if raises is not None and "attack_outcome" in step:
        problems.add(location + ["raises"], "a step has 'raises' or 'attack_outcome', not both")
    if raises is not None and ("expect" in step or "save" in step):
        problems.add(
            location + ["raises"],
            "a step with 'raises' cannot also 'expect' or 'save' (it has no result)",
        )


@functools.lru_cache(maxsize=1)
def _expectation_values() -> dict[str, jsonschema.Draft202012Validator]:
    """One validator per matcher: what its expected value may be (or a whole ${variable})."""
    properties = expectation_schema()["properties"]
    return {
        name: jsonschema.Draft202012Validator({**schema, "$defs": {"interpolation": INTERPOLATION}})
        for name, schema in properties.items()
    }


def _expected_value_problem(matcher: str, value: Any) -> str | None:
    """A literal expected value of the wrong kind (``gt: abc``, ``type: strin``) fails the
    file now; one that comes from a ${variable} is checked when the step runs."""
    validator = _expectation_values().get(matcher)
    error = next(iter(validator.iter_errors(plain(value))), None) if validator else None
    if error is None:
        return None
    allowed = validator.schema.get("anyOf", [validator.schema])[0]
    kind = allowed.get("type", "value")
    wanted = (
        f"one of {', '.join(allowed['enum'])}"
        if "enum" in allowed
        else "a non-negative integer"
        if allowed.get("minimum") == 0
        else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    )
    return f"matcher {matcher!r}: expected {wanted} or a whole ${{variable}}, got {value!r}"


def _check_regex(pattern: Any, location: list[Any], problems: _Problems) -> None:
    """A pattern that RE2 refuses fails the file now, not the step that reaches it; one built
    from ``${variables}`` is checked when the step runs."""
    if isinstance(pattern, str) and next(references(pattern), None) is not None:
        return
    why = regex_problem(pattern)
    if why:
        problems.add(location, f"matches: {why}")


def _check_read_back(
    read_back: Any, location: list[Any], problems: _Problems, registry: ActionRegistry
) -> None:
    """``read_back: {<action>: {...}, path: <JMESPath>}``: one known action, valid params."""
    if not isinstance(read_back, dict):
        return  # the schema reports its type
    actions = [k for k in read_back if k != "path"]
    if len(actions) != 1 or actions[0] not in registry:
        hint = _did_you_mean(actions[0], registry.names()) if len(actions) == 1 else ""
        problems.add(
            location,
            f"read_back needs one action and a path, got "
            f"{', '.join(map(repr, actions)) or 'no action'}{hint}",
        )
        return
    params = read_back[actions[0]] if read_back[actions[0]] is not None else {}
    if isinstance(params, dict):
        _check_params(actions[0], params, location + [actions[0]], problems, registry)
    else:
        problems.add(location + [actions[0]], f"parameters of {actions[0]} must be a mapping")


def _check_attack(document: LineDict, problems: _Problems) -> None:
    """``attack_outcome``/``read_back`` only in attack scenarios; there, a step that uses an
    attacked variable must say what hostile input may do (``attack_outcome`` or
    ``raises``), so no payload is judged by accident."""
    scenarios = document.get("scenarios")
    for s, scenario in enumerate(scenarios if isinstance(scenarios, list) else []):
        if not isinstance(scenario, dict) or not isinstance(scenario.get("steps"), list):
            continue
        attack = scenario.get("attack")
        attacked = set(attack) if isinstance(attack, dict) else set()
        for i, step in enumerate(scenario["steps"]):
            if not isinstance(step, dict):
                continue
            where = ["scenarios", s, "steps", i]
            for key in ("attack_outcome", "read_back"):
                if key in step and not attacked:
                    problems.add(
                        where + [key],
                        f"{key!r} needs an 'attack' on the scenario "
                        "(attack: {payload: [corpus, ...]})",
                    )
            if "read_back" in step and step.get("attack_outcome") not in (
                "verbatim",
                "refused_or_verbatim",
            ):
                problems.add(
                    where + ["read_back"],
                    "read_back needs attack_outcome verbatim or refused_or_verbatim",
                )
            if not attacked:
                continue  # no attacked variable to look for
            actions = [k for k in step if k not in _STEP_KEY_SET]
            used = {variable_name(e) for a in actions for e in references(step.get(a))}
            hit = sorted(used & attacked)
            if hit and "attack_outcome" not in step and "raises" not in step:
                problems.add(
                    where + actions[:1],
                    f"step uses attacked variable "
                    f"${{{hit[0]}}} but declares no "
                    f"attack_outcome (allowed: "
                    f"{', '.join(attack_mode.OUTCOMES)})",
                )


def _attack_payloads(
    document: LineDict, problems: _Problems, depth: str | None
) -> dict[int, list[attack_mode.AttackPoint]]:
    """Scenario index -> its attack runs at this scan depth (empty for no attack)."""
    runs: dict[int, list[attack_mode.AttackPoint]] = {}
    scenarios = document.get("scenarios")
    known = set(attack_mode.corpus_names())
    for s, scenario in enumerate(scenarios if isinstance(scenarios, list) else []):
        attack = scenario.get("attack") if isinstance(scenario, dict) else None
        if not isinstance(attack, dict):
            continue
        for variable, corpora in attack.items():
            for corpus in corpora if isinstance(corpora, list) else []:
                if corpus not in known:
                    continue  # reported by the schema, with the known names
                try:
                    payloads = attack_mode.payloads(corpus, depth)
                except attack_mode.AttackConfigError as exc:
                    problems.add(["scenarios", s, "attack"], str(exc))
                    return runs
                runs.setdefault(s, []).extend(
                    attack_mode.AttackPoint(variable, p) for p in payloads
                )
    return runs


def _check_variables(document: LineDict, problems: _Problems) -> None:
    """Every ``${name}`` a step reads (parameters and expectations) must be defined by then:
    file or scenario fixtures, the example row, or a ``save`` (or ``vars.set``) of an earlier
    step. ``${env:NAME}`` is read at run time and not checked here."""
    background = _raw_steps(document.get("background"), ["background"])
    fixtures = _keys(document.get("fixtures"))
    reported: set[tuple[int | None, str]] = set()  # a background step: once, not per scenario
    scenarios = document.get("scenarios")
    for s, scenario in enumerate(scenarios if isinstance(scenarios, list) else []):
        if not isinstance(scenario, dict):
            continue
        steps = background + _raw_steps(scenario.get("steps"), ["scenarios", s, "steps"])
        known = fixtures | _keys(scenario.get("fixtures"))
        if isinstance(scenario.get("attack"), dict):  # set by the attack world
            known |= set(scenario["attack"]) | {"victim", "victim_session", "canary"}
        rows = scenario.get("examples")
        for row in rows if isinstance(rows, list) and rows else [None]:
            for line, expression, message in _undefined(steps, known | _keys(row), document):
                if (line, expression) not in reported:
                    reported.add((line, expression))
                    problems.add(line, message)


def _raw_steps(steps: Any, location: list[Any]) -> list[tuple[list[Any], Any]]:
    return (
        [(location + [i], step) for i, step in enumerate(steps)] if isinstance(steps, list) else []
    )


def _keys(mapping: Any) -> set[str]:
    return set(mapping) if isinstance(mapping, dict) else set()


def _undefined(steps: list[tuple[list[Any], Any]], known: set[str], document: LineDict):
    """(line, reference, message) for each reference to a name not defined at its step, in
    step order (a step's own ``save`` is defined for its ``expect``: saves run first)."""
    known = set(known)
    for index, (location, step) in enumerate(steps, start=1):
        if not isinstance(step, dict):
            continue
        actions = [k for k in step if k not in _STEP_KEY_SET]
        name = actions[0] if len(actions) == 1 else "?"
        params = step.get(name)
        saved = _keys(step.get("save"))
        parts = [(location + [name] if len(actions) == 1 else location, params, known)]
        expect = step.get("expect")
        parts += [
            (location + ["expect", i], check, known | saved)
            for i, check in enumerate(expect if isinstance(expect, list) else [])
        ]
        for where, part, defined in parts:
            for expression in references(part):
                variable = variable_name(expression)
                if variable is None or variable in defined:
                    continue
                line = line_of(document, where)
                shown = f"${{{variable}}}" + (
                    f" (in ${{{expression}}})" if expression != variable else ""
                )
                yield (
                    line,
                    expression,
                    (
                        f"undefined variable {shown} in step {index} `{name}` (defined at this "
                        f"point: {', '.join(sorted(defined)) or 'none'})"
                    ),
                )
        known |= saved
        if name == "vars.set":
            values = params.get("values") if isinstance(params, dict) else None
            if not isinstance(values, dict):
                return  # the names it sets are only known at run time
            known |= set(values)


def _check_use_case(document: LineDict, problems: _Problems) -> None:
    value = document.get("use_case")
    if not isinstance(value, str):
        return
    from prism_scenarios.use_cases import CatalogError, current_catalog

    try:
        catalog = current_catalog()
    except CatalogError as exc:
        problems.add(["use_case"], f"cannot check use_case: {exc}")
        return
    if why := catalog.check_id(value):
        problems.add(["use_case"], why)


def _check_config(config: dict, location: list[Any], problems: _Problems) -> None:
    try:
        validate_config(config, origin="config")
    except ConfigError as exc:
        for line in str(exc).splitlines():
            problems.add(location, line.removeprefix("config: "))


def _did_you_mean(key: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _build(
    document: LineDict,
    source: str,
    steps: dict[tuple[Any, ...], StepSpec],
    attacks: dict[int, list[attack_mode.AttackPoint]] | None = None,
) -> ScenarioFileSpec:
    use_case = document.get("use_case")
    file_tags = list(document.get("tags", []))
    fixtures = plain(document.get("fixtures", {}))
    file_config = plain(document.get("config", {}))
    background = [steps[("background", i)] for i in range(len(document.get("background", [])))]
    specs: list[ScenarioSpec] = []
    for s, raw in enumerate(document["scenarios"]):
        own = [steps[("scenarios", s, "steps", i)] for i in range(len(raw["steps"]))]
        invariants = raw.get("invariants", True)
        if isinstance(invariants, bool):
            invariants = dict.fromkeys(INVARIANTS, invariants)
        base = dict(
            name=raw["name"],
            source=source,
            line=line_of(document, ["scenarios", s]) or 0,
            steps=background + own,
            use_case=use_case,
            tags=file_tags + [t for t in raw.get("tags", []) if t not in file_tags],
            severity=raw.get("severity", document.get("severity", "normal")),
            skip=raw.get("skip"),
            xfail=raw.get("xfail"),
            invariants=plain(invariants),  # the engine fills in the rest (all on)
            start=raw.get("start"),
            seed=raw.get("seed"),
            config=deep_merge(file_config, plain(raw.get("config", {}))),
            description=raw.get("description", ""),
            telemetry=bool(raw.get("telemetry", document.get("telemetry", False))),
        )
        variables = {**fixtures, **plain(raw.get("fixtures", {}))}
        examples = plain(raw.get("examples")) or [None]
        points = (attacks or {}).get(s) or [None]
        for n, example in enumerate(examples, start=1):
            row = example or {}
            example_id = None if example is None else _example_id(n, row)
            for point in points:
                run_id = (
                    example_id
                    if point is None
                    else "-".join(filter(None, [example_id, point.payload.id]))
                )
                extra = {} if point is None else {point.variable: point.payload.text}
                specs.append(
                    ScenarioSpec(
                        **base,
                        variables={**variables, **row, **extra},
                        example_id=run_id,
                        attack=point,
                    )
                )
    return ScenarioFileSpec(path=source, scenarios=specs, use_case=use_case, tags=file_tags)


def _example_id(n: int, row: dict[str, Any]) -> str:
    simple = [f"{k}={v}" for k, v in row.items() if isinstance(v, str | int | float | bool)]
    text = ",".join(simple)
    return text if text and len(text) <= 60 else f"example{n}"

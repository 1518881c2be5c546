"""Generate ``schemas/scenario.schema.json`` from the action registry.

Every action becomes a property of a step (so editors autocomplete action names and their
parameters) and a ``oneOf`` branch requires exactly one of them. Parameters that are not
plain strings (numbers, lists, objects, enums, strings with a pattern, format or length) also
accept a whole ``${variable}`` string, since values are interpolated at run time (and then
validated by the action's model).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from prism_scenarios.actions.registry import ActionRegistry, load_actions
from prism_scenarios.attack import OUTCOMES, corpus_names
from prism_scenarios.matchers import MATCHERS, TYPES
from prism_scenarios.tags import SEVERITIES

SCHEMA_ID = "https://prism-scenarios.dev/schemas/scenario.schema.json"
STEP_KEYS = ("name", "save", "expect", "raises", "timeout", "attack_outcome", "read_back")
# The engine's per-step checks, each on by default (prism_scenarios.engine).
INVARIANTS = ("outside_root", "jsonl", "counters", "isolation")
INTERPOLATION = {
    "type": "string",
    "pattern": r"^\$\{[^{}]+\}$",
    "description": "a whole ${variable} reference, resolved when the step runs",
}
TAG_PATTERN = r"^[A-Za-z0-9_.:-]+$"


def _first_paragraph(text: str) -> str:
    return text.split("\n\n", 1)[0].replace("\n", " ")


def params_schema(action: Any, defs: dict[str, Any]) -> dict[str, Any]:
    schema = action.params.model_json_schema(ref_template="#/$defs/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        if name in defs and defs[name] != sub:
            raise ValueError(f"two different parameter models are both called {name!r}")
        defs[name] = sub
    schema.pop("title", None)
    schema["additionalProperties"] = False
    schema["description"] = _first_paragraph(action.description)
    schema["markdownDescription"] = (
        f"**{action.name}** ({action.component})\n\n{action.description}"
    )
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    schema["properties"] = {
        name: _allow_interpolation(prop) for name, prop in schema.get("properties", {}).items()
    }
    schema.setdefault("type", "object")
    return schema


# String keywords a ``${variable}`` reference itself would not satisfy.
STRING_CONSTRAINTS = ("enum", "const", "pattern", "format", "minLength", "maxLength")


def _allow_interpolation(prop: dict[str, Any]) -> dict[str, Any]:
    """``prop`` or a whole ``${variable}``; a plain string already accepts one."""
    if prop.get("type") == "string" and not any(k in prop for k in STRING_CONSTRAINTS):
        return prop
    description = prop.get("description")
    wrapped = {
        "anyOf": [
            {k: v for k, v in prop.items() if k not in ("description", "default")},
            {"$ref": "#/$defs/interpolation"},
        ]
    }
    if description:
        wrapped["description"] = description
    if "default" in prop:
        wrapped["default"] = prop["default"]
    return wrapped


def expectation_schema() -> dict[str, Any]:
    props: dict[str, Any] = {
        "path": {"type": "string", "description": "JMESPath into the step result ('@' = all of it)"}
    }
    for name in MATCHERS:
        props[name] = {"description": f"matcher '{name}'"}
    variable = {"$ref": "#/$defs/interpolation"}
    props["type"] = {
        "anyOf": [{"enum": sorted(TYPES)}, variable],
        "description": "JSON type of the value",
    }
    props["schema"] = {
        "anyOf": [{"type": "object"}, variable],
        "description": "JSON Schema the value must match",
    }
    props["matches"] = {
        "type": "string",
        "description": "RE2 regular expression, found anywhere (search)",
    }
    props["length"] = {"anyOf": [{"type": "integer", "minimum": 0}, variable]}
    props["is_null"] = {"anyOf": [{"type": "boolean"}, variable]}
    for name in ("gt", "ge", "lt", "le"):
        props[name] = {
            "anyOf": [{"type": "number"}, variable],
            "description": f"matcher '{name}': a number",
        }
    return {
        "type": "object",
        "properties": props,
        "additionalProperties": False,
        "minProperties": 1,
        "anyOf": [{"required": [name]} for name in MATCHERS],
    }


def build_schema(registry: ActionRegistry | None = None) -> dict[str, Any]:
    registry = registry or load_actions()
    defs: dict[str, Any] = {"interpolation": INTERPOLATION, "expectation": expectation_schema()}
    step_props: dict[str, Any] = {}
    for action in registry:
        key = f"action:{action.name}"
        defs[key] = params_schema(action, defs)
        step_props[action.name] = {"$ref": f"#/$defs/{key}"}
    step_props.update(
        {
            "name": {"type": "string", "description": "label shown in reports"},
            "save": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "variable name -> JMESPath into the result",
            },
            "expect": {
                "type": "array",
                "items": {"$ref": "#/$defs/expectation"},
                "description": "checks on the result; all must hold",
            },
            "raises": {
                "type": "object",
                "additionalProperties": False,
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "string",
                        "description": "error class name (NotFound, ValidationError ...)",
                    },
                    "message": {"type": "string", "description": "substring of the message"},
                    "matches": {
                        "type": "string",
                        "description": "RE2 regular expression searched in the message",
                    },
                },
                "description": "the step must fail with this error",
            },
            "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "seconds"},
            "attack_outcome": {
                "enum": list(OUTCOMES),
                "description": "attack runs: what hostile input may do here (refused = a domain "
                "error; verbatim = accepted and read back byte-identical)",
            },
            "read_back": {
                "type": "object",
                "required": ["path"],
                "minProperties": 2,
                "maxProperties": 2,
                "properties": {
                    "path": {"type": "string", "description": "JMESPath to the stored value"}
                },
                "description": "attack runs: one action that reads the value back, and "
                "the path in its result that must equal the payload",
            },
        }
    )
    defs["step"] = {
        "type": "object",
        "properties": step_props,
        "additionalProperties": False,
        "oneOf": [{"required": [a.name]} for a in registry],
    }
    defs["steps"] = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}}
    tags = {"type": "array", "items": {"type": "string", "pattern": TAG_PATTERN}}
    defs["scenario"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "steps"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "tags": tags,
            "severity": {"enum": list(SEVERITIES)},
            "skip": {"type": "string", "minLength": 1, "description": "skip, with the reason"},
            "xfail": {
                "type": "string",
                "minLength": 1,
                "description": "expected to fail, with the reason",
            },
            "invariants": {
                "anyOf": [
                    {"type": "boolean"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {k: {"type": "boolean"} for k in INVARIANTS},
                    },
                ],
                "description": "store invariants after every step (default: all on): "
                "outside_root, jsonl (files parse), counters (counts equal "
                "files), isolation (no other user's data or raw ids)",
            },
            "start": {
                "type": "string",
                "format": "date-time",
                "description": "clock start (timezone-aware ISO 8601)",
            },
            "seed": {"type": "integer"},
            "telemetry": {
                "type": "boolean",
                "description": "every SUT action also leaves an "
                "operation metric and an audit "
                "line in analytics/",
            },
            "config": {"type": "object", "description": "store config overrides"},
            "fixtures": {"type": "object", "description": "variables for this scenario"},
            "examples": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object"},
                "description": "run once per row; each row's keys become variables",
            },
            "attack": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                "additionalProperties": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"enum": corpus_names()},
                },
                "description": "attack mode: {variable: [corpus, ...]}; one run per "
                "payload, the attack oracles checked after every step "
                "(docs/security-suite.md)",
            },
            "steps": {"$ref": "#/$defs/steps"},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "prism-scenarios scenario file",
        "description": "Generated by `prism-scenarios schema` from the action registry. "
        "Do not edit by hand.",
        "type": "object",
        "additionalProperties": False,
        "required": ["scenarios"],
        "properties": {
            "use_case": {
                "type": "string",
                "description": "id from the use-case catalog (`prism-scenarios list --use-cases`)",
            },
            "description": {"type": "string"},
            "tags": tags,
            "severity": {"enum": list(SEVERITIES)},
            "fixtures": {"type": "object", "description": "variables for every scenario"},
            "telemetry": {"type": "boolean", "description": "telemetry for every scenario"},
            "config": {"type": "object", "description": "store config overrides for the file"},
            "background": {
                "$ref": "#/$defs/steps",
                "description": "steps run before each scenario",
            },
            "scenarios": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/scenario"}},
        },
        "$defs": defs,
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def structural_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The file schema with steps left open: the loader checks steps itself (better errors)."""
    loose = copy.deepcopy(schema)
    loose["$defs"]["step"] = {"type": "object"}
    return loose


def write_schema(path: Path) -> bool:
    """Write the schema; returns True if the file changed."""
    text = render(build_schema())
    old = path.read_text() if path.exists() else None
    if old != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return True
    return False

"""Load config from presets, YAML/JSON files and overrides, with errors that name file and key.

A file may start from a preset with a top-level ``preset: production`` key; everything else in
the file is deep-merged over it. Unknown keys are errors (``file:line: unknown key 'a.b'``).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic

from flatfile_chat.config.manager import FFConfigurationManagerConfigDTO
from flatfile_chat.config.yaml_lines import (
    YAMLError,
    line_of,
    load_yaml,
    plain,
    read_text_bounded,
)
from flatfile_chat.errors import ConfigError

PRESETS = ("development", "test", "production")


def preset_names() -> tuple[str, ...]:
    return PRESETS


def _read_source(path: Path) -> Any:
    """The file's data; like scenario files, bounded in size, nesting and alias expansion."""
    try:
        text = read_text_bounded(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found", path=str(path)) from None
    except YAMLError as exc:  # too large, or not UTF-8
        raise ConfigError(str(exc), path=str(path), line=exc.line) from None
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ConfigError(
                f"{path}:{exc.lineno}: invalid JSON: {exc.msg}",  # type: ignore[attr-defined]
                path=str(path),
            ) from None
        except RecursionError:
            raise ConfigError(f"{path}: JSON nested too deeply", path=str(path)) from None
    try:
        return load_yaml(text, source=str(path))
    except YAMLError as exc:
        raise ConfigError(str(exc), path=str(path), line=exc.line) from None


def _preset_data(name: str) -> Any:
    if name not in PRESETS:
        raise ConfigError(
            f"unknown preset {name!r} (allowed: {', '.join(PRESETS)})", key="preset", value=name
        )
    text = resources.files("flatfile_chat.config").joinpath(f"presets/{name}.yaml").read_text()
    return load_yaml(text, source=f"preset:{name}")


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(
    source: str | Path | None = None,
    *,
    preset: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> FFConfigurationManagerConfigDTO:
    """Build a validated config: preset, then file, then ``overrides`` (each optional)."""
    data: dict[str, Any] = {}
    document: Any = None
    origin = "<overrides>"
    if source is not None:
        origin = str(source)
        document = _read_source(Path(source))
        if document is None:
            document = {}
        if not isinstance(document, dict):
            raise ConfigError(
                f"{origin}: top level must be a mapping, got {type(document).__name__}", path=origin
            )
        file_data = plain(document)
        preset = file_data.pop("preset", preset)
        data = file_data
    if preset is not None:
        data = deep_merge(plain(_preset_data(preset)), data)
    if overrides:
        data = deep_merge(data, overrides)
    return validate_config(data, origin=origin, document=document)


def validate_config(
    data: dict[str, Any], *, origin: str = "<config>", document: Any = None
) -> FFConfigurationManagerConfigDTO:
    try:
        return FFConfigurationManagerConfigDTO.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(
            _describe(exc, origin, document),
            path=origin,
            key=".".join(map(str, exc.errors()[0]["loc"])),
        ) from None


def _describe(exc: pydantic.ValidationError, origin: str, document: Any) -> str:
    lines = []
    for error in exc.errors():
        loc = error["loc"]
        key = ".".join(map(str, loc))
        line = line_of(document, loc) if document is not None else None
        where = f"{origin}:{line}" if line else origin
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            lines.append(f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})")
        else:
            lines.append(f"{where}: {key}: {error['msg']} (got {error.get('input')!r})")
    return "\n".join(lines)


def _allowed_keys(parent: tuple[Any, ...]) -> list[str]:
    model: Any = FFConfigurationManagerConfigDTO
    for step in parent:
        field = model.model_fields.get(step) if hasattr(model, "model_fields") else None
        if field is None or not isinstance(field.annotation, type):
            return []
        model = field.annotation
    return sorted(model.model_fields) if hasattr(model, "model_fields") else []

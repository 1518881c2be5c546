"""Unit conversion from fixed factor tables (plus temperature, which is affine)."""

from __future__ import annotations

import math

from flatfile_chat.errors import ValidationError

# dimension -> unit -> factor to the dimension's base unit
_FACTORS: dict[str, dict[str, float]] = {
    "length": {
        "m": 1.0,
        "km": 1000.0,
        "cm": 0.01,
        "mm": 0.001,
        "mi": 1609.344,
        "yd": 0.9144,
        "ft": 0.3048,
        "in": 0.0254,
    },
    "mass": {"kg": 1.0, "g": 0.001, "mg": 1e-6, "lb": 0.45359237, "oz": 0.028349523125},
    "time": {"s": 1.0, "ms": 0.001, "min": 60.0, "h": 3600.0, "day": 86400.0, "week": 604800.0},
    "volume": {
        "l": 1.0,
        "ml": 0.001,
        "m3": 1000.0,
        "gal": 3.785411784,
        "qt": 0.946352946,
        "cup": 0.2365882365,
    },
    "data": {
        "B": 1.0,
        "KB": 1e3,
        "MB": 1e6,
        "GB": 1e9,
        "KiB": 1024.0,
        "MiB": 1024.0**2,
        "GiB": 1024.0**3,
    },
    "speed": {"m/s": 1.0, "km/h": 1000.0 / 3600.0, "mph": 1609.344 / 3600.0},
}
_TEMPERATURE = ("C", "F", "K")


def _dimension(unit: str, key: str) -> str:
    if unit in _TEMPERATURE:
        return "temperature"
    for dimension, units in _FACTORS.items():
        if unit in units:
            return dimension
    known = sorted({u for units in _FACTORS.values() for u in units} | set(_TEMPERATURE))
    raise ValidationError(
        f"unit_converter: unknown unit {unit!r} (known: {', '.join(known)})", key=key, value=unit
    )


def validate(from_unit: str, to_unit: str) -> str:
    """The shared dimension of both units, or ``ValidationError``."""
    source, target = _dimension(from_unit, "from_unit"), _dimension(to_unit, "to_unit")
    if source != target:
        raise ValidationError(
            f"unit_converter: cannot convert {source} ({from_unit}) to {target} ({to_unit})",
            key="to_unit",
        )
    return source


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``to_unit``, rounded to 10 significant digits (stable across platforms)."""
    if not math.isfinite(value):
        raise ValidationError("unit_converter: value must be a finite number", key="value")
    dimension = validate(from_unit, to_unit)
    if dimension == "temperature":
        result = _from_kelvin(_to_kelvin(value, from_unit), to_unit)
    else:
        result = value * _FACTORS[dimension][from_unit] / _FACTORS[dimension][to_unit]
    return float(f"{result:.10g}")


def _to_kelvin(value: float, unit: str) -> float:
    kelvin = {"C": value + 273.15, "F": (value - 32) * 5 / 9 + 273.15, "K": value}[unit]
    if kelvin < 0:
        raise ValidationError(f"unit_converter: {value} {unit} is below absolute zero", key="value")
    return kelvin


def _from_kelvin(kelvin: float, unit: str) -> float:
    return {"C": kelvin - 273.15, "F": (kelvin - 273.15) * 9 / 5 + 32, "K": kelvin}[unit]

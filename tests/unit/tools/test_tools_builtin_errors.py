"""Every refusal of the in-process built-ins names the offending parameter: exact message and
``key`` (and ``value`` where one is given), so a caller can point at the field."""

from __future__ import annotations

import pytest

from flatfile_chat.errors import ValidationError
from flatfile_chat.tools import calculator, textutils, translation, units

CALCULATOR = [
    ("", "calculator: expression must be a non-empty string"),
    ("0" * 501, "calculator: expression longer than 500 characters"),
    ("1 +", "calculator: invalid expression (invalid syntax)"),
    ("1+" * 67 + "1", "calculator: expression has more than 200 nodes"),
    ("[1]", "calculator: List is not allowed (only numbers, + - * / // % **, and math functions)"),
    ("'a'", "calculator: constant 'a' is not a number"),
    ("x", "calculator: name 'x' is not allowed"),
    ("(1).real", "calculator: Attribute is not allowed (only numbers, + - * / // % **, and math "
     "functions)"),
    ("round(1, ndigits=1)", "calculator: keyword arguments are not allowed"),
    ("sqrt", "calculator: 'sqrt' is a function, call it"),
    ("1 / 0", "calculator: division by zero"),
    ("1.5 ** 5000", "calculator: result is too large"),
    ("sqrt(-1)", "calculator: sqrt: math domain error"),
    ("2 ** 40001", "calculator: exponent too large"),
    ("10 ** 1001", "calculator: result would exceed 1000 digits"),
    ("(-8) ** 0.5", "calculator: result is not a real number"),
    ("1e300 * 10", "calculator: result is not a finite number"),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "message"), CALCULATOR)
def test_calculator_refusals_name_the_expression(expression: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        calculator.evaluate(expression)
    assert caught.value.message == message
    assert caught.value.key == "expression"


def test_calculator_call_refusal() -> None:
    with pytest.raises(ValidationError) as caught:
        calculator.evaluate("__import__('os')")
    assert caught.value.message == (
        "calculator: only the functions abs, ceil, cos, exp, floor, log, log10, max, min, "
        "round, sin, sqrt, tan may be called"
    )
    assert caught.value.key == "expression"


def test_unit_refusals_name_the_parameter() -> None:
    with pytest.raises(ValidationError) as caught:
        units.convert(1, "parsec", "m")
    assert caught.value.message.startswith("unit_converter: unknown unit 'parsec' (known: ")
    assert (caught.value.key, caught.value.value) == ("from_unit", "parsec")
    with pytest.raises(ValidationError) as caught:
        units.convert(1, "m", "furlong")
    assert (caught.value.key, caught.value.value) == ("to_unit", "furlong")
    with pytest.raises(ValidationError) as caught:
        units.convert(1, "kg", "m")
    assert caught.value.message == "unit_converter: cannot convert mass (kg) to length (m)"
    assert caught.value.key == "to_unit"
    with pytest.raises(ValidationError) as caught:
        units.convert(float("nan"), "kg", "g")
    assert caught.value.message == "unit_converter: value must be a finite number"
    assert caught.value.key == "value"
    with pytest.raises(ValidationError) as caught:
        units.convert(-1, "K", "C")
    assert caught.value.message == "unit_converter: -1 K is below absolute zero"
    assert caught.value.key == "value"


def test_translation_refusals_name_the_language() -> None:
    supported = ["en", "es"]
    with pytest.raises(ValidationError) as caught:
        translation.check_languages("xx", "en", supported)
    assert caught.value.message == "Unsupported source language 'xx' (supported: en, es)"
    assert (caught.value.key, caught.value.value) == ("source_language", "xx")
    with pytest.raises(ValidationError) as caught:
        translation.check_languages("en", "ko", supported)
    assert caught.value.message == "Unsupported target language 'ko' (supported: en, es)"
    assert (caught.value.key, caught.value.value) == ("target_language", "ko")
    result = translation.translate("hello", "en", "es", supported)
    assert (result["source_language"], result["target_language"]) == ("en", "es")


def test_text_utils_refusal_names_the_operation() -> None:
    with pytest.raises(ValidationError) as caught:
        textutils.run("shout", "hi")
    assert caught.value.message.startswith("text_utils: unknown operation 'shout' (known: ")
    assert caught.value.key == "operation"

"""The calculator evaluates arithmetic without eval and refuses everything else."""

from __future__ import annotations

import math
from typing import Any

import pytest

from flatfile_chat.errors import ValidationError
from flatfile_chat.tools import calculator


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ** 10", 1024),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("10 / 4", 2.5),
        ("sqrt(16) + abs(-2)", 6.0),
        ("round(pi, 3)", 3.142),
        ("max(1, 5, 3) - min(4, 2)", 3),
        ("log10(1000)", 3.0),
        ("2 ** -1", 0.5),
    ],
)
def test_arithmetic(expression: str, value: float) -> None:
    assert calculator.evaluate(expression) == value


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "().__class__.__bases__[0].__subclasses__()",
        "open('/etc/passwd').read()",
        "eval('1+1')",
        "exec('x=1')",
        "sqrt.__globals__",
        "[x for x in range(10)]",
        "lambda: 1",
        "'a' * 10",
        "True + 1",
        "x",
        "sqrt(x=4)",
        "1 if 1 else 2",
        "(1).real",
        "a := 1",
    ],
)
def test_code_injection_is_refused(expression: str) -> None:
    with pytest.raises(ValidationError, match="^calculator: "):
        calculator.parse(expression)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("9 ** 9 ** 9", "exponent too large"),
        ("10 ** 1001", "exceed 1000 digits"),
        ("2 ** 100000", "exponent too large"),
        ("(10 ** 999) * (10 ** 999)", "exceed 1000 digits"),
        ("1.5 ** 100000", "exponent too large"),
        ("1 / 0", "division by zero"),
        ("sqrt(-1)", "math domain error"),
        ("(-8) ** 0.5", "not a real number"),
        ("10 ** 999 / 3", "too large"),
        ("1" * 501, "longer than 500"),
    ],
)
def test_huge_or_undefined_results_are_refused(expression: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        calculator.evaluate(expression)


def test_through_the_executor(tools: Any) -> None:
    ok = tools.execute("calculator", {"expression": "2 * pi"})
    assert ok.success and ok.result_data == {"expression": "2 * pi", "result": 2 * math.pi}
    injected = tools.execute("calculator", {"expression": "__import__('os').getcwd()"})
    assert injected.success is False and injected.error_type == "validation_error"
    assert injected.denial_reason == "parameters"
    tools.clock.advance(seconds=1)  # past the 1 s default cooldown
    runtime = tools.execute("calculator", {"expression": "1/0"})
    assert runtime.success is False and runtime.error_type == "builtin_execution_error"
    assert runtime.error_message == "calculator: division by zero"

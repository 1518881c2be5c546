"""Arithmetic without ``eval``: parse with :mod:`ast` and walk a whitelist of node types.

Anything else (names other than a few constants, attributes, subscripts, lambdas, strings,
comprehensions ...) is refused, so ``__import__('os')`` is a parse refusal, not a sandbox
escape. Huge results are refused before they are computed (``9**9**9`` would pin a CPU).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from flatfile_chat.errors import ValidationError

MAX_EXPRESSION_LENGTH = 500
MAX_RESULT_DIGITS = 1000  # integers above 10**1000 are refused
MAX_FLOAT = 1e300
MAX_NODES = 200

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "floor": math.floor,
    "ceil": math.ceil,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def parse(expression: str) -> ast.Expression:
    """Parse and check the whole tree up front: a refusal never evaluates anything."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValidationError("calculator: expression must be a non-empty string", key="expression")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ValidationError(
            f"calculator: expression longer than {MAX_EXPRESSION_LENGTH} characters",
            key="expression",
        )
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValidationError(
            f"calculator: invalid expression ({exc.msg})", key="expression"
        ) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ValidationError(
            f"calculator: expression has more than {MAX_NODES} nodes", key="expression"
        )
    for node in nodes:
        _check_node(node)
    return tree


def _check_node(node: ast.AST) -> None:
    allowed = (
        ast.Expression,
        ast.BinOp,
        ast.UnaryOp,
        ast.Constant,
        ast.Call,
        ast.Name,
        ast.Load,
        *_BINARY,
        *_UNARY,
    )
    if not isinstance(node, allowed):
        raise ValidationError(
            f"calculator: {type(node).__name__} is not allowed "
            "(only numbers, + - * / // % **, and math functions)",
            key="expression",
        )
    if isinstance(node, ast.Constant) and (
        isinstance(node.value, bool) or not isinstance(node.value, int | float)
    ):
        raise ValidationError(
            f"calculator: constant {node.value!r} is not a number", key="expression"
        )
    if isinstance(node, ast.Name) and node.id not in _CONSTANTS and node.id not in _FUNCTIONS:
        raise ValidationError(f"calculator: name {node.id!r} is not allowed", key="expression")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise ValidationError(
                f"calculator: only the functions {', '.join(sorted(_FUNCTIONS))} may be called",
                key="expression",
            )
        if node.keywords:
            raise ValidationError("calculator: keyword arguments are not allowed", key="expression")


def evaluate(expression: str) -> Number:
    """The value of ``expression``; ``ValidationError`` for anything refused or undefined."""
    return _eval(parse(expression).body)


def _eval(node: ast.AST) -> Number:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value  # parse() refused every other constant
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ValidationError(f"calculator: {node.id!r} is a function, call it", key="expression")
    if isinstance(node, ast.UnaryOp):
        return _checked(_UNARY[type(node.op)](_eval(node.operand)))
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        try:
            return _checked(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise ValidationError("calculator: division by zero", key="expression") from None
        except OverflowError:
            raise ValidationError("calculator: result is too large", key="expression") from None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # parse() checked func
        func = _FUNCTIONS[node.func.id]
        args = [_eval(arg) for arg in node.args]
        try:
            return _checked(func(*args))
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValidationError(
                f"calculator: {node.func.id}: {exc}",
                key="expression",
            ) from None
    raise ValidationError(f"calculator: {type(node).__name__} is not allowed", key="expression")


def _check_power(base: Number, exponent: Number) -> None:
    """Refuse powers whose result would exceed the size limit, before computing them."""
    if abs(base) <= 1:
        return
    if isinstance(exponent, int) and exponent > 10 * MAX_RESULT_DIGITS * 4:
        raise ValidationError("calculator: exponent too large", key="expression")
    digits = exponent * math.log10(abs(base))
    if digits > MAX_RESULT_DIGITS:
        raise ValidationError(
            f"calculator: result would exceed {MAX_RESULT_DIGITS} digits", key="expression"
        )


def _checked(value: Any) -> Number:
    if isinstance(value, complex):
        raise ValidationError("calculator: result is not a real number", key="expression")
    if isinstance(value, int) and value.bit_length() > MAX_RESULT_DIGITS * 3.33:
        raise ValidationError(
            f"calculator: result would exceed {MAX_RESULT_DIGITS} digits", key="expression"
        )
    if isinstance(value, float) and (math.isnan(value) or abs(value) > MAX_FLOAT):
        raise ValidationError("calculator: result is not a finite number", key="expression")
    return value

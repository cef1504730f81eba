"""A small, safe expression language for conditional breakpoints, e.g. ``min(entropy) < 0.5 and layer > 0``.

The text is parsed with :mod:`ast` and every node is checked against a whitelist before anything runs; the
evaluator then walks the tree itself. Nothing reaches ``eval``, attributes (``x.__class__``), keyword arguments,
lambdas, comprehensions or imports: only numbers, the variables the caller provides (tensors and scalars),
arithmetic, comparisons, ``and``/``or``/``not``, indexing/slicing with constant-like indices, and the functions
in :data:`FUNCTIONS`. Numbers are floats, so ``10 ** 10 ** 10`` overflows to inf instead of running forever.
An array-valued result counts as true when any element is true (``pattern > 0.9`` means "some weight is").
"""
from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lmscope.backend.errors import BadInputError

MAX_LENGTH = 500
MAX_NODES = 200


class ExprError(BadInputError):
    """An expression that cannot be parsed, uses something not allowed, or fails on the values given."""


def _nan_reduce(fn: Callable[[np.ndarray], Any]) -> Callable[[Any], float]:
    def reduce(x: Any) -> float:
        x = np.asarray(x, dtype=np.float64)
        if x.size == 0 or np.all(np.isnan(x)):
            return float("nan")
        with np.errstate(invalid="ignore"):
            return float(fn(x))
    return reduce


def row_entropy(pattern: Any) -> np.ndarray:
    """−Σ p log p along the last axis in nats, with 0 log 0 = 0."""
    p = np.asarray(pattern, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(-1)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # reductions ignore NaN, so "rows that had no choice" (NaN entropy) never decide a condition
    "max": _nan_reduce(np.nanmax), "min": _nan_reduce(np.nanmin), "mean": _nan_reduce(np.nanmean),
    "sum": _nan_reduce(np.nansum), "std": _nan_reduce(np.nanstd),
    "any": lambda x: bool(np.any(x)), "all": lambda x: bool(np.all(x)),
    "count": lambda x: int(np.count_nonzero(x)),
    "abs": np.abs, "sqrt": np.sqrt, "log": np.log, "exp": np.exp,
    "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite,
    "argmax": lambda x: int(np.nanargmax(x)), "argmin": lambda x: int(np.nanargmin(x)),
    "entropy": row_entropy, "diag": lambda x: np.diagonal(np.asarray(x), axis1=-2, axis2=-1),
    "norm": lambda x: np.linalg.norm(np.asarray(x, dtype=np.float64), axis=-1),
    "size": lambda x: int(np.size(x)),
}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.BinOp, ast.Compare, ast.Call,
    ast.Name, ast.Load, ast.Constant, ast.Subscript, ast.Slice, ast.Tuple,
    *_BINARY, *_COMPARE, *_UNARY,
)


class Expr:
    """A parsed, checked expression; :meth:`evaluate` runs it on a mapping of variable names to values."""

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        if not self.text:
            raise ExprError("The expression is empty.")
        if len(self.text) > MAX_LENGTH:
            raise ExprError(f"The expression is longer than {MAX_LENGTH} characters.")
        try:
            self._tree = ast.parse(self.text, mode="eval")
        except SyntaxError as exc:
            raise ExprError(f"Cannot parse {self.text!r}: {exc.msg} at column {exc.offset}.") from exc
        nodes = list(ast.walk(self._tree))
        if len(nodes) > MAX_NODES:
            raise ExprError(f"The expression is too long ({len(nodes)} parts; at most {MAX_NODES}).")
        for node in nodes:
            self._check(node)
        called = {id(node.func) for node in nodes if isinstance(node, ast.Call)}
        # Every name that is not being called is a variable (``entropy`` the variable, ``entropy(p)`` the function).
        self.names: frozenset[str] = frozenset(
            node.id for node in nodes if isinstance(node, ast.Name) and id(node) not in called)

    @staticmethod
    def _check(node: ast.AST) -> None:
        if not isinstance(node, _ALLOWED):
            raise ExprError(f"{type(node).__name__} is not allowed in a breakpoint expression; use numbers, "
                            "variables, arithmetic, comparisons, and/or/not, [indexing] and the listed functions.")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (bool, int, float)):
            raise ExprError(f"Only numbers are allowed as constants, not {node.value!r}.")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExprError(f"Unknown function in {ast.unparse(node)!r}; available: {', '.join(FUNCTIONS)}.")
            if node.keywords:
                raise ExprError("Functions take positional arguments only.")

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        missing = sorted(self.names - set(env))
        if missing:
            raise ExprError(f"Unknown name(s) {', '.join(missing)}; available here: {', '.join(sorted(env))}.")
        try:
            with np.errstate(all="ignore"):
                return self._eval(self._tree.body, env)
        except ExprError:
            raise
        except (ArithmeticError, ValueError, TypeError, IndexError) as exc:
            raise ExprError(f"{self.text!r} failed: {exc}") from exc

    def truth(self, env: Mapping[str, Any]) -> bool:
        """The result as a condition: an array is true when any element is, NaN is false."""
        value = self.evaluate(env)
        try:
            return bool(np.any(np.nan_to_num(np.asarray(value, dtype=np.float64), nan=0.0)))
        except (TypeError, ValueError) as exc:
            raise ExprError(f"{self.text!r} does not give a number or a condition.") from exc

    def _eval(self, node: ast.AST, env: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, bool) else np.float64(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BoolOp):
            truths = (self._eval(v, env) for v in node.values)
            if isinstance(node.op, ast.And):
                return all(bool(np.any(t)) for t in truths)
            return any(bool(np.any(t)) for t in truths)
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, env)
            return np.logical_not(value) if isinstance(node.op, ast.Not) else _UNARY[type(node.op)](value)
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, ast.Compare):
            return self._compare(node, env)
        if isinstance(node, ast.Call):
            return FUNCTIONS[node.func.id](*(self._eval(a, env) for a in node.args))  # type: ignore[attr-defined]
        if isinstance(node, ast.Subscript):
            return np.asarray(self._eval(node.value, env))[self._index(node.slice, env)]
        raise ExprError(f"{type(node).__name__} cannot be evaluated here.")

    def _compare(self, node: ast.Compare, env: Mapping[str, Any]) -> Any:
        left = self._eval(node.left, env)
        result: Any = True
        for op, right_node in zip(node.ops, node.comparators):
            right = self._eval(right_node, env)
            result = np.logical_and(result, _COMPARE[type(op)](left, right))
            left = right
        return result

    def _index(self, node: ast.AST, env: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.Tuple):
            return tuple(self._index(e, env) for e in node.elts)
        if isinstance(node, ast.Slice):
            parts = (node.lower, node.upper, node.step)
            return slice(*(None if p is None else self._int(p, env) for p in parts))
        return self._int(node, env)

    def _int(self, node: ast.AST, env: Mapping[str, Any]) -> int:
        value = self._eval(node, env)
        if np.ndim(value) != 0 or float(value) != int(value):
            raise ExprError(f"An index must be a whole number, not {ast.unparse(node)!r}.")
        return int(value)

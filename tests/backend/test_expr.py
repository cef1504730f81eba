"""The breakpoint expression language: what it computes, and everything it refuses to run."""
from __future__ import annotations

import numpy as np
import pytest

from lmscope.backend.attention.expr import Expr, ExprError, row_entropy

ENV = {"pattern": np.array([[1.0, 0.0], [0.25, 0.75]]), "entropy": np.array([np.nan, 0.56]), "layer": 2, "n": 2}


@pytest.mark.parametrize("text, expected", [
    ("max(pattern) > 0.9", True),
    ("min(entropy) < 0.5", False),  # NaN rows are ignored by min
    ("min(entropy) < 0.6 and layer == 2", True),
    ("not layer > 1", False),
    ("pattern[1, 1] == 0.75", True),
    ("sum(pattern[1:, :]) == 1", True),
    ("-layer + 3 ** 2 / 3 == 1", True),
    ("1 < n <= 2", True),
    ("any(isnan(entropy))", True),
    ("count(pattern > 0.2) == 3", True),
    ("pattern > 0.9", True),  # an array is true when any element is
    ("abs(mean(diag(pattern)) - 0.875) < 1e-12", True),
])
def test_evaluates(text, expected):
    assert Expr(text).truth(ENV) is expected


def test_entropy_function_and_variable_are_distinct():
    assert Expr("entropy").names == {"entropy"}
    assert Expr("max(entropy(pattern))").names == {"pattern"}
    np.testing.assert_allclose(Expr("entropy(pattern)").evaluate(ENV), row_entropy(ENV["pattern"]))
    assert row_entropy(np.array([0.5, 0.5, 0.0])) == pytest.approx(np.log(2))


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "pattern.__class__", "(lambda: 1)()", "[x for x in pattern]",
    "open('/etc/passwd')", "'a' * 3", "max(pattern, axis=0)", "pattern.max()", "x := 3", "{1: 2}",
    "getattr(pattern, 'T')", "max(pattern)(1)", "", "1 +",
])
def test_refuses_anything_outside_the_whitelist(text):
    with pytest.raises(ExprError):
        Expr(text)


def test_runtime_errors_are_our_errors():
    with pytest.raises(ExprError, match="Unknown name"):
        Expr("q > 1").evaluate(ENV)
    with pytest.raises(ExprError, match="failed"):
        Expr("pattern[5, 0] > 0").evaluate(ENV)
    with pytest.raises(ExprError, match="whole number"):
        Expr("pattern[0.5] > 0").evaluate(ENV)
    with pytest.raises(ExprError, match="does not give"):
        Expr("max").truth({"max": max})


def test_huge_powers_overflow_instead_of_hanging():
    assert Expr("10 ** 10 ** 10 > 1").truth({})
    with pytest.raises(ExprError):
        Expr("1 + " * 300 + "1")

"""Red team (session 5k) on fpbounds.up / upper rounded to nearest without the nextafter pass (claimed:
``fl(fl(s + (k+2) eta) F) >= (s + k eta)(1 + 2 gamma_k)`` because ``(1 + 4u)(1 - u)^2 >= 1`` and two more eta
pay for the two roundings). Ground truth: exact Fractions of the floats, at subnormals, the overflow
threshold, negative zeros, non-finite values and large k; and the end use: up of a float sum of
non-negative products bounds the exact sum."""
import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symhopf.runtime.fpbounds import ETA, gamma, up, upper

MAX = np.finfo(float).max
KS = [0, 1, 2, 3, 8, 64, 1000, 10 ** 6, 2 ** 30, 2 ** 50]
EDGE = [0.0, -0.0, 5e-324, 1e-323, 2.0 ** -1060, 2.0 ** -1022 - 2.0 ** -1074, 2.0 ** -1022, 2.0 ** -1021,
        1e-300, 0.5, 1.0, 1 + 2.0 ** -52, 2 - 2.0 ** -52, 2.0 ** 1000, MAX / (1 + 2.0 ** -40), MAX / 2, MAX]


def _needed(s: float, k: int) -> F:
    """Lemma 2's right side ``(s + k eta)(1 + 2 gamma_k)`` with gamma_k exact."""
    g = F(k, 2 ** 53) / (1 - F(k, 2 ** 53))
    return (F(s) + k * F(ETA)) * (1 + 2 * g)


def _bounds(s: float, k: int) -> bool:
    r = float(up(s, k))
    return math.isinf(r) and r > 0 or F(r) >= _needed(s, k)


def test_the_lemmas_constant():
    """(1 + 4u)(1 - u)^2 >= 1 exactly (the factor that replaces the nextafter)."""
    u = F(1, 2 ** 53)
    assert (1 + 4 * u) * (1 - u) ** 2 >= 1


@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("s", EDGE)
def test_up_bounds_lemma_two_at_the_ends_of_the_range(s, k):
    with np.errstate(over="ignore"):
        assert _bounds(s, k)
        arr = np.array([s, s, 0.0])
        out = up(arr, k)
    assert all(math.isinf(float(r)) or F(float(r)) >= _needed(v, k) for r, v in zip(out, arr))
    assert upper is up


@settings(max_examples=400, deadline=None)
@given(st.floats(min_value=0.0, max_value=MAX, allow_subnormal=True), st.sampled_from(KS))
def test_up_bounds_lemma_two_hypothesis(s, k):
    with np.errstate(over="ignore"):
        assert _bounds(s, k)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=2 ** 52), st.integers(min_value=-1074, max_value=-1000), st.sampled_from(KS))
def test_up_in_the_subnormal_range(m, e, k):
    s = math.ldexp(m, e)
    assert _bounds(s, k)


def test_up_keeps_non_finite_values_and_is_non_negative_at_zero():
    with np.errstate(all="ignore"):
        assert math.isinf(float(up(np.inf, 3))) and math.isnan(float(up(np.nan, 3)))
        assert float(up(-0.0, 0)) > 0 and float(up(0.0, 0)) >= 2 * ETA
        assert math.isinf(float(up(MAX, 5)))          # rounds up past MAX, never down to a finite below S


@pytest.mark.parametrize("scale", [2.0 ** -1074, 2.0 ** -1040, 2.0 ** -600, 1.0, 2.0 ** 500])
@pytest.mark.parametrize("k", [1, 2, 7, 100])
def test_up_of_float_dot_products_bounds_the_exact_dot_product(scale, k):
    """The end use: s = fl(sum of k products of non-negative floats) by BLAS / numpy (any order, FMA or
    not); up(s, k) >= the exact sum (Fractions), including products that underflow."""
    rng = np.random.default_rng(k + int(math.log2(scale)) + 1100)
    for _ in range(50):
        a = np.abs(rng.standard_normal((1, k))) * np.exp2(rng.integers(-30, 30, (1, k)))
        b = np.abs(rng.standard_normal((k, 1))) * scale
        with np.errstate(all="ignore"):
            s = (a @ b)[0, 0]
            s2 = float(np.sum(a[0] * b[:, 0]))
        exact = sum((F(float(x)) * F(float(y)) for x, y in zip(a[0], b[:, 0])), F(0))
        for v in (s, s2):
            r = float(up(v, k))
            assert math.isinf(r) or F(r) >= exact, (v, k)


def test_gamma_refuses_k_beyond_the_lemma():
    k = 3 * 2 ** 52
    with pytest.raises(ValueError):
        gamma(k)
    with pytest.raises(ValueError):
        up(1.0, k)
    with pytest.raises(ValueError):
        gamma(2 ** 53)

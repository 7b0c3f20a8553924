"""Red team (session 5k) on ball_solve.contraction_times (``|I - Y D'| r`` for every D' in the ball D by one
n^3 product) and _contraction's (1 + 2u): the exact supremum ``|I - Y Dm| r + |Y| Dr r`` (Fractions; it bounds
every D' in D) must never exceed the float bound. Adversarial: Y the float inverse of Dm (the entries of
I - Y Dm cancel to rounding), subnormal and huge scales, zero radii, r with zeros and 2^-1074 entries."""
from fractions import Fraction as F

import numpy as np
import pytest

from symhopf.proof.ball_solve import _contraction, contraction_times
from symhopf.runtime.npball import NBall


def _exact_bound(Y, Dm, Dr, r):
    """``|I - Y Dm| r + |Y| Dr r`` in Fractions (>= |I - Y D'| r for every |D' - Dm| <= Dr)."""
    k = Y.shape[0]
    Yf = [[F(float(v)) for v in row] for row in Y]
    Dmf = [[F(float(v)) for v in row] for row in Dm]
    Drf = [[F(float(v)) for v in row] for row in Dr]
    rf = [F(float(v)) for v in r]
    out = []
    for i in range(k):
        tot = F(0)
        for j in range(k):
            e = (1 if i == j else 0) - sum((Yf[i][l] * Dmf[l][j] for l in range(k)), F(0))
            d = sum((abs(Yf[i][l]) * Drf[l][j] for l in range(k)), F(0))
            tot += (abs(e) + d) * rf[j]
        out.append(tot)
    return out


CASES = ["inverse", "inverse subnormal r", "huge D tiny Y", "tiny D huge Y", "zero radius", "random"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("k", [1, 3, 8])
def test_contraction_times_bounds_the_exact_supremum(case, k):
    rng = np.random.default_rng(k * 31 + CASES.index(case))
    for _ in range(5):
        Dm = rng.standard_normal((k, k)) + 3 * np.eye(k)
        Dr = np.abs(rng.standard_normal((k, k))) * 2.0 ** -40
        r = np.abs(rng.standard_normal(k))
        if case == "huge D tiny Y":
            Dm, Dr = Dm * 2.0 ** 600, Dr * 2.0 ** 600
        if case == "tiny D huge Y":
            Dm, Dr = Dm * 2.0 ** -1000, Dr * 2.0 ** -1000
        if case == "zero radius":
            Dr = np.zeros((k, k))
        Y = np.linalg.inv(Dm) if case != "random" else rng.standard_normal((k, k))
        if case == "inverse subnormal r":
            r = np.where(rng.random(k) < 0.5, 5e-324, 0.0)
            r[0] = 2.0 ** -1070
        with np.errstate(all="ignore"):
            got = contraction_times(Y, NBall(Dm, Dr), r)
            ent = _contraction(Y, NBall(Dm, Dr))
        exact = _exact_bound(Y, Dm, Dr, r)
        for i in range(k):
            assert np.isinf(got[i]) or F(float(got[i])) >= exact[i], (case, i)
        one = _exact_bound(Y, Dm, Dr, np.ones(k))      # the entrywise bound, row sums
        for i in range(k):
            assert np.isinf(ent[i].sum()) or sum(F(float(v)) for v in ent[i]) >= one[i]


def test_contraction_times_with_non_finite_entries_is_not_a_small_number():
    k = 3
    Dm = np.eye(k)
    for bad in (np.inf, np.nan):
        Dr = np.zeros((k, k))
        Dr[1, 2] = bad
        with np.errstate(all="ignore"):
            got = contraction_times(np.eye(k), NBall(Dm, Dr), np.ones(k))
        assert not float(got.max(initial=0.0)) < 1

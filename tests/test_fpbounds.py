"""Rigorous float64 kernels (symhopf.runtime.fpbounds) checked against exact rational arithmetic."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from symhopf.runtime.fpbounds import (cmatmul, exact_product_terms, exact_residual, split_residual, two_prod,
                                      two_sum, up)

HYP = settings(max_examples=60, deadline=None)


def F(M: np.ndarray) -> list[list[Fraction]]:
    return [[Fraction(float(v)) for v in row] for row in np.atleast_2d(M)]


def fmul(A, B):
    return [[sum((A[i][l] * B[l][j] for l in range(len(B))), Fraction(0)) for j in range(len(B[0]))]
            for i in range(len(A))]


@st.composite
def matrix(draw, rows, cols, spread=40):
    """Floats of widely different magnitudes (per entry 2^-spread .. 2^spread), some exact zeros."""
    vals = draw(st.lists(st.floats(-1, 1, allow_nan=False, width=64), min_size=rows * cols, max_size=rows * cols))
    exps = draw(st.lists(st.integers(-spread, spread), min_size=rows * cols, max_size=rows * cols))
    return np.array([v * 2.0 ** e if abs(v) > 1e-30 else 0.0 for v, e in zip(vals, exps)]).reshape(rows, cols)


@HYP
@given(A=matrix(3, 7), B=matrix(7, 4))
def test_exact_product_terms_bound_what_they_omit(A, B):
    terms, omit = exact_product_terms(A, B)
    exact = fmul(F(A), F(B))
    got = [[sum((Fraction(float(T[i, j])) for T in terms), Fraction(0)) for j in range(4)] for i in range(3)]
    for i in range(3):
        for j in range(4):
            assert abs(exact[i][j] - got[i][j]) <= Fraction(float(omit[i, j]))


@HYP
@given(A=matrix(4, 6, spread=3), B=matrix(6, 4, spread=3), C=matrix(4, 4, spread=3))
def test_exact_residual_is_enclosed_and_far_below_the_float_error(A, B, C):
    """R with |A B - C - R| <= err, and err far below the a-priori error u k max|A_i.| max|B_.j| of a float
    product (the omitted slices are bounded by row and column maxima)."""
    P = A @ B
    minus = [P, C]                                   # A B - fl(A B) - C: heavy cancellation
    R, err = exact_residual(A, B, minus)
    exact = fmul(F(A), F(B))
    scale = A.shape[1] * np.abs(A).max(axis=1)[:, None] * np.abs(B).max(axis=0)[None, :]
    for i in range(4):
        for j in range(4):
            true = exact[i][j] - Fraction(float(P[i, j])) - Fraction(float(C[i, j]))
            assert abs(true - Fraction(float(R[i, j]))) <= Fraction(float(err[i, j]))
            assert err[i, j] <= 2.0 ** -60 * scale[i, j] + 2.0 ** -52 * abs(R[i, j]) + 1e-300


def test_exact_products_refuse_out_of_range_entries():
    ok = np.ones((2, 2))
    for bad in (np.array([[np.nan, 1.0], [1.0, 1.0]]), np.array([[2.0 ** 500, 1.0], [1.0, 1.0]]),
                np.array([[2.0 ** -500, 1.0], [1.0, 1.0]])):
        assert exact_product_terms(bad, ok) is None and exact_residual(ok, bad, []) is None


@HYP
@given(A=matrix(3, 5, spread=20), B=matrix(5, 2, spread=20), Ai=matrix(3, 5, spread=20), Bi=matrix(5, 2, spread=20))
def test_complex_float_product_error_bound(A, B, Ai, Bi):
    Z, Y = A + 1j * Ai, B + 1j * Bi
    mid, err = cmatmul(Z, Y)
    Ar, AI, Br, BI = F(A), F(Ai), F(B), F(Bi)
    re = [[x - y for x, y in zip(r1, r2)] for r1, r2 in zip(fmul(Ar, Br), fmul(AI, BI))]
    im = [[x + y for x, y in zip(r1, r2)] for r1, r2 in zip(fmul(Ar, BI), fmul(AI, Br))]
    for i in range(3):
        for j in range(2):
            dr = re[i][j] - Fraction(float(mid[i, j].real))
            di = im[i][j] - Fraction(float(mid[i, j].imag))
            e = Fraction(float(err[i, j]))
            assert dr * dr + di * di <= e * e


@HYP
@given(a=st.floats(-1e200, 1e200), b=st.floats(-1e200, 1e200))
def test_two_sum_is_exact(a, b):
    s, e = two_sum(np.array([a]), np.array([b]))
    assert Fraction(a) + Fraction(b) == Fraction(float(s[0])) + Fraction(float(e[0]))


@HYP
@given(a=st.floats(2.0 ** -390, 2.0 ** 390), b=st.floats(-(2.0 ** 390), 2.0 ** 390))
def test_two_prod_is_exact(a, b):
    b = b if abs(b) >= 2.0 ** -390 else 0.0          # its range: {0} u [2^-400, 2^400]
    p, e = two_prod(np.array([a]), np.array([b]))
    assert Fraction(a) * Fraction(b) == Fraction(float(p[0])) + Fraction(float(e[0]))


@HYP
@given(x=st.lists(st.floats(0, 1e10), min_size=1, max_size=50), y=st.lists(st.floats(0, 1e10), min_size=50, max_size=50))
def test_up_bounds_a_float_dot_product_of_non_negatives(x, y):
    x = np.array(x)
    y = np.array(y[:len(x)])
    s = float(x @ y)
    exact = sum((Fraction(float(a)) * Fraction(float(b)) for a, b in zip(x, y)), Fraction(0))
    assert Fraction(float(up(s, len(x)))) >= exact


@pytest.mark.parametrize("n", [50, 400])
def test_exact_residual_of_an_eigen_decomposition_is_tiny(n):
    """The use in the family proof: R = A V - V diag(lam) for float eigenpairs is enclosed to far
    below the a-priori float error (which is what made the old bounds 1000x looser)."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, n))
    A = A + A.T
    lam, V = np.linalg.eigh(A)
    H = V * lam[None, :]                      # R encloses A V - H exactly (H: any float matrix)
    R, err = exact_residual(A, V, [H])
    apriori = n * 2.0 ** -53 * (np.abs(A) @ np.abs(V))
    assert np.all(np.isfinite(err)) and np.max(err / apriori) < 1e-3


@HYP
@given(A=matrix(4, 6, spread=30), B=matrix(6, 3, spread=30), C=matrix(4, 3, spread=30), D=matrix(4, 3, spread=30))
def test_split_residual_encloses_the_exact_residual(A, B, C, D):
    """Lemma 4 against exact rationals: wide exponent spreads, exact zeros, heavy cancellation
    (big = fl(A B)), a small term, and an empty one."""
    P = A @ B
    for big, small in (([P], [C]), ([P, C], [D]), ([], [P]), ([C], [])):
        R, err = split_residual(A, B, big, small)
        exact = fmul(F(A), F(B))
        for i in range(4):
            for j in range(3):
                true = exact[i][j] - sum((Fraction(float(M[i, j])) for M in big + small), Fraction(0))
                assert abs(true - Fraction(float(R[i, j]))) <= Fraction(float(err[i, j]))


def test_split_residual_adversarial_rests_and_range():
    """Entries whose first slice drops every low bit (1 + 2^-52 with one large entry in the row), zero
    rows and columns, k = 1000 (beta = 22); out-of-range entries refused."""
    rng = np.random.default_rng(3)
    k = 1000
    A = np.full((3, k), 1.0 + 2.0 ** -52)
    A[:, 0] = 2.0 ** 20 - 1.0
    A[2] = 0.0
    B = rng.standard_normal((k, 4)) * (1.0 + 2.0 ** -40)
    B[:, 3] = 0.0
    H = A @ B
    R, err = split_residual(A, B, [H], [])
    exact = fmul(F(A), F(B))
    for i in range(3):
        for j in range(4):
            true = exact[i][j] - Fraction(float(H[i, j]))
            assert abs(true - Fraction(float(R[i, j]))) <= Fraction(float(err[i, j]))
    assert err[2, 0] == err[2, 0] and np.all(err <= 2.0 ** -60 * k * np.abs(A).max(axis=1)[:, None] * np.abs(B).max(axis=0)[None, :] + 1e-300)
    ok = np.ones((2, 2))
    for bad in (np.array([[np.inf, 1.0], [1.0, 1.0]]), np.array([[2.0 ** -500, 1.0], [1.0, 1.0]])):
        assert split_residual(bad, ok, [], []) is None and split_residual(ok, bad, [], []) is None


@pytest.mark.parametrize("n", [50, 400])
def test_split_residual_as_tight_as_the_exact_one(n):
    """On an eigen-decomposition residual (the family proof's use) Lemma 4's bound is no larger than
    the six-product Lemma 3 bound, and both are far below the a-priori float error."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, n))
    A = A + A.T
    lam, V = np.linalg.eigh(A)
    H, L = two_prod(V, lam[None, :])
    R, err = split_residual(A, V, [H], [L])
    R3, err3 = exact_residual(A, V, [H, L])
    apriori = n * 2.0 ** -53 * (np.abs(A) @ np.abs(V))
    assert np.max(err / apriori) < 1e-3 and np.max(np.abs(R - R3) - err - err3) <= 0
    assert np.median(err) <= np.median(err3)

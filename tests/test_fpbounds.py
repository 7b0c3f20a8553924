"""Rigorous float64 kernels (symhopf.runtime.fpbounds) checked against exact rational arithmetic."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fpbounds_reference import exact_product_terms, exact_residual, two_prod, two_sum
from symhopf.runtime.fpbounds import cmatmul, eigen_residual, up, upper

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


def _block_data(draw_d, draw_o, m, pairs):
    """d, o, swap of a block diagonal Lb: pairs (j, j + 1) at the given first indices, 1 x 1 blocks elsewhere."""
    swap = np.arange(m)
    o = np.zeros(m)
    for j in pairs:
        swap[j], swap[j + 1] = j + 1, j
        o[j], o[j + 1] = -draw_o[j], draw_o[j]
    return np.array(draw_d), o, swap


def _exact_residual(A, B, d, o, swap, small):
    """A B - B Lb - sum(small) in exact rationals."""
    AB = fmul(F(A), F(B))
    n, m = B.shape
    return [[AB[i][j] - Fraction(float(B[i, j])) * Fraction(float(d[j]))
             - Fraction(float(B[i, swap[j]])) * Fraction(float(o[j]))
             - sum((Fraction(float(M[i, j])) for M in small), Fraction(0)) for j in range(m)] for i in range(n)]


@HYP
@given(A=matrix(5, 5, spread=30), B=matrix(5, 4, spread=30), d=matrix(1, 4, spread=30), o=matrix(1, 4, spread=30),
       C=matrix(5, 4, spread=30), pair=st.sampled_from([(), (0,), (1,), (0, 2)]))
def test_eigen_residual_encloses_the_exact_residual(A, B, d, o, C, pair):
    """Lemma 4 against exact rationals: exponent spreads of 2^+-30 in every factor (the balancing D, the
    row and column scales), exact zeros, 1 x 1 and 2 x 2 blocks, with and without a small term."""
    d, o, swap = _block_data(d[0], o[0], 4, pair)
    for small in ([], [C]):
        R, err = eigen_residual(A, B, d, o, swap, small)
        ex = _exact_residual(A, B, d, o, swap, small)
        for i in range(5):
            for j in range(4):
                assert abs(ex[i][j] - Fraction(float(R[i, j]))) <= Fraction(float(err[i, j]))


@pytest.mark.parametrize("seed", range(4))
def test_eigen_residual_of_a_real_eigen_decomposition(seed):
    """The family proof's use: A V - V Lb for LAPACK's real pair form, Lb's eigenvalues 50x larger than the
    entries of V (the case that needs the balancing D); exact rationals at n = 12, and against the six
    exact slice products (Lemma 3) at n = 300: no looser there, far below the a-priori float error."""
    from symhopf.proof.family import _approx
    rng = np.random.default_rng(seed)
    for n in (12, 300):
        A = rng.standard_normal((n, n)) * 3 + (rng.standard_normal((n, n)) * 2).round()
        A = A - A.T + 0.1 * A
        ap = _approx(np.linalg.eig(A))
        R, err = eigen_residual(A, ap.Vr, ap.lam.real, ap.coef, ap.swap, [])
        if n == 12:
            ex = _exact_residual(A, ap.Vr, ap.lam.real, ap.coef, ap.swap, [])
            assert all(abs(ex[i][j] - Fraction(float(R[i, j]))) <= Fraction(float(err[i, j]))
                       for i in range(n) for j in range(n))
            continue
        H1, L1 = two_prod(ap.Vr, ap.lam.real[None, :])
        H2, L2 = two_prod(ap.Vr[:, ap.swap], ap.coef[None, :])
        R3, err3 = exact_residual(A, ap.Vr, [H1, L1, H2, L2])
        apriori = n * 2.0 ** -53 * (np.abs(A) @ np.abs(ap.Vr))
        assert np.max(err / apriori) < 1e-3 and np.max(np.abs(R - R3) - err - err3) <= 0
        assert np.median(err) <= np.median(err3)


def test_eigen_residual_adversarial_and_range():
    """A row whose first slice drops every low bit (one entry 2^20, the others 1 + 2^-52), a zero row of
    A and B, a zero column, a zero eigenvalue; out-of-range entries refused, shapes checked."""
    k = 6
    A = np.full((k, k), 1.0 + 2.0 ** -52)
    A[:, 0] = 2.0 ** 20 - 1.0
    A[2] = 0.0
    B = np.random.default_rng(0).standard_normal((k, k)) * (1.0 + 2.0 ** -40)
    B[2] = 0.0
    B[:, 3] = 0.0
    d = np.array([3.0, 1e5, 0.0, 2.0, -1.0 / 3, 7.0])
    d, o, swap = _block_data(d, np.array([0.0, 0.0, 0.0, 0.0, 2.0 ** 30, 0.0]), k, (4,))
    R, err = eigen_residual(A, B, d, o, swap, [A @ B])
    ex = _exact_residual(A, B, d, o, swap, [A @ B])
    assert all(abs(ex[i][j] - Fraction(float(R[i, j]))) <= Fraction(float(err[i, j])) for i in range(k) for j in range(k))
    assert np.all(R[2] == 0) and np.all(err[2] < 1e-300)
    ok, bad = np.ones((2, 2)), np.array([[2.0 ** -500, 1.0], [1.0, 1.0]])
    z, s = np.zeros(2), np.arange(2)
    assert eigen_residual(bad, ok, z, z, s, []) is None and eigen_residual(ok, bad, z, z, s, []) is None
    assert eigen_residual(ok, ok, np.array([np.inf, 0.0]), z, s, []) is None
    with pytest.raises(ValueError):
        eigen_residual(np.ones((2, 3)), np.ones((3, 2)), z, z, s, [])


@HYP
@given(x=st.lists(st.floats(0, 1e10), min_size=1, max_size=50), y=st.lists(st.floats(0, 1e10), min_size=50, max_size=50),
       tiny=st.booleans())
def test_upper_bounds_a_float_dot_product_of_non_negatives(x, y, tiny):
    """upper (up without the last ulp) against exact rationals, also for subnormal dot products."""
    x = np.array(x) * (2.0 ** -1100 if tiny else 1.0)
    y = np.array(y[:len(x)])
    s = float(x @ y)
    exact = sum((Fraction(float(a)) * Fraction(float(b)) for a, b in zip(x, y)), Fraction(0))
    assert Fraction(float(upper(s, len(x)))) >= exact


@pytest.mark.parametrize("k", [1, 3, 40, 401])
def test_up_bounds_lemma_2_at_the_ends_of_the_float_range(k):
    """up (rounded to nearest, no nextafter) is >= Lemma 2's (s + k eta)(1 + 2 gamma_k), computed exactly,
    for subnormal, tiny, ordinary and near-overflow s (overflow gives inf, never the largest float)."""
    big = np.finfo(float).max
    g = Fraction(k, 2 ** 53) / (1 - Fraction(k, 2 ** 53))
    eta = Fraction(1, 2 ** 1074)
    for s in [0.0, 5e-324, 7 * 5e-324, 2.0 ** -1022, 1e-300, 1.0, 1 + 2.0 ** -52, 3.7e200, big / (1 + 40 * 2.0 ** -53),
              np.nextafter(big, 0), big]:
        with np.errstate(over="ignore"):
            got = float(up(s, k))
        need = (Fraction(s) + k * eta) * (1 + 2 * g)
        assert got == np.inf or Fraction(got) >= need, (s, k)
    assert np.isnan(up(np.nan, k)) and up(np.inf, k) == np.inf
    arr = np.array([[0.0, 1e-310], [1.0, 1e300]])   # (1e300 times the factor stays finite)
    assert np.all(up(arr, k) >= arr) and up(arr, k).shape == (2, 2)

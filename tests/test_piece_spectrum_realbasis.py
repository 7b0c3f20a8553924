"""The plain/Hopf moving-disc Lemmas in a real basis (issue 17, n = 200 speed): ``V = W Q``
(piece_spectrum.RealBasis, ``_real_form``), ``V^-1 A V = Q^-1 (W^-1 A W) Q`` with Q applied in O(n^2)
(``_eigen_form``), the F terms without complex products (``_f_bounds``), the predicted basis with its
Newton-like correction ``X0`` and the first-order form without a fresh eig (``fresh=False``, tube._plain_ok at
n >= SECOND_ORDER_N). Ground truth: mpmath at 50 digits; adversarial families of test_piece_spectrum_long (a
crossing 1e-12 inside the piece's end, two crossings close together, a pair on iR all along, two close
eigenvalues) refused on every path."""
import mpmath as mp
import numpy as np
import pytest

from symhopf.proof.piece_spectrum import (Eigenbasis, RealBasis, _conjugated, _eigen_form, _f_bounds, _moving,
                                          _real_form, moving_discs_ok, moving_hopf_ok)
from symhopf.runtime.npball import NBall
from test_piece_spectrum_long import _family, _on_axis, _second_form
from test_plain_basis_reuse import discs_hold

KEY = ("chart", 1, 0)


def _Q(n: int, J) -> np.ndarray:
    Q = np.eye(n, dtype=complex)
    for j in J:
        Q[j:j + 2, j:j + 2] = [[1, 1], [1j, -1j]]
    return Q


def _mp_mat(M) -> mp.matrix:
    return mp.matrix([[mp.mpc(complex(v)) for v in row] for row in np.asarray(M)])


@pytest.mark.parametrize("n, seed", [(2, 0), (5, 1), (8, 2), (12, 3)])
def test_real_form_of_an_eigenbasis_is_exact(n, seed):
    """numpy's eig of a real matrix: V = W Q exactly (columns real or exact conjugate pairs)."""
    A = np.random.default_rng(seed).standard_normal((n, n))
    _, V = np.linalg.eig(A)
    rb = _real_form(V)
    assert rb is not None and np.isrealobj(rb.W)
    assert np.array_equal(rb.W @ _Q(n, rb.J), V.astype(complex))


def test_real_form_refuses_other_complex_bases():
    """A complex column without its exact conjugate next to it (a general complex V, a pair perturbed by one
    ulp, a lone complex last column): no real form, no basis (a test in it then fails: sound)."""
    rng = np.random.default_rng(4)
    assert _real_form(rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4))) is None
    _, V = np.linalg.eig(np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -2.0]]))
    V = V.astype(complex)
    j = int(np.nonzero(np.any(V.imag != 0, axis=0))[0][0])
    W = V.copy()
    W[0, j + 1] = complex(W[0, j + 1].real, np.nextafter(W[0, j + 1].imag, 1.0))
    assert _real_form(V) is not None and _real_form(W) is None
    last = np.eye(3, dtype=complex)
    last[0, 2] = 1j
    assert _real_form(last) is None
    basis = Eigenbasis()
    basis.store(KEY, 0.0, last, np.zeros((3, 3), complex))
    assert basis.predict(KEY, 1e-3) is None


@pytest.mark.parametrize("scale", [1.0, 1e-300, 1e250])
def test_eigen_form_holds_every_matrix_of_the_ball(scale):
    """Q^-1 C' Q (50 digits) lies in _eigen_form(C) for corners and random points C' of a real ball C whose
    radii differ entry by entry (subnormal and huge scales included)."""
    n, J = 5, np.array([0, 3])
    rng = np.random.default_rng(5)
    Cm = rng.standard_normal((n, n)) * scale
    Cr = np.abs(rng.standard_normal((n, n))) * 1e-3 * scale * (rng.random((n, n)) < 0.7)
    B = _eigen_form(NBall(Cm, Cr), J)
    Q = _mp_mat(_Q(n, J))
    with mp.workdps(50):
        Qi = Q ** -1
        for t in range(12):
            sg = rng.choice([-1.0, 1.0], (n, n)) if t < 6 else rng.uniform(-1, 1, (n, n))
            Cp = mp.matrix([[mp.mpf(float(Cm[i, j])) + mp.mpf(float(sg[i, j])) * mp.mpf(float(Cr[i, j]))
                             for j in range(n)] for i in range(n)])
            T = Qi * Cp * Q
            for i in range(n):
                for j in range(n):
                    assert abs(T[i, j] - mp.mpc(complex(B.mid[i, j]))) <= mp.mpf(float(B.rad[i, j]))


def test_conjugated_is_the_real_part_of_q_x_q_inverse():
    n, J = 6, np.array([1, 4])
    rng = np.random.default_rng(6)
    X = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    Q = _Q(n, J)
    assert np.allclose(_conjugated(X, J), (Q @ X @ np.linalg.inv(Q)).real, rtol=0, atol=1e-14)


@pytest.mark.parametrize("close", [False, True])
def test_f_bounds_hold_every_matrix_of_the_balls(close):
    """F0, F1, F2 of moving_discs_ok's Lemma (50 digits, for points B0', B1' of the balls, radii differing
    entry by entry) lie below ``_f_bounds``; ``close``: two diagonal entries 1e-12 apart (below the X
    threshold: X = 0 there, the whole of B1_pq stays in F1)."""
    n = 6
    rng = np.random.default_rng(7)
    c = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    if close:
        c[1] = c[0] + 1e-12
    E = 0.05 * (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    B0m = np.diag(c) + E - np.diag(np.diag(E))
    B1m = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    B0r, B1r = 1e-6 * rng.random((n, n)), 1e-4 * rng.random((n, n))
    B0, B1 = NBall(B0m, B0r), NBall(B1m, B1r)
    gap = c[None, :] - c[:, None]
    scale = np.abs(c).max()
    with np.errstate(divide="ignore", invalid="ignore"):
        X = np.where(np.abs(gap) > 1e-8 * scale, B1m / gap, 0)
    np.fill_diagonal(X, 0)
    Xa = np.abs(X.real) + np.abs(X.imag)
    F0, F1, F2 = _f_bounds(B0, B1, X, Xa, gap)
    with mp.workdps(50):
        Xm = _mp_mat(X)
        for _ in range(6):
            def point(M, R):
                ph = rng.uniform(0, 2 * np.pi, (n, n))
                f = rng.uniform(0.9, 1.0, (n, n))
                return mp.matrix([[mp.mpc(complex(M[i, j])) + mp.mpf(float(R[i, j] * f[i, j]))
                                   * mp.expjpi(mp.mpf(float(ph[i, j])) / mp.pi) for j in range(n)] for i in range(n)])
            P0, P1 = point(B0m, B0r), point(B1m, B1r)
            D0 = mp.diag([P0[i, i] for i in range(n)])
            D1 = mp.diag([P1[i, i] for i in range(n)])
            G0, G1, G2 = P0 - D0, (P1 - D1) + P0 * Xm - Xm * D0, P1 * Xm - Xm * D1
            for i in range(n):
                for j in range(n):
                    assert abs(G0[i, j]) <= F0[i, j] and abs(G1[i, j]) <= F1[i, j] and abs(G2[i, j]) <= F2[i, j]


def test_fifty_digit_eigenvalues_in_the_discs_of_real_and_predicted_bases():
    """The discs from a fresh eigenbasis (real form), from a predicted one (with X0 and X) and from a real
    basis W of no particular form hold every 50-digit eigenvalue of Df(s) along the piece."""
    h = 2e-2
    mats, eig = _family((0.3, 1.0, -2.0), omega=1.5, extra=(-1.0, 2.0, 0.5))
    A0t, A1 = _second_form(mats, h)
    basis = Eigenbasis()
    mv0 = _moving(A0t, A1, h)
    basis.store(KEY, 0.0, mv0.basis, mv0.X, fresh=True, X0=mv0.X0)
    W = np.eye(5) + 0.01 * np.random.default_rng(8).standard_normal((5, 5))
    for mv in (mv0, _moving(A0t, A1, h, basis.predict(KEY, 3e-3)), _moving(A0t, A1, h, RealBasis(W, np.zeros(0, int)))):
        discs_hold(mv, eig, h)


@pytest.mark.parametrize("fresh", [True, False])
@pytest.mark.parametrize("case", ["inside_1e-12", "two_crossings", "on_axis", "approaching"])
def test_refused_on_every_basis_path(case, fresh):
    """A crossing 1e-12 inside the piece's end, two crossings 2e-8 apart, a pair on iR all along, a pair
    approaching iR to 1e-14 at the piece's end and crossing 1e-12 later: never plain, from a stale predicted
    basis (with X0), with and without a fresh eig; the last is also refused as a Hopf piece only where it
    has no monotone crossing (it has none on the piece: not claimed either way)."""
    h = 1e-3
    alpha = {"inside_1e-12": (-(h - 1e-12), 1 - (h - 1e-12), 1.0), "two_crossings": (-1e-8, 0.0, 1.0),
             "on_axis": (0.0, 0.0, 0.0), "approaching": (-(h + 1e-14), 1.0, 0.0)}[case]
    mats, eig = _family(alpha, extra=(-1.0, 2.0, 0.5, -3.0))
    far, _ = _family((-0.5, 0.0, 0.0), extra=(-1.0, 2.0, 0.5, -3.0))
    basis = Eigenbasis()
    assert moving_discs_ok(NBall(far[0], 0.0), NBall(far[1], 0.0), 1e-3, basis, (KEY, 0.0))
    A0t, A1 = _second_form(mats, h)
    got = moving_discs_ok(A0t, A1, h, basis, (KEY, 1e-3), fresh=fresh)
    if case == "approaching":
        # Re of the pair: -(h + 1e-14) + s <= -1e-14 < 0 on [-h, h]: plain is true; if accepted it must be
        assert not got or not _on_axis(eig, h)
    else:
        assert not got
        assert not moving_discs_ok(A0t, A1, h)
        if case != "inside_1e-12":
            assert not moving_hopf_ok(A0t, A1, h)


@pytest.mark.parametrize("seed", [0, 1])
def test_f_bounds_at_extremal_points(seed):
    """``|F1_pq|`` and ``|F2_pq|`` at the points of the balls that make them largest (every perturbation in
    phase with the entry's sum: the value is the sum of the moduli below, 50 digits): each term of ``_f_bounds`` (B1's radius, the
    diagonal radii times X, the off-diagonal radii times X) is needed. B0's off-diagonal midpoints are 0 and
    X = mid B1 / gap exactly cancels mid B1 (F1 is then all radius), B1's diagonal midpoints are 0."""
    n = 5
    rng = np.random.default_rng(20 + seed)
    c = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    B0m = np.diag(c)
    B1m = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    np.fill_diagonal(B1m, 0)
    B0r, B1r = 0.1 * rng.random((n, n)), 0.1 * rng.random((n, n))
    gap = c[None, :] - c[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        X = np.where(np.abs(gap) > 0, B1m / gap, 0)
    np.fill_diagonal(X, 0)
    Xa = np.abs(X.real) + np.abs(X.imag)
    _, F1, F2 = _f_bounds(NBall(B0m, B0r), NBall(B1m, B1r), X, Xa, gap)
    with mp.workdps(50):
        Xm = _mp_mat(X)
        cm, Bm = _mp_mat(np.diag(c)), _mp_mat(B1m)
        for p in range(n):
            for q in range(n):
                if p == q:
                    continue
                # F1_pq = eps_pq + (delta_p - delta_q) X_pq + sum_r E0'_pr X_rq (+ the exact residual m - gap X)
                t1 = Bm[p, q] - (cm[q, q] - cm[p, p]) * Xm[p, q]
                v1 = (abs(t1) + mp.mpf(float(B1r[p, q])) + (mp.mpf(float(B0r[p, p])) + mp.mpf(float(B0r[q, q])))
                      * abs(Xm[p, q]) + mp.fsum(mp.mpf(float(B0r[p, r])) * abs(Xm[r, q]) for r in range(n) if r != p))
                assert v1 <= F1[p, q]
                # F2_pq = (B1'_pp - B1'_qq) X_pq + sum_r E1'_pr X_rq, E1' = mid + eps in phase with the mid sum
                s = mp.fsum(Bm[p, r] * Xm[r, q] for r in range(n))
                v2 = abs(s) + (mp.mpf(float(B1r[p, p])) + mp.mpf(float(B1r[q, q]))) * abs(Xm[p, q]) + mp.fsum(
                    mp.mpf(float(B1r[p, r])) * abs(Xm[r, q]) for r in range(n) if r != p)
                assert v2 <= F2[p, q]

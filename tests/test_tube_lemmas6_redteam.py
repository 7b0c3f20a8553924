"""Red team (r6disc, against main at 4658525): Lemma G (arc_enclosure ``_arc_derivative``) with Lemma T's Taylor
tangent (krawczyk_tube ``Tangent``), kept by restricted pieces (RESTRICT, ``replace``); the moving Gershgorin discs
in a real basis ``V = W Q`` (piece_spectrum ``_real_form`` / ``_eigen_form`` / ``_f_bounds``, the predicted basis
with its first-order correction, ``fresh=False``); ``Df_aa_apply`` (runtime/ball.py).

Ground truth: mpmath at 50 digits. For the disc Lemmas: thin matrix families ``A0 + s A1`` (float matrices, taken
exactly) built with a pair crossing iR at a known s*; the crossing is confirmed on the floats themselves (the
50-digit eigenvalues of ``A0 + s A1`` on both sides of s* are a non-real pair with real parts of opposite signs),
and then the Lemma must refuse. For Lemma G: 50-digit equilibria, tangents and central differences of ``Df`` on the
arc (the harness of test_arc_derivative)."""
from dataclasses import replace
from fractions import Fraction
from types import SimpleNamespace

import flint
import mpmath as mp
import numpy as np
import pytest

import symhopf.proof.krawczyk_tube as krawczyk_tube
import symhopf.proof.piece_spectrum as ps
import symhopf.proof.tube as tube
from symhopf.proof.completeness import check_branch
from symhopf.runtime.npball import NBall
from test_arc_derivative import _arc_check, spy  # noqa: F401 (spy: the fixture counting Lemma G's calls)
from test_piece_spectrum_long_redteam import branch_of, padded
from test_piece_spectrum_long import mp_jacobian
from test_tube_parametrised import PREC, float_point, mp_equilibrium, mp_tangent, piece_of, system


# --------------------------------------------------------------------------- disc Lemmas on thin families
def _mpm(A: np.ndarray) -> mp.matrix:
    return mp.matrix([[mp.mpf(float(v)) for v in row] for row in A])


def _pair_re(A0: np.ndarray, A1: np.ndarray, s: float, tiny=mp.mpf(10) ** -30) -> list:
    """Real parts of the non-real eigenvalues (upper half plane) of the exact ``A0 + s A1`` (50 digits)."""
    with mp.workdps(50):
        M = _mpm(A0) + mp.mpf(s) * _mpm(A1)
        return [mp.re(e) for e in mp.eig(M, left=False, right=False) if mp.im(e) > tiny]


def _crosses(A0, A1, s_lo: float, s_hi: float) -> bool:
    """A non-real pair at both s_lo and s_hi (one each) whose real parts have opposite signs: some s in between has
    an eigenvalue on iR \\ {0} (continuity of the pair)."""
    lo, hi = _pair_re(A0, A1, s_lo), _pair_re(A0, A1, s_hi)
    return len(lo) == 1 and len(hi) == 1 and lo[0] * hi[0] < 0


def _root(A0, A1, lo: float, hi: float, tol: float = 1e-15) -> float:
    """The s in [lo, hi] where the non-real pair's real part changes sign (bisection on the exact floats, 50 digits);
    the pair must cross between lo and hi."""
    assert _crosses(A0, A1, lo, hi)
    sl = _pair_re(A0, A1, lo)[0]
    while hi - lo > tol:
        m = 0.5 * (lo + hi)
        r = _pair_re(A0, A1, m)
        assert len(r) == 1
        if (r[0] < 0) == (sl < 0):
            lo = m
        else:
            hi = m
    return 0.5 * (lo + hi)


def _family(n: int, rng, sstar: float, beta: float, g: float = 1.0, eps: float | None = None,
            collide: float | None = None):
    """``A(s) = P (D0 + s D1) P^-1`` in floats: a pair with real part ``g (s - s*)`` and imaginary part beta (or, with
    ``collide = sc``, the block ``[[g (s - s*), 1], [-beta^2 (s - sc) / (s* - sc), g (s - s*)]]``: a real pair for s < sc
    that becomes complex at sc and is ``+- i beta`` at s*), the rest real ``-(1 + j)`` with random couplings; P random,
    its two pair columns nearly parallel (``u``, ``u + eps v``) when eps is given."""
    D0, D1 = np.zeros((n, n)), np.zeros((n, n))
    if collide is None:
        D0[:2, :2] = [[-g * sstar, -beta], [beta, -g * sstar]]
        D1[:2, :2] = [[g, 0.0], [0.0, g]]
    else:
        k1 = beta ** 2 / (sstar - collide)
        D0[:2, :2] = [[-g * sstar, 1.0], [k1 * collide, -g * sstar]]
        D1[:2, :2] = [[g, 0.0], [-k1, g]]
    for j in range(2, n):
        D0[j, j] = -(1.0 + j)
        D1[j, j] = 0.1 * rng.standard_normal()
    D0[2:, :] += np.triu(0.3 * rng.standard_normal((n - 2, n)), 3)[: n - 2] if n > 2 else 0
    P = rng.standard_normal((n, n))
    if eps is not None:
        P[:, 1] = P[:, 0] + eps * rng.standard_normal(n)
    Pi = np.linalg.inv(P)
    return P @ D0 @ Pi, P @ D1 @ Pi


def _nb(A: np.ndarray) -> NBall:
    return NBall(np.array(A, float), np.zeros(A.shape))


@pytest.mark.parametrize("seed", range(6))
def test_real_basis_discs_refuse_a_crossing_one_e_minus_12_inside_the_piece(seed):
    """n = 3..8, the crossing 1e-12 inside either end of [-h, h] (h = 1e-3) and at random places inside: the
    moving discs (real basis, O(n^2) Q) never accept; the same family on a piece that stops 1e-9 short of the
    crossing (confirmed crossing-free at both ends) is not a soundness question, it is only counted."""
    rng = np.random.default_rng(100 + seed)
    h = 1e-3
    for n in (3, 5, 8):
        for sstar in (h - 1e-12, -h + 1e-12, float(rng.uniform(-h, h))):
            A0, A1 = _family(n, rng, sstar, beta=float(rng.uniform(0.5, 2.0)))
            d = min(5e-13, (h - abs(sstar)) / 2)
            assert _crosses(A0, A1, sstar - d, sstar + d), (n, sstar)
            assert not ps.moving_discs_ok(_nb(A0), _nb(A1), h), (n, sstar)
            assert not ps.moving_discs_ok(_nb(A0), _nb(A1), h, ps.Eigenbasis(), (("k",), 0.0)), (n, sstar)
            # the same pair 3 h away from the piece: truly plain, and accepted (the test can fail)
            B0 = A0 + (3 * h if sstar <= 0 else -3 * h) * A1
            assert not _crosses(B0, A1, -h, h) and ps.moving_discs_ok(_nb(B0), _nb(A1), h), (n, sstar)


@pytest.mark.parametrize("eps", [1e-4, 1e-7, 1e-10])
def test_real_basis_with_nearly_parallel_real_and_imaginary_parts(eps):
    """A basis ``W`` whose pair columns (real and imaginary parts) are nearly parallel, ``u`` and ``u + eps v``
    (W nearly singular), forced as the stored prediction (``fresh=False``: no fresh eig): a crossing 1e-12 inside
    the piece is never accepted (the Lemma holds for any invertible W); and a family whose own eigenvectors are
    so (P with nearly parallel pair columns, eps = 1e-4 only: below it the float family loses the design)."""
    rng = np.random.default_rng(7)
    h = 1e-3
    for n in (3, 6):
        A0, A1 = _family(n, rng, h * 0.999, beta=1.0)
        sc = _root(A0, A1, h * 0.999 - 1e-5, h * 0.999 + 1e-5)     # the floats' own crossing
        hh = abs(sc) + 1e-12
        _, V = np.linalg.eig(A0)
        rb = ps._real_form(V)
        for j in rb.J:
            rb.W[:, j + 1] = rb.W[:, j] + eps * rng.standard_normal(n)
        basis = ps.Eigenbasis()
        basis.store(("k",), 0.0, rb, np.zeros((n, n)))
        assert not ps.moving_discs_ok(_nb(A0), _nb(A1), hh, basis, (("k",), 0.0), fresh=False)
        assert not ps.moving_hopf_ok(_nb(A0), _nb(A1), hh, basis, (("k",), 0.0)) or _crosses(A0, A1, -hh, hh)
        if eps >= 1e-4:
            B0, B1 = _family(n, rng, h * 0.5, beta=1.0, eps=eps)
            sc = _root(B0, B1, 0.4 * h, 0.6 * h)
            assert not ps.moving_discs_ok(_nb(B0), _nb(B1), abs(sc) + 1e-12)


@pytest.mark.parametrize("w", [1e-3, 1e-5])
def test_pair_becoming_complex_just_before_a_crossing_is_refused(w):
    """A real pair collides on the real axis (s = sc) and leaves it as a complex pair that crosses iR at s* with
    a small frequency w (s* - sc = 1e-5 h): both inside the piece; never accepted (moving discs and Hopf discs
    with its "exactly one crossing" claim are irrelevant here: the plain Lemma must refuse)."""
    rng = np.random.default_rng(5)
    h = 1e-3
    for n in (3, 5):
        sstar = 0.3 * h
        A0, A1 = _family(n, rng, sstar, beta=w, collide=sstar - 1e-5 * h)
        assert _crosses(A0, A1, sstar - 1e-9, sstar + 1e-9)
        assert not ps.moving_discs_ok(_nb(A0), _nb(A1), h)


def test_two_pairs_crossing_1e_10_apart_are_not_one_hopf_piece():
    """Two pairs (frequencies 1 and 1.5) crossing iR 1e-10 apart inside the piece: the Hopf-piece Lemma claims at
    most one Hopf point on the piece, so it must refuse; the plain Lemma too."""
    rng = np.random.default_rng(9)
    h, s1, s2 = 1e-3, 2e-4, 2e-4 + 1e-10
    for n in (4, 6):
        D0, D1 = np.zeros((n, n)), np.zeros((n, n))
        D0[:2, :2] = [[-s1, -1.0], [1.0, -s1]]
        D1[:2, :2] = np.eye(2)
        D0[2:4, 2:4] = [[2 * s2, -1.5], [1.5, 2 * s2]]
        D1[2:4, 2:4] = -2 * np.eye(2)
        for j in range(4, n):
            D0[j, j] = -(1.0 + j)
        P = rng.standard_normal((n, n))
        A0, A1 = P @ D0 @ np.linalg.inv(P), P @ D1 @ np.linalg.inv(P)
        with mp.workdps(50):
            def by_freq(v):     # real parts of the upper eigenvalues, ordered by frequency (1, then 1.5)
                ev = mp.eig(_mpm(A0) + mp.mpf(v) * _mpm(A1), left=False, right=False)
                return [mp.re(e) for e in sorted((e for e in ev if mp.im(e) > 0.5), key=lambda e: mp.im(e))]
            lo, hi = by_freq(s1 - 3e-11), by_freq(s2 + 3e-11)
            assert len(lo) == len(hi) == 2 and lo[0] < 0 < hi[0] and hi[1] < 0 < lo[1]
        assert not ps.moving_discs_ok(_nb(A0), _nb(A1), h)
        assert not ps.moving_hopf_ok(_nb(A0), _nb(A1), h)


def test_predicted_basis_with_its_correction_and_no_fresh_eig_never_accepts_a_crossing():
    """The Eigenbasis of a crossing-free piece (with X0, its first-order correction) predicts the next piece's
    basis; the next piece holds a crossing 1e-12 inside its end: refused with ``fresh=False`` (prediction only) and
    with ``fresh=True``; the prediction after many pieces stays a preconditioner only."""
    rng = np.random.default_rng(12)
    h = 1e-3
    for n in (3, 7):
        A0, A1 = _family(n, rng, 0.0, beta=1.0)
        basis = ps.Eigenbasis()
        key = ("chart",)
        # march pieces of half width h centred at c = -40h, -38h, ...: the family is A0 + (c + s) A1
        for i in range(20):
            c = -40 * h + 2 * h * i
            ps.moving_discs_ok(_nb(A0 + c * A1), _nb(A1), h, basis, (key, c), fresh=bool(i % 2))
        c = h - 1e-12           # the piece's family A0 + (c + s) A1: the crossing at s = -h + 1e-12
        assert _crosses(A0 + c * A1, A1, -h + 5e-13, -h + 1.5e-12)
        for fresh in (False, True):
            assert not ps.moving_discs_ok(_nb(A0 + c * A1), _nb(A1), h, basis, (key, c), fresh=fresh)


@pytest.mark.parametrize("seed", range(4))
def test_eigen_form_holds_the_exact_complex_similarity(seed):
    """``_eigen_form(W^-1 A W)`` (O(n^2) Q) holds ``V^-1 A V`` computed at 50 digits for V = W Q, for every tried
    matrix in the ball (midpoint and random corners), with pairs at arbitrary positions (J not starting at 0)."""
    rng = np.random.default_rng(seed)
    n = 7
    A = rng.standard_normal((n, n))
    _, V = np.linalg.eig(A)
    rb = ps._real_form(V)
    assert rb is not None and len(rb.J)
    C = NBall(rng.standard_normal((n, n)), np.abs(rng.standard_normal((n, n))) * 1e-3)
    got = ps._eigen_form(C, rb.J)
    Q = mp.zeros(n, n)
    for j in range(n):
        Q[j, j] = 1
    for j in rb.J:
        Q[j, j], Q[j, j + 1], Q[j + 1, j], Q[j + 1, j + 1] = 1, 1, 1j, -1j
    with mp.workdps(50):
        Qi = mp.inverse(Q)
        for _ in range(6):
            Cm = C.mid + C.rad * rng.choice([-1.0, 0.0, 1.0], size=C.mid.shape)
            E = Qi * _mpm(Cm) * Q
            for i in range(n):
                for j in range(n):
                    assert abs(E[i, j] - mp.mpc(complex(got.mid[i, j]))) <= mp.mpf(float(got.rad[i, j])), (i, j)


# --------------------------------------------------------------------------- Lemma G and the Taylor tangent
# Df depends on a only through a^3 terms (Df_aa = 6a..., nonzero only through the parameter); large a-derivatives
CUBIC = (["x - a**3 - y/4", "(a**3 - 1)*y - 2*x**2*a**2"], ("x", "y"))
# n = 4, strongly curved in a (a^3 and exp(a) inside), Df_aa large
STEEP = (["tanh(3*a**3*x + y/2 - 1/5) - x", "tanh(2*a**2*y - 7*x/10 + z/10) - y",
          "tanh(3*x/10 + a**3*z + w/3) - z", "exp(a)*w/4 - w + x*a**3/2"], ("x", "y", "z", "w"))

# x-chart with a steep parameter: a' = dx/da^-1 ~ 20, so a'^2 Df_aa dominates Lemma G's Q
STEEPX = (["x - a**3/50 - y/4", "(a**3 - 2)*y - x**2*a**2"], ("x", "y"))


def _guess(s, a):
    return list(tube.Tube(s, PREC).point(s.n, a, np.array([0.0] * s.n + [a])))


@pytest.mark.parametrize("arith", ["arb", "numpy"])
@pytest.mark.parametrize("case, k, centres, h", [
    (CUBIC, 2, [0.6, -0.7], 0.1), (CUBIC, 2, [0.8, 0.3], 0.04), (CUBIC, 0, [0.5], 0.02),
    (STEEP, 4, [0.7, -0.6], 0.03), (STEEPX, 0, [0.9, -0.8], 1e-3)])
def test_lemma_g_on_parameter_only_second_derivatives_and_wide_pieces(spy, monkeypatch, arith, case, k, centres, h):
    """Df_aa nonzero only through a^3 terms, wide pieces (large |t - t~|), an a-chart and an x-chart: Lemma G's
    A' holds the 50-digit d/dt Df, A holds Df, the Taylor tangent the 50-digit tangent."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    s = system(*case)
    rng = np.random.default_rng(4)
    built = 0
    for a in centres:
        g = _guess(s, a)
        t = g[k]
        built += _arc_check(s, k, Fraction(t - h), Fraction(t + h), g, rng, m=6)
    assert built >= 1 and spy and all(spy)


def _restricted_check(s, k, lo, hi, frac, guess, rng, m=6):
    """A piece over [lo, hi] restricted to [lo, lo + frac (hi - lo)] (tube._march's ``replace``: du with its
    Taylor form kept, t0 = the full piece's centre, possibly outside the restricted interval): Lemma G's A', A
    and the Taylor form hold the 50-digit values on the restricted piece."""
    zc = float_point(s, k, float((lo + hi) / 2), guess)
    p, _ = piece_of(s, k, lo, hi, zc)
    if p is None or p.du is None:
        return False
    q = replace(p, hi=Fraction(float(lo) + frac * float(hi - lo)), A0=None, Amv=None, Ap=None)
    n = s.n
    o = [j for j in range(n + 1) if j != k]
    chk = tube.MovingBranchCheck(s, SimpleNamespace(x=[zc[:n]], a=[zc[n]], closed=False), [], (-1, 1), PREC)
    run = tube._Run(k, 1, np.array([zc - 1e-3, zc + 1e-3]), q.lo, q.hi, 1.0)
    with flint.ctx.workprec(PREC):
        assert chk._enclose_A(q, run) is not None
    Ap, A = tube.as_nball(q.Ap), tube.as_nball(q.Amv)
    t0, w, E1, E0 = q.du.taylor
    ts = [q.lo, q.hi] + [q.lo + (q.hi - q.lo) * Fraction(float(r)) for r in rng.random(m)]
    d = Fraction(1, 10 ** 12)
    with mp.workdps(50):
        for t in ts:
            z = mp_equilibrium(s, k, t, zc)
            tan = mp_tangent(s, k, z)
            sm = mp.mpf(t.numerator) / t.denominator - mp.mpf(t0)
            for i, j in enumerate(o):
                v = tan[i] - mp.mpf(float(w[j])) - sm * mp.mpf(float(E1.mid[i, 0]))
                assert abs(v - mp.mpf(float(E0.mid[i, 0]))) <= float(E0.rad[i, 0]) + abs(float(sm)) * float(E1.rad[i, 0])
            J = mp_jacobian(s, z)
            Jp, Jm = mp_jacobian(s, mp_equilibrium(s, k, t + d, zc)), mp_jacobian(s, mp_equilibrium(s, k, t - d, zc))
            for i in range(n):
                for j in range(n):
                    g1 = (Jp[i, j] - Jm[i, j]) / (2 * mp.mpf(d.numerator) / d.denominator)
                    assert abs(g1 - mp.mpf(float(Ap.mid[i, j]))) <= float(Ap.rad[i, j]) + 1e-18, (float(t), i, j)
                    assert abs(J[i, j] - mp.mpf(float(A.mid[i, j]))) <= float(A.rad[i, j]), (float(t), i, j)
    return True


@pytest.mark.parametrize("frac", [0.6, 0.3, 0.05])
@pytest.mark.parametrize("case, k, a, h", [(CUBIC, 2, 0.6, 0.1), (STEEP, 4, -0.6, 0.03), (CUBIC, 0, 0.5, 0.02)])
def test_lemma_g_on_a_restricted_piece_keeps_the_taylor_form(spy, case, k, a, h, frac):
    s = system(*case)
    g = _guess(s, a)
    rng = np.random.default_rng(8)
    assert _restricted_check(s, k, Fraction(g[k] - h), Fraction(g[k] + h), frac, g, rng)
    assert spy and all(spy)


def test_df_aa_apply_holds_the_fifty_digit_second_parameter_derivative():
    """``Df_aa_apply(x, a, u)`` on a numpy ball direction (identity and a random ball) holds
    ``d^2/da^2 Df(x, a) u`` at 50 digits (central second differences, step 1e-10) for STEEP (a^3, a^2, exp(a))."""
    s = system(*STEEP)
    n = s.n
    rng = np.random.default_rng(2)
    z = [0.3, -0.2, 0.1, 0.4, 0.7]
    ev = tube.Tube(s, PREC).ev
    x = flint.arb_mat([[v] for v in z[:n]])
    a = flint.arb(z[n])
    U = NBall(rng.standard_normal((n, 3)), np.full((n, 3), 1e-9))
    with flint.ctx.workprec(PREC):
        for u in (NBall(np.eye(n), np.zeros((n, n))), U):
            got = tube.as_nball(ev.Df_aa_apply(x, a, u))
            dd = mp.mpf(10) ** -10
            with mp.workdps(50):
                zm = [mp.mpf(v) for v in z]
                J = [mp_jacobian(s, zm[:n] + [zm[n] + c * dd]) for c in (-1, 0, 1)]
                H = (J[0] - 2 * J[1] + J[2]) / dd ** 2
                for i in range(n):
                    for j in range(u.mid.shape[1]):
                        lo = hi = mp.mpf(0)
                        for l in range(n):
                            c = H[i, l] * mp.mpf(float(u.mid[l, j]))
                            r = abs(H[i, l]) * mp.mpf(float(u.rad[l, j]))
                            lo, hi = lo + c - r, hi + c + r
                        m, rr = mp.mpf(float(got.mid[i, j])), mp.mpf(float(got.rad[i, j])) + 1e-15
                        assert m - rr <= lo + 1e-15 and hi - 1e-15 <= m + rr, (i, j)


# --------------------------------------------------------------------------- whole branches

@pytest.mark.parametrize("nmax", [20, 1])
@pytest.mark.parametrize("mu, where", [
    ("((a**3 - 1/1000)**2 - 10**(-20))", "two"),            # two crossings ~7e-9 apart near a = 1/10 (a^3 only)
    ("(a**3 - 1/1000)**2", "touch"),                         # a tangential touch at a = 1/10
    ("((10**6*(a - 1/5)**3 + 10**(-9)*(a - 1/5))*(a - 1/5 - 10**(-9)))", "two"),   # a flat crossing and one 1e-9 after
])
def test_unlisted_crossings_without_a_sign_change_are_never_complete(spy, monkeypatch, mu, where, nmax):
    """n = 3, Lemma G on (the default below SECOND_ORDER_N), Df_aa through a^3 terms: pairs on iR that make no sign
    change of g between float points (two crossings close together, a touch), with the bialternate fallback
    (NMAX = 20) and the spectral Lemmas alone (NMAX = 1): never complete without proved points."""
    monkeypatch.setattr(tube, "NMAX", nmax)
    s = padded(mu, 3)
    out = check_branch(s, branch_of(3, -0.5, 0.5), [])
    assert not out.proved and not out.crossings, out.reason
    assert spy and all(spy)


def test_grazing_pair_with_parameter_only_second_derivatives_is_complete_and_true(spy):
    """mu = (a^3 - 1/1000)^2 + 1e-24 > 0: the pair grazes iR and never meets it; the check accepts (with Lemma G),
    which is true: the 50-digit real part at the touch is 1e-24."""
    s = padded("((a**3 - 1/1000)**2 + 10**(-24))", 3)
    with mp.workdps(50):
        av = mp.mpf(1) / 10
        zz = [mp.sin(av + mp.mpf(j) / 7) / 3 for j in range(3)] + [av]
        ev = mp.eig(mp_jacobian(s, zz), left=False, right=False)
        assert all(mp.re(e) > 0 for e in ev if abs(mp.im(e)) > 0.5)
    out = check_branch(s, branch_of(3, -0.5, 0.5), [])
    assert out.proved and not out.crossings, out.reason
    assert spy and all(spy)


@pytest.mark.parametrize("seed", range(3))
def test_f_bounds_hold_fifty_digit_f1_f2_at_ball_corners(seed):
    """``_f_bounds`` (no complex products): for B0, B1 from ``_eigen_form`` of a real basis (balls of radius
    1e-6), ``F1 >= |(B1' - D1') + B0' X - X D0'|`` and ``F2 >= |B1' X - X D1'|`` entrywise at 50 digits for
    random B0', B1' in the balls (complex perturbations of modulus up to the radius), X as ``_moving`` makes it."""
    rng = np.random.default_rng(30 + seed)
    n = 6
    A0 = rng.standard_normal((n, n))
    A1 = rng.standard_normal((n, n))
    _, V = np.linalg.eig(A0)
    rb = ps._real_form(V)
    B0, B1 = (ps._eigen_form(C, rb.J) for C in ps._similar_factory(rb.W)(
        NBall(A0, np.full((n, n), 1e-6)), NBall(A1, np.full((n, n), 1e-6))))
    c = np.diag(B0.mid)
    gap = c[None, :] - c[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        X = np.where(np.abs(gap) > 1e-8 * np.abs(c).max(), B1.mid / gap, 0)
    np.fill_diagonal(X, 0)
    Xa = ps.abs1(X)
    F0, F1, F2 = ps._f_bounds(B0, B1, X, Xa, gap)
    with mp.workdps(50):
        Xm = mp.matrix([[mp.mpc(complex(v)) for v in row] for row in X])
        for _ in range(4):
            def pick(B):
                ph = np.exp(2j * np.pi * rng.random(B.mid.shape)) * rng.choice([0.0, 1.0], size=B.mid.shape)
                return mp.matrix([[mp.mpc(complex(m)) + mp.mpf(float(r)) * mp.mpc(complex(p)) for m, r, p in
                                   zip(rm, rr, rp)] for rm, rr, rp in zip(B.mid, B.rad, ph)])
            P0, P1 = pick(B0), pick(B1)
            D0 = mp.diag([P0[i, i] for i in range(n)])
            D1 = mp.diag([P1[i, i] for i in range(n)])
            T1 = (P1 - D1) + P0 * Xm - Xm * D0
            T2 = P1 * Xm - Xm * D1
            for i in range(n):
                for j in range(n):
                    assert abs(T1[i, j]) <= F1[i, j], (i, j)
                    assert abs(T2[i, j]) <= F2[i, j], (i, j)
                    assert abs(P0[i, j]) <= F0[i, j] or i == j, (i, j)


def test_ball_solve_cache_sees_a_preconditioner_changed_in_place():
    """ball_solve's cached ``C = I - Y J_u``: the same Ju and Y objects, Y then changed in place (and Ju's radius
    in place): the second solve must use the new contents (its enclosure holds the 50-digit solution of the
    new system, and differs from the stale one)."""
    from symhopf.proof import ball_solve
    rng = np.random.default_rng(1)
    n = 4
    M = rng.standard_normal((n, n)) + 4 * np.eye(n)
    Ju = NBall(M.copy(), np.zeros((n, n)))
    Jk = NBall(rng.standard_normal((n, 1)), np.zeros((n, 1)))
    Y = np.linalg.inv(M)
    z1 = ball_solve.solve_refined_nb(Ju, Jk, Y)
    Y[:] = np.linalg.inv(M + 0.5 * np.eye(n))      # a worse (still contracting) preconditioner: same solution
    Ju.rad[:] = 1e-3                                # a wider matrix: a wider enclosure must come out
    z2 = ball_solve.solve_refined_nb(Ju, Jk, Y)
    assert z1 is not None and z2 is not None
    assert np.all(z2.rad >= 1e-5) and not np.array_equal(z1.rad, z2.rad)
    Ju.mid[0, 0] += 1.0                            # the matrix itself changed: the new solution is held
    z3 = ball_solve.solve_refined_nb(Ju, Jk, Y)
    with mp.workdps(50):
        sol = mp.lu_solve(_mpm(Ju.mid), -_mpm(Jk.mid))
        for i in range(n):
            assert abs(sol[i] - mp.mpf(float(z3.mid[i, 0]))) <= mp.mpf(float(z3.rad[i, 0]))


def _collide(mu: str, kap: str, n: int = 3):
    """y_j = x_j - sin(a + j/7)/3; the block ``[[mu, 1], [-kap, mu]]`` on the branch: eigenvalues ``mu +- sqrt(-kap)``,
    a real pair for kap < 0 that collides on the real axis and leaves it as ``mu +- i sqrt(kap)``."""
    from symhopf.model import Model
    from symhopf.system import System
    names = [f"x{j}" for j in range(n)]
    y = [f"(x{j} - sin(a + {j}/7)/3)" for j in range(n)]
    rhs = [f"{mu}*{y[0]} + {y[1]} - {y[0]}**3", f"-{kap}*{y[0]} + {mu}*{y[1]} - {y[1]}**3"]
    rhs += [f"-(1 + {j}/10)*{y[j]} + (1/10)*{y[j - 1]}" for j in range(2, n)]
    return System.from_model(Model.ode(names, rhs, "a", range=["-1/2", "1/2"]))


@pytest.mark.parametrize("nmax", [20, 1])
@pytest.mark.parametrize("mu, kap", [
    ("(a - 1/3)", "(a - 1/3 + 10**(-14))"),                              # w = 1e-7 at the crossing: "saddle" in floats
    ("((a - 1/3)**2 - 10**(-12))", "(a - 1/3 + 2*10**(-6))"),            # two crossings (w ~ 1e-3) just after collision
    ("((a**3 - 1/27)**2 - 10**(-14))", "(a**3 - 1/27 + 2*10**(-7))"),    # the same through a^3 terms
])
def test_pair_leaving_the_real_axis_just_before_crossing_is_never_complete(monkeypatch, mu, kap, nmax):
    """A real pair that collides on the real axis and crosses iR as a complex pair with a tiny frequency right after
    (the float classification may call it a neutral saddle): never complete without proved points."""
    monkeypatch.setattr(tube, "NMAX", nmax)
    out = check_branch(_collide(mu, kap), branch_of(3, -0.5, 0.5), [])
    assert not out.proved and not out.crossings, out.reason


@pytest.mark.parametrize("mu", ["((a**3 - 1/1000)**2 - 10**(-20))", "(a**3 - 1/1000)**2"])
def test_spectral_lemmas_alone_at_n_8_with_parameter_only_second_derivatives(spy, monkeypatch, mu):
    """n = 8 (real-basis moving discs, Lemma G below SECOND_ORDER_N), no bialternate fallback (NMAX = 1): two crossings
    ~7e-9 apart, a touch: never complete."""
    monkeypatch.setattr(tube, "NMAX", 1)
    out = check_branch(padded(mu, 8), branch_of(8, -0.5, 0.5), [])
    assert not out.proved and not out.crossings, out.reason
    assert spy and all(spy)


@pytest.mark.parametrize("g", [0.5, 2.0])
def test_hopf_discs_refuse_a_pair_crossing_twice_by_curvature(g):
    """A linear family whose pair's real part is non-monotone (second-order coupling to a nearby real eigenvalue,
    no first-order term): shifted so that it crosses iR twice, near s = +-h/2 (50-digit signs +, -, + at -h, 0, h).
    The Hopf-piece Lemma claims at most one Hopf point (``Re mu'`` excludes 0): it must refuse; a single crossing
    of the same pair (a linear family without the coupling) is accepted (the test can fail)."""
    rng = np.random.default_rng(0)
    h = 1e-2
    for n in (3, 5):
        D0, D1 = np.zeros((n, n)), np.zeros((n, n))
        D0[:2, :2] = [[0.0, -1.0], [1.0, 0.0]]
        D0[2, 2] = -0.05
        for j in range(3, n):
            D0[j, j] = -(1.0 + j)
        D1[0, 2] = D1[2, 0] = g
        D1[1, 2] = 0.3 * g
        P = rng.standard_normal((n, n))
        Pi = np.linalg.inv(P)
        A0, A1 = P @ D0 @ Pi, P @ D1 @ Pi
        r = [float(_pair_re(A0, A1, s)[0]) for s in (-h, 0.0, h)]
        curv = (r[0] + r[2] - 2 * r[1]) / (2 * h * h)
        A0 = A0 - (r[1] + curv * h * h / 4) * np.eye(n)
        signs = [_pair_re(A0, A1, s)[0] > 0 for s in (-h, 0.0, h)]
        assert signs == [True, False, True]
        assert not ps.moving_hopf_ok(_nb(A0), _nb(A1), h)
        assert not ps.moving_discs_ok(_nb(A0), _nb(A1), h)
        E1 = P @ np.diag([1.0, 1.0] + [0.0] * (n - 2)) @ Pi        # Re mu(s) = s: one crossing at 0
        B0 = P @ D0 @ Pi
        assert _crosses(B0, E1, -h / 2, h / 2) and ps.moving_hopf_ok(_nb(B0), _nb(E1), h)


def test_ipow_square_of_wide_balls_holds_every_square():
    """runtime/ball.ipow's new k = 2 shortcut on wide balls (the endpoints' squares, 0 when the ball holds 0): the
    result holds x^2 at both ends, at 0 when inside, and at random points (50 digits)."""
    from symhopf.runtime.ball import ipow
    rng = np.random.default_rng(3)
    with flint.ctx.workprec(PREC):
        for _ in range(200):
            m, r = float(rng.standard_normal()) * 10 ** int(rng.integers(-3, 4)), float(rng.random()) * 10 ** int(rng.integers(-6, 3))
            x = flint.arb(m, r)
            y = ipow(x, 2)
            lo, hi = flint.arb(x.lower()), flint.arb(x.upper())
            for v in [lo, hi, x.mid()] + ([flint.arb(0)] if x.contains(0) else []):
                assert y.contains(v * v), (m, r)
            assert not x.contains(0) or y.lower() <= 0

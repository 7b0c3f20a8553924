"""What the Krawczyk tube pieces reuse (krawczyk_tube.Tube): the float Jacobian ``point`` remembers (chord
Newton), the forward-difference ``Gm``, ``split`` by 0/1 products, the box test's centred form with ``J_k``
over the try's box and its first radii from the Newton residual. Checked against 50-digit mpmath points
in both arithmetics, and attacked: two branches 1e-6 apart, a fold at a thin box, a stale or foreign
remembered Jacobian, nan / inf from the float or the ball evaluations."""
from fractions import Fraction

import flint
import numpy as np
import pytest
from flint import arb, arb_mat

import symhopf.proof.krawczyk_tube as krawczyk_tube
from symhopf.proof.krawczyk_tube import CHORD, Piece, Tube
from symhopf.runtime.arbtools import exact_ball, hull
from test_tube_numpy import _Poisoned
from test_tube_parametrised import PREC, ball_of, check_contains_truth, mp_equilibrium, system

F = Fraction
ARITH = ("numpy", "arb")
CURVED = ["x - sin(2*a) - a**2", "y - x**2 + a"]


def _curved(a: float) -> np.ndarray:
    x = np.sin(2 * a) + a * a
    return np.array([x, x * x - a, a])


# --------------------------------------------------------------------------- point and its Jacobian
@pytest.mark.parametrize("k", [2, 0])
@pytest.mark.parametrize("off", [0.3, 1e-3, 1e-7, 0.0])
def test_point_converges_to_the_fifty_digit_equilibrium_and_remembers_its_jacobian(k, off):
    """Newton then chord steps from guesses 0.3 .. 0 away: the 50-digit equilibrium to 1e-13; the
    remembered Jacobian is exactly Jz at a point within CHORD (1 + |z|) of z, its inverse that of J_u; a
    copy of z one ulp off, or another chart, is not served the remembered one."""
    s = system(CURVED)
    tb = Tube(s, PREC)
    a = 0.2
    t = float(_curved(a)[k])
    z = tb.point(k, t, _curved(a) + off)
    assert z is not None and z[k] == t
    truth = mp_equilibrium(s, k, F(t), z)
    assert max(abs(float(v) - zi) for v, zi in zip(truth, z)) <= 1e-13
    o = tb.others(k)
    zj, J, Y = tb._float_jacobian(k, z)
    assert np.linalg.norm(zj - z) <= CHORD * (1 + np.linalg.norm(z))
    assert np.array_equal(J, tb.Jz(zj)) and np.allclose(Y @ J[:, o], np.eye(2), atol=1e-12)
    for key_z, key_k in [(np.nextafter(z, np.inf), k), (z, 1)]:
        zj2, J2, _ = tb._float_jacobian(key_k, key_z)
        assert np.array_equal(zj2, key_z) and np.array_equal(J2, tb.Jz(key_z))


def test_point_refuses_nan_and_singular_jacobians():
    """f = nan on x > 1 (log of a negative number) from a guess there, and a fold (singular J_u) at the
    guess: None, never a point with a nan."""
    s = system(["log(1 - x) - a", "y - x"])
    tb = Tube(s, PREC)
    with np.errstate(all="ignore"):
        assert tb.point(2, 0.0, np.array([2.0, 2.0, 0.0])) is None
    fold = Tube(system(["x**2 - a", "y - x"]), PREC)
    assert fold.point(2, 0.0, np.zeros(3)) is None


# --------------------------------------------------------------------------- pieces built from reused floats
@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("k", [2, 0])
def test_pieces_from_the_remembered_jacobian_hold_the_fifty_digit_arc(monkeypatch, arith, k):
    """One Tube: point (from a guess 1e-3 off, so the remembered Jacobian is not at the point), then the
    parametrised piece and the box test (thin T, T of half width 1e-9 and, with TUBE_TEST = "box", 1e-4)
    on its result: every 50-digit equilibrium in the piece's uniqueness region and K, its tangent in du;
    the box test's K in U holds the 50-digit point at t~."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    s = system(CURVED)
    tb = Tube(s, PREC)
    rng = np.random.default_rng(3)
    held = 0
    for a, h in [(0.1, 0.05), (-0.3, 0.02), (0.2, 0.003)]:
        z0 = _curved(a)
        lo, hi = F(float(z0[k]) - h), F(float(z0[k]) + h)
        zc = tb.point(k, float((lo + hi) / 2), z0 + 1e-3)
        with flint.ctx.workprec(PREC):
            res = tb.piece(k, hull(lo, hi), zc)
        if res is None:
            continue
        held += 1
        check_contains_truth(s, Piece(k, lo, hi, 1, res[0], res[1], res[2], res[3], du=res[4], slant=res[5]),
                             zc, rng, m=4)
    assert held >= 2
    o = [j for j in range(3) if j != k]
    for a in (-0.3, 0.25):
        z0 = _curved(a)
        t = F(float(z0[k]))
        zc = tb.point(k, float(t), z0 + 1e-3)
        truth = mp_equilibrium(s, k, t, zc)
        for T, test in [(exact_ball(t), "parametrised"), (hull(t - F(1e-9), t + F(1e-9)), "parametrised"),
                        (hull(t - F(1e-4), t + F(1e-4)), "box")]:
            monkeypatch.setattr(krawczyk_tube, "TUBE_TEST", test)
            with flint.ctx.workprec(PREC):
                res = tb.krawczyk(k, T, zc)
                assert res is not None, (a, test)
                U, K = res[0], res[1]
                assert all(Ki.contains(ball_of(truth[j])) for Ki, j in zip(K, o))
                assert all(Ui.contains(Ki) for Ui, Ki in zip(U, K))


def test_split_selects_the_columns_exactly():
    """J_u, J_k by 0/1 products: each entry holds the ball of Df or f_a (the same midpoint, the radius rounded
    up by at most 1e-8 of it: python-flint's magnitudes) in rows without a non-finite entry; a nan or an
    infinite radius spoils its row (0 times it is not finite), never giving a finite ball for it."""
    s = system(["x + y + z - a", "y - x", "z - y"], names=("x", "y", "z"))
    tb = Tube(s, PREC)
    rng = np.random.default_rng(9)
    with flint.ctx.workprec(PREC):
        D = arb_mat([[arb(float(v), float(r)) for v, r in zip(row, rr)]
                     for row, rr in zip(rng.standard_normal((3, 3)), rng.random((3, 3)) * 1e-9)])
        fa = arb_mat([[arb(float(v), 1e-12)] for v in rng.standard_normal(3)])
        D[1, 2] = arb(0.5, float("inf"))
        D[2, 0] = arb("nan")
        for k in range(4):
            Ju, Jk = tb.split(k, D, fa)
            full = [[D[i, j] for j in range(3)] + [fa[i, 0]] for i in range(3)]
            o = [j for j in range(4) if j != k]
            for i in range(3):
                for got, want in [(Jk[i, 0], full[i][k])] + [(Ju[i, c], full[i][j]) for c, j in enumerate(o)]:
                    if i == 0:
                        assert got.mid() == want.mid() and want.rad() <= got.rad() <= want.rad() * (1 + 1e-8)
                    if want.is_finite():
                        assert got.contains(want) or not got.is_finite()
                    else:
                        assert not got.is_finite()


# --------------------------------------------------------------------------- adversarial
@pytest.mark.parametrize("arith", ARITH)
def test_box_test_near_two_branches_1e6_apart_holds_one(monkeypatch, arith):
    """(x - a)(x - a - 1e-6) = 0, y = x: box tests (thin and of half width 1e-9) centred on each branch, at
    float points a little off it (the first radii follow the Newton residual) and at the midpoint between
    the branches (J_u singular there): never a U holding both branches at one t."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    d = F(1, 10 ** 6)
    s = system([f"(x - a)*(x - a - {d})", "y - x"])
    tb = Tube(s, PREC)
    t = F(1, 8)
    accepted = 0
    for x0 in [float(t), float(t + d), float(t) + 1e-9, float(t + d) - 3e-8, float(t + d / 2),
               float(t + d / 2) + 1e-12]:
        zc = np.array([x0, x0, float(t)])
        for T in (exact_ball(t), hull(t - F(1e-9), t + F(1e-9))):
            with flint.ctx.workprec(PREC):
                res = tb.krawczyk(2, T, zc)
                if res is None:
                    continue
                accepted += 1
                U = res[0]
                for tt in (t, t - F(1e-9), t + F(1e-9)) if T.rad() > 0 else (t,):
                    both = [all(Ui.contains(exact_ball(tt + off)) for Ui in U) for off in (F(0), d)]
                    assert not all(both), (x0, str(T))
    assert accepted >= 4


@pytest.mark.parametrize("arith", ARITH)
def test_box_test_at_a_fold_is_refused_or_holds_one(monkeypatch, arith):
    """x^2 = a, y = x, a-chart: thin boxes at a = 1e-12 (branches +-1e-6) and a = 0 (the fold, J_u = 0):
    at a = 0 refused; at 1e-12 a U never holds both +-1e-6."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    s = system(["x**2 - a", "y - x"])
    tb = Tube(s, PREC)
    with flint.ctx.workprec(PREC):
        for x0 in (0.0, 1e-9, 5e-7):
            assert tb.krawczyk(2, exact_ball(F(0)), np.array([x0, x0, 0.0])) is None
        a = F(1, 10 ** 12)
        for x0 in (1e-6, -1e-6, 1e-7, 0.0):
            res = tb.krawczyk(2, exact_ball(a), np.array([x0, x0, float(a)]))
            if res is not None:
                assert not all(Ui.contains(arb(1e-6)) for Ui in res[0]) or not all(
                    Ui.contains(arb(-1e-6)) for Ui in res[0])


@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("name", ["f", "Df", "f_a"])
@pytest.mark.parametrize("how", ["nan", "inf"])
def test_box_test_of_a_wide_thin_T_refuses_poisoned_evaluations(monkeypatch, arith, name, how):
    """T of half width 1e-12 (the centred form takes J_k from the try's box): f, Df (Df_apply in numpy
    balls) or f_a with a nan or an infinite radius: refused, in both charts; unpoisoned accepted."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    s = system(CURVED)
    if arith == "numpy" and name == "Df":
        name = "Df_apply"
    for k in (2, 0):
        tb = Tube(s, PREC)
        z0 = _curved(0.1)
        t = F(float(z0[k]))
        zc = tb.point(k, float(t), z0)
        T = hull(t - F(1, 10 ** 12), t + F(1, 10 ** 12))
        with flint.ctx.workprec(PREC):
            assert tb.krawczyk(k, T, zc) is not None
            tb.ev = bad = _Poisoned(tb.ev, name, how)
            tb.flint_only = set()
            assert tb.krawczyk(k, T, zc) is None, (k, name)     # J_u (k = 0: f_a; k = 2: Df) or J_k or f
            assert bad.calls > 0


def test_nan_float_jacobian_refuses_the_piece(monkeypatch):
    """The float Jacobian (preconditioner, w, Gm) with a nan: no piece, no box, never an exception."""
    s = system(CURVED)
    tb = Tube(s, PREC)
    zc = tb.point(2, 0.1, _curved(0.1))
    good = tb.Jz

    def nan_jz(z):
        J = good(z)
        J[0, 0] = np.nan
        return J
    monkeypatch.setattr(tb, "Jz", nan_jz)
    tb._jacobians.clear()
    with flint.ctx.workprec(PREC), np.errstate(all="ignore"):
        assert tb.piece(2, hull(F(0.09), F(0.11)), zc) is None
        assert tb.krawczyk(2, exact_ball(F(0.1)), zc) is None


@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("k", [2, 0])
def test_box_test_at_a_t_that_is_not_a_float(monkeypatch, arith, k):
    """T = 1/3 or 1/7 (exact balls thinner than an ulp: the float t~ = float(T.mid()) lies outside T, the
    mean values run over T u t~): the 50-digit point at that t in K, K in U."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    s = system(CURVED)
    tb = Tube(s, PREC)
    o = [j for j in range(3) if j != k]
    for a in (F(1, 3), F(-1, 7)):
        z0 = _curved(float(a))
        t = a if k == 2 else F(float(z0[0])) + F(1, 3 * 2 ** 60)
        zc = tb.point(k, float(t), z0)
        truth = mp_equilibrium(s, k, t, zc)
        with flint.ctx.workprec(PREC):
            T = exact_ball(t)
            assert not T.contains(arb(float(T.mid())))
            res = tb.krawczyk(k, T, zc)
            assert res is not None
            assert all(Ki.contains(ball_of(truth[j])) for Ki, j in zip(res[1], o))
            assert all(Ui.contains(Ki) for Ui, Ki in zip(res[0], res[1]))


@pytest.mark.parametrize("seed", range(4))
def test_contraction_times_bounds_the_exact_product_at_every_corner(seed):
    """ball_solve.contraction_times(Y, D, r) >= |I - Y D'| r exactly (Fractions) for D' at random corners and
    points of the ball D (mixed scales, one subnormal radius), r >= 0; never below the float value; and at
    most 1e-10 relative above _contraction's row-weighted bound (the same bound, regrouped). nan refuses."""
    from symhopf.proof.ball_solve import _contraction, contraction_times
    from symhopf.runtime.npball import NBall
    rng = np.random.default_rng(seed)
    n = 4
    Dm = rng.standard_normal((n, n)) * 10.0 ** rng.integers(-3, 3, (n, n))
    Dr = np.abs(rng.standard_normal((n, n))) * 1e-9
    Dr[0, 0] = 5e-324
    Y = np.linalg.inv(Dm) + 1e-7 * rng.standard_normal((n, n))
    r = np.abs(rng.standard_normal(n))
    got = contraction_times(Y, NBall(Dm, Dr), r)
    ref = _contraction(Y, NBall(Dm, Dr)) @ r
    assert np.all(got <= ref * (1 + 1e-10) + 1e-300)
    Yq = [[F(float(v)) for v in row] for row in Y]
    for _ in range(12):
        sign = rng.choice([-1.0, 1.0, 0.0, 0.5], size=(n, n))
        Dq = [[F(float(Dm[i, j])) + F(float(Dr[i, j])) * F(float(sign[i, j])) for j in range(n)] for i in range(n)]
        for i in range(n):
            row = sum((abs((1 if i == j else 0) - sum((Yq[i][l] * Dq[l][j] for l in range(n)), F(0))) * F(float(r[j]))
                       for j in range(n)), F(0))
            assert F(float(got[i])) >= row
    bad = Dm.copy()
    bad[1, 2] = np.nan
    assert not float(contraction_times(Y, NBall(bad, Dr), r).max(initial=0.0)) < 1

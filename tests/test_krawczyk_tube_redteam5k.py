"""Red team (session 5k) on krawczyk_tube's changes: the box test's centred form with J_k over (T u t~, U)
when the float t~ lies outside a T thinner than its ulp, the float preconditioners (point's remembered
Jacobian, the forward-difference Gm: "any float Gm / Y serves") replaced by garbage, split by 0/1 products,
two branches 1e-6 apart in the box test, in both TUBE_ARITHMETIC settings. Ground truth: 50-digit mpmath
equilibria and Jacobians (test_tube_parametrised helpers), never the code under test."""
from fractions import Fraction

import flint
import mpmath as mp
import numpy as np
import pytest
from flint import arb, arb_mat

import symhopf.proof.krawczyk_tube as kt
from symhopf.proof.krawczyk_tube import Piece, Tube, split_nb
from symhopf.runtime.arbtools import exact_ball, hull
from symhopf.runtime.npball import NBall, as_nball
from test_tube_parametrised import PREC, ball_of, check_contains_truth, mp_equilibrium, mp_rhs, system

from test_krawczyk_reuse import ARITH, CURVED, _curved

F = Fraction


def _mp_jz(s, z):
    """Jz = [Df | f_a] at the 50-digit point z (mpmath derivatives)."""
    n, Fn = s.n, mp_rhs(s)
    with mp.workdps(50):
        J = [[None] * (n + 1) for _ in range(n)]
        for j in range(n + 1):
            col = mp.diff(lambda v: mp.matrix(Fn([v if q == j else z[q] for q in range(n + 1)])), z[j])
            for i in range(n):
                J[i][j] = col[i]
        return J


def _as_arb(M):
    return M.to_mat() if isinstance(M, NBall) else M


def _check_box_result(s, k, res, ts, guess):
    U, K, D, fa = res
    o = [j for j in range(s.n + 1) if j != k]
    D, fa = _as_arb(D), _as_arb(fa)
    with flint.ctx.workprec(PREC):
        for t in ts:
            z = mp_equilibrium(s, k, t, guess)
            for Ui, Ki, j in zip(U, K, o):
                assert Ki.contains(ball_of(z[j])) and Ui.contains(ball_of(z[j])), (float(t), j)
            J = _mp_jz(s, z)
            for i in range(s.n):
                for j in range(s.n):
                    assert D[i, j].contains(ball_of(J[i][j])), ("Df", i, j)
                assert fa[i, 0].contains(ball_of(J[i][s.n])), ("f_a", i)


THIN = {
    "exact 1/3": lambda c: exact_ball(c),
    "2^-60 off 1/3, no float inside": lambda c: hull(c + F(1, 2 ** 60), c + F(1, 2 ** 59)),
    "one side of the float": lambda c: hull(F(float(c)), F(float(c)) + F(1, 2 ** 70)),
}


@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("k", [2, 0, 1])
@pytest.mark.parametrize("thin", list(THIN))
@pytest.mark.parametrize("c", [F(1, 3), F(-1, 7), F(1, 3) * F(1, 2 ** 40)])
def test_box_test_on_a_thin_T_off_the_float_grid_holds_the_fifty_digit_point(monkeypatch, arith, k, thin, c):
    """T thinner than an ulp, not holding its float midpoint t~: accepted (a regular arc), and U, K hold
    the 50-digit equilibria at T's ends, Df / f_a the 50-digit Jacobian there."""
    monkeypatch.setattr(kt, "TUBE_ARITHMETIC", arith)
    s = system(CURVED)
    with flint.ctx.workprec(PREC):
        T = THIN[thin](c) if k == 2 else None
        if k != 2:
            zt = _curved(float(c))
            T = THIN[thin](F(float(zt[k])) + (c - F(float(c))))
    tb = Tube(s, PREC)
    guess = _curved(float(c))
    z = tb.point(k, float(T.mid()), guess)
    assert z is not None
    with flint.ctx.workprec(PREC):
        res = tb.krawczyk(k, T, z)
        assert res is not None
        ends = []
        for e in (T.lower(), T.upper()):
            man, exp = e.man_exp()
            ends.append(F(int(man)) * F(2) ** int(exp))
        _check_box_result(s, k, res, ends, z)


# --------------------------------------------------------------------------- garbage float preconditioners
def _piece_around(tb: Tube, k: int, z: np.ndarray, h: float) -> Piece | None:
    """The tube piece of chart k on [z_k - h, z_k + h] around the float point z, or None."""
    lo, hi = F(float(z[k]) - h), F(float(z[k]) + h)
    with flint.ctx.workprec(PREC):
        res = tb.piece(k, hull(lo, hi), z)
    return None if res is None else Piece(k, lo, hi, 1, res[0], res[1], res[2], res[3], du=res[4], slant=res[5])


def _bad_jacobian(scale: float, seed: int):
    orig = Tube._float_jacobian
    rng = np.random.default_rng(seed)

    def bad(self, k, z):
        zj, J, Y = orig(self, k, z)
        if Y is None:
            return zj, J, Y
        noise = 1 + scale * rng.standard_normal(Y.shape)
        return zj + scale * 1e-3 * rng.standard_normal(zj.shape), J * (1 + scale * rng.standard_normal(J.shape)), Y * noise
    return bad


@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("how", ["fd step 1", "fd step 1e-300", "fd step 1e6", "noisy Y 1e-3", "noisy Y 0.3"])
def test_garbage_float_preconditioners_never_give_a_piece_missing_the_arc(monkeypatch, arith, how):
    """Lemma P holds for any float Y0, Y1, Gm, w and the box test for any Y: with the forward difference's
    step absurd (Gm garbage or inf) or the remembered Jacobian and inverse noisy, every accepted piece
    (parametrised and box test, several widths) holds the 50-digit arc and tangent."""
    monkeypatch.setattr(kt, "TUBE_ARITHMETIC", arith)
    if how.startswith("fd"):
        monkeypatch.setattr(kt, "FD_STEP", float(how.split()[-1]))
    else:
        monkeypatch.setattr(Tube, "_float_jacobian", _bad_jacobian(float(how.split()[-1]), 7))
    s = system(CURVED)
    rng = np.random.default_rng(4)
    for test in ("parametrised", "box"):
        monkeypatch.setattr(kt, "TUBE_TEST", test)
        for a, h in [(0.1, 0.05), (-0.3, 0.003), (0.2, 1e-6)]:
            for k in (2, 0):
                tb = Tube(s, PREC)
                z = tb.point(k, float(_curved(a)[k]), _curved(a) + 1e-3)
                assert z is not None
                p = _piece_around(tb, k, z, h)
                if p is None:
                    continue
                check_contains_truth(s, p, z, rng, m=3)


# --------------------------------------------------------------------------- split by 0/1 products
@pytest.mark.parametrize("n", [1, 2, 5])
def test_split_by_products_is_the_column_selection(n):
    """split(k, D, fa) = (columns of [D | fa] other than k, column k): every ball of the selection holds
    (midpoint exact) the selected entry; numpy split_nb the same selection exactly."""
    rng = np.random.default_rng(n)
    ents = [arb(float(v), float(r)) for v, r in zip(rng.standard_normal(n * n) * np.exp2(rng.integers(-900, 900, n * n)),
                                                     np.abs(rng.standard_normal(n * n)) * 2.0 ** -60)]
    names = ["x", "y", "w", "v", "q"][:n]
    s = system([f"{v} - a" for v in names], names=names)
    tb = Tube(s, PREC)
    with flint.ctx.workprec(PREC):
        D = arb_mat(n, n, ents)
        D[0, 0] = arb(5e-324)
        fa = arb_mat(n, 1, [arb(1) / 3 * (i + 1) for i in range(n)])
        full = [[D[i, j] for j in range(n)] + [fa[i, 0]] for i in range(n)]
        for k in range(n + 1):
            Ju, Jk = tb.split(k, D, fa)
            o = [j for j in range(n + 1) if j != k]
            for i in range(n):
                for got, src in [(Jk[i, 0], full[i][k])] + [(Ju[i, c], full[i][j]) for c, j in enumerate(o)]:
                    # holds the entry, at most a hair wider (python-flint may round a wide ball's midpoint:
                    # "the same midpoint" of the docstring is not kept for wide balls)
                    assert got.contains(src), (k, i)
                    assert got.rad() <= src.rad() * (1 + arb(2) ** -20) + abs(src.mid()) * arb(2) ** -100, (k, i)
            Dn, fan = as_nball(D), as_nball(fa)
            Jun, Jkn = split_nb(k, Dn, fan)
            both = np.hstack([Dn.mid, fan.mid])
            assert np.array_equal(Jun.mid, both[:, o]) and np.array_equal(Jkn.mid, both[:, k:k + 1])


# --------------------------------------------------------------------------- close branches, box test
@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("delta", [F(1, 10 ** 6), F(1, 2 ** 40)])
def test_box_test_between_branches_a_hair_apart(monkeypatch, arith, delta):
    """x = a and x = a + delta (y = x), box test over thin and wide T from a centre on either branch or
    half way: an accepted U never holds the other branch's point (uniqueness), K holds its own."""
    monkeypatch.setattr(kt, "TUBE_ARITHMETIC", arith)
    monkeypatch.setattr(kt, "TUBE_TEST", "box")
    s = system([f"(x - a)*(x - a - {delta})", "y - x"])
    accepted = 0
    for h in (0.0, 2.0 ** -60, 1e-9, 1e-7, 1e-3):
        for x0 in (0.0, float(delta), float(delta) / 2):
            tb = Tube(s, PREC)
            zc = np.array([x0, x0, 0.0])
            with flint.ctx.workprec(PREC):
                T = hull(F(-h), F(h)) if h else arb(0)
                res = tb.krawczyk(2, T, zc)
                if res is None:
                    continue
                accepted += 1
                U, K = res[0], res[1]
                for t in {F(-h), F(0), F(h)}:
                    tb_ = exact_ball(t)
                    dball = exact_ball(delta)
                    on = [tb_ + dball] * 2 if x0 == float(delta) else [tb_] * 2
                    off = [tb_] * 2 if x0 == float(delta) else [tb_ + dball] * 2
                    if x0 == float(delta) / 2:        # both branches equidistant: U must not hold both
                        assert not (all(u.contains(v) for u, v in zip(U, [tb_] * 2))
                                    and all(u.contains(v) for u, v in zip(U, [tb_ + dball] * 2)))
                        continue
                    assert all(Ki.contains(v) for Ki, v in zip(K, on))
                    assert not all(u.contains(v) for u, v in zip(U, off))
    assert accepted >= 4


# --------------------------------------------------------------------------- a fold just outside T
@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("test", ["parametrised", "box"])
@pytest.mark.parametrize("gap", [F(1, 2 ** 60), F(1, 2 ** 53), F(1, 2 ** 27)])
def test_fold_just_outside_T_never_gives_uniqueness_over_both_branches(monkeypatch, arith, test, gap):
    """x^2 = a (y = x), a-chart pieces over [gap, gap + h] from a centre on x = +sqrt(a) or at 0: accepted
    pieces hold the 50-digit +sqrt(t) branch and never claim uniqueness over -sqrt(t) (the two branches are
    2 sqrt(gap) apart at the lower end)."""
    monkeypatch.setattr(kt, "TUBE_ARITHMETIC", arith)
    monkeypatch.setattr(kt, "TUBE_TEST", test)
    s = system(["x**2 - a", "y - x"])
    accepted = 0
    for h in (F(1, 2 ** 70), F(1, 2 ** 30), F(1, 2 ** 10)):      # dyadic: T's ends and midpoint exact balls
        lo, hi = gap, gap + h
        for x0 in (float(mp.sqrt(mp.mpf(float(lo + hi)) / 2)), float(mp.sqrt(mp.mpf(float(lo)))), 0.0):
            tb = Tube(s, PREC)
            zc = np.array([x0, x0, float((lo + hi) / 2)])
            with flint.ctx.workprec(PREC):
                res = tb.piece(2, hull(lo, hi), zc)
                if res is None:
                    continue
                accepted += 1
                p = Piece(2, lo, hi, 1, res[0], res[1], res[2], res[3], du=res[4], slant=res[5])
                for t in (lo, hi, (lo + hi) / 2):
                    tb_ = exact_ball(t)
                    r = tb_.sqrt()
                    assert not p.holds([-r, -r, tb_]), (float(t), x0)
                    assert p.holds([r, r, tb_]) and all(Ki.contains(r) for Ki in p.K), (float(t), x0)
    assert accepted >= 2        # the test is not vacuous (8 of 27 on 2026-11-29 in each setting)


@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("delta", [F(1, 2 ** 20), F(1, 2 ** 40)])
def test_parametrised_pieces_between_branches_a_hair_apart(monkeypatch, arith, delta):
    """x = a + a^3 and x = a + a^3 + delta (y = sin(x)): parametrised pieces (wide T, so the regularity of J_u
    on the hull is decided by contraction_times in numpy) from a centre on either branch: the uniqueness
    region never holds the other branch's point, and holds its own (dyadic t: exact balls)."""
    monkeypatch.setattr(kt, "TUBE_ARITHMETIC", arith)
    monkeypatch.setattr(kt, "TUBE_TEST", "parametrised")
    s = system([f"(x - a - a**3)*(x - a - a**3 - {delta})", "y - sin(x)"])
    accepted = 0
    for h in (F(1, 2 ** 30), F(1, 2 ** 20), F(1, 2 ** 8), F(1, 4)):
        for off in (F(0), delta):
            tb = Tube(s, PREC)
            zc = np.array([float(off), float(mp.sin(mp.mpf(float(off)))), 0.0])
            with flint.ctx.workprec(PREC):
                res = tb.piece(2, hull(-h, h), zc)
                if res is None:
                    continue
                accepted += 1
                p = Piece(2, -h, h, 1, res[0], res[1], res[2], res[3], du=res[4], slant=res[5])
                for t in (-h, F(0), h, h / 3 - h / 7):
                    ta = exact_ball(t)
                    base = ta + ta * ta * ta
                    for d, own in ((exact_ball(off), True), (exact_ball(delta - off), False)):
                        x = base + d
                        Z = [x, x.sin(), ta]
                        assert p.holds(Z) == own, (float(h), float(off), float(t), own)
    assert accepted >= 2


@pytest.mark.parametrize("arith", ARITH)
def test_one_tube_shared_by_threads_gives_pieces_that_hold_the_arc(monkeypatch, arith):
    """Four threads on one Tube (one evaluator, point's remembered Jacobians, split's 0/1 matrices) at
    different T and charts: every accepted piece holds the 50-digit arc (no foreign Jacobian or frame
    gives a wrong ball; a foreign float preconditioner may only cost success)."""
    import threading
    monkeypatch.setattr(kt, "TUBE_ARITHMETIC", arith)
    s = system(CURVED)
    tb = Tube(s, PREC)
    jobs = [(a, h, k) for a in (0.1, -0.3, 0.25) for h in (1e-3, 0.02) for k in (2, 0)]
    out, errors = [], []

    def run(part):
        try:
            with flint.ctx.workprec(PREC):
                for a, h, k in part:
                    z = tb.point(k, float(_curved(a)[k]), _curved(a) + 1e-4)
                    if z is None:
                        continue
                    lo, hi = F(float(z[k]) - h), F(float(z[k]) + h)
                    res = tb.piece(k, hull(lo, hi), z)
                    if res is not None:
                        out.append((Piece(k, lo, hi, 1, res[0], res[1], res[2], res[3], du=res[4], slant=res[5]), z))
        except Exception as e:      # pragma: no cover - reported below
            errors.append(repr(e))
    ts = [threading.Thread(target=run, args=(jobs[i::4],)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert len(out) >= 6
    rng = np.random.default_rng(8)
    for p, z in out:
        check_contains_truth(s, p, z, rng, m=2)


def _chain(n: int):
    names = [f"x{i}" for i in range(n)]
    rhs = ["x0 - sin(a)/2"] + [f"x{i} - {F(i + 1, 10)}*sin(a) - x{i - 1}**2/8" for i in range(1, n)]
    return system(rhs, names=names)


def _chain_point(n: int, a: float) -> np.ndarray:
    x = [np.sin(a) / 2]
    for i in range(1, n):
        x.append((i + 1) / 10 * np.sin(a) + x[-1] ** 2 / 8)
    return np.array(x + [a])


@pytest.mark.parametrize("n", [16, 17])
@pytest.mark.parametrize("arith", ARITH)
def test_pieces_at_the_numpy_size_thresholds_hold_the_fifty_digit_arc(monkeypatch, n, arith):
    """A triangular chain of n = 16, 17 equations (NB_ROWS = 16: numpy ball directions evaluated in python-flint
    up to 16 rows, with BLAS above; NUMPY_N = 16 the default numpy arithmetic): parametrised and box pieces in
    the a chart and an x chart hold the 50-digit arc."""
    monkeypatch.setattr(kt, "TUBE_ARITHMETIC", arith)
    s = _chain(n)
    rng = np.random.default_rng(n)
    accepted = 0
    for test in ("parametrised", "box"):
        monkeypatch.setattr(kt, "TUBE_TEST", test)
        for a, h, k in ((0.3, 0.01, n), (-0.2, 1e-5, n), (0.3, 1e-3, 0)):
            z0 = _chain_point(n, a)
            tb = Tube(s, PREC)
            z = tb.point(k, float(z0[k]), z0 + 1e-6)
            assert z is not None
            p = _piece_around(tb, k, z, h)
            if p is None:
                continue
            accepted += 1
            check_contains_truth(s, p, z, rng, m=1)
    assert accepted >= 3

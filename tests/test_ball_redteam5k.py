"""Red team (session 5k) on runtime/ball.py's changes: frame keys by exact mutual containment (hash of one
float: points equal to 53 bits but not to 128, a parameter one ulp or 2^-100 away, radii one unit of the
30-bit magnitude apart, another precision), entrywise products as diagonal matrix products (``_had_diag``:
exact zeros next to huge or non-finite entries), an exact identity direction applied as ``Eye``,
``ipow(x, 2) = x x``. Ground truth: an evaluator of the same class and data without frames (a stale
frame hit would differ from it), exact Fractions of arb end points, and 50-digit mpmath values."""
import threading
from fractions import Fraction as F
from pathlib import Path

import mpmath
import numpy as np
import pytest
from flint import arb, arb_mat, ctx

from symhopf.model import Model
from symhopf.runtime import ball as _b
from symhopf.runtime.npball import NBall
from symhopf.system import System

ROOT = Path(__file__).resolve().parents[1]
PREC = 128
METHODS = ["f", "Df", "f_a", "Df_a", "f_aa", "Df_aa"]


def _system(name: str) -> System:
    return System.from_model(Model.from_toml(ROOT / "examples" / f"{name}.toml"))


def _fresh(ev):
    """The same evaluator (class, data) with no frames."""
    fresh = object.__new__(type("NoFrames", (type(ev),), {"FRAMES": False}))
    fresh.__dict__.update({k: v for k, v in ev.__dict__.items() if k not in ("_frames", "_lock")})
    return fresh


def _same(got, want) -> bool:
    if isinstance(got, NBall):
        return np.array_equal(got.mid, want.mid, equal_nan=True) and np.array_equal(got.rad, want.rad, equal_nan=True)
    return [(e.mid().man_exp(), e.rad().man_exp()) for e in got.entries()] == \
        [(e.mid().man_exp(), e.rad().man_exp()) for e in want.entries()]


def _exact(e: arb) -> F:
    man, exp = e.man_exp()
    return F(int(man)) * F(2) ** int(exp)


def _holds(e: arb, value: F) -> bool:
    """The ball e holds the exact rational ``value`` (end points compared exactly)."""
    return e.is_finite() is False or abs(value - _exact(e.mid())) <= _exact(e.rad())


def _points(n: int, prec: int):
    """Keys that agree in the hashed floats (first entry of x, a) but are other balls."""
    base = [0.3 + 0.1 * i for i in range(n)]
    d = arb(2) ** -100
    X0 = arb_mat(n, 1, [arb(v) for v in base])
    X1 = arb_mat(n, 1, [arb(v) + (d if i == 0 else 0) for i, v in enumerate(base)])     # same float(x[0, 0])
    X2 = arb_mat(n, 1, [arb(v) + (d if i == n - 1 else 0) for i, v in enumerate(base)])
    X3 = arb_mat(n, 1, [arb(v, 2.0 ** -30) for v in base])
    X4 = arb_mat(n, 1, [arb(v, 2.0 ** -30 * (1 + 2.0 ** -29)) for v in base])         # next 30-bit radius
    X5 = arb_mat(n, 1, [arb(np.nextafter(v, 2)) if i == 1 else arb(v) for i, v in enumerate(base)])
    a0 = arb(0.7)
    return [(X0, a0), (X1, a0), (X2, a0), (X0, a0 + d), (X0, arb(np.nextafter(0.7, 1))), (X3, a0), (X4, a0),
            (X5, a0), (X0, arb(0.7, 2.0 ** -30)), (X0, arb(0.7, 2.0 ** -30 * (1 + 2.0 ** -29))), (X0, a0)]


@pytest.mark.parametrize("name", ["gain3", "wilson_cowan", "elman3", "gru2", "brusselator"])
def test_frames_at_keys_that_collide_in_their_hash_give_the_fresh_values(name):
    """Interleaved calls at points equal to 53 bits (the hash) but not as balls, and the same points at 53
    and 128 bits: every result the same balls as an evaluator without frames."""
    system = _system(name)
    n = system.n
    rng = np.random.default_rng(1)
    for prec in (PREC, 53):
        with ctx.workprec(PREC):
            pts = _points(n, PREC)
        with ctx.workprec(prec):
            ev = system.ball(prec)
            fresh = _fresh(ev)
            for step in range(60):
                X, a = pts[int(rng.integers(len(pts)))]
                meth = METHODS[int(rng.integers(len(METHODS)))]
                got = getattr(ev, meth)(X, a)
                want = getattr(fresh, meth)(arb_mat(X), a)
                assert _same(got, want), (name, prec, step, meth)


def test_frames_at_points_equal_to_53_bits_give_different_values_at_128():
    """gain3 at 128 bits: f at x and at x + 2^-100 e_0 (one hash) are different balls, each the fresh value."""
    system = _system("gain3")
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        pts = _points(3, PREC)
        (X0, a), (X1, _) = pts[0], pts[1]
        f0, f1, f0b = ev.f(X0, a), ev.f(X1, a), ev.f(X0, a)
        assert not _same(f0, f1)
        assert _same(f0, f0b) and _same(f1, _fresh(ev).f(arb_mat(X1), a))


def test_frames_across_precisions_in_one_evaluator():
    """One evaluator called under two working precisions at the same balls: each as fresh at that precision."""
    system = _system("wilson_cowan")
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        X = arb_mat(system.n, 1, [arb(1) / 3 for _ in range(system.n)])
        a = arb(1) / 7
    for prec in (PREC, 53, PREC, 30, 53):
        with ctx.workprec(prec):
            assert _same(ev.Df(X, a), _fresh(ev).Df(arb_mat(X), a)), prec


def test_threads_at_points_equal_to_53_bits():
    """Two threads on one evaluator at X0 and X0 + 2^-100 e_0 (one hash): each thread's results as fresh."""
    system = _system("gain3")
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        pts = _points(3, PREC)
    (X0, a), (X1, _) = pts[0], pts[1]
    errors = []

    def run(X):
        with ctx.workprec(PREC):
            fresh = _fresh(ev)
            for meth in METHODS * 5:
                if not _same(getattr(ev, meth)(X, a), getattr(fresh, meth)(arb_mat(X), a)):
                    errors.append(meth)
    ts = [threading.Thread(target=run, args=(X,)) for X in (X0, X1, X0, X1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


@pytest.mark.parametrize("form", ["flint", "numpy"])
def test_identity_direction_as_eye_and_near_identities(form):
    """Df_apply with an exact identity (python-flint or numpy, taken as Eye) equals Df; a near identity
    (one off-diagonal radius 2^-1074, a diagonal entry one ulp from 1) is not taken as one: the result
    equals the fresh product with that matrix."""
    system = _system("gain3")
    n = system.n
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        X, a = arb_mat(n, 1, [arb(0.3), arb(-0.2), arb(0.5)]), arb(1.5)
        D = ev.Df(X, a)
        mats = []
        for rad_off, diag1 in [(0.0, 1.0), (5e-324, 1.0), (0.0, np.nextafter(1.0, 2))]:
            mid = np.eye(n)
            mid[0, 0] = diag1
            rad = np.zeros((n, n))
            rad[1, 2] = rad_off
            mats.append(NBall(mid, rad) if form == "numpy" else NBall(mid, rad).to_mat())
        for k, M in enumerate(mats):
            got = ev.Df_apply(X, a, M)
            got = got.to_mat() if isinstance(got, NBall) else got
            Mm = M.to_mat() if isinstance(M, NBall) else M
            want = D * Mm
            for i in range(n):
                for j in range(n):
                    # both hold the exact product of Df's midpoint with M's midpoint
                    if k == 0:
                        tol = 2.0 ** -50 * abs(float(D[i, j].mid())) if form == "numpy" else 1e-30   # numpy: back to 53 bits
                        assert got[i, j].contains(D[i, j]) and got[i, j].rad() <= 2 * D[i, j].rad() + tol
                    else:
                        assert got[i, j].overlaps(want[i, j])
            if k == 2:
                assert not _b._is_identity(M)


def _exact_products(c: arb_mat, M: arb_mat, out: arb_mat) -> None:
    for i in range(M.nrows()):
        for j in range(M.ncols()):
            if not (c[i, 0].is_finite() and M[i, j].is_finite()):
                assert not out[i, j].is_finite() or out[i, j].contains(c[i, 0] * M[i, j]), (i, j)
                continue
            cm, cr = _exact(c[i, 0].mid()), _exact(c[i, 0].rad())
            mm, mr = _exact(M[i, j].mid()), _exact(M[i, j].rad())
            for p in (cm - cr, cm + cr):
                for q in (mm - mr, mm + mr):
                    assert _holds(out[i, j], p * q), (i, j, out[i, j])


@pytest.mark.parametrize("n", [2, 5, 32])
def test_had_diag_holds_the_exact_entrywise_products(n):
    """c o M by diag(c) M (n <= DIAG_ROWS): exact zeros in c next to huge, tiny and infinite entries of M
    (0 * inf must not become a finite wrong ball; c_i M_ik's ball holds every vertex product)."""
    rng = np.random.default_rng(n)
    vals = [0.0, 5e-324, 2.0 ** 1000, -2.0 ** -1000, 1.0 / 3, float("inf"), 1e300]
    with ctx.workprec(PREC):
        c = arb_mat(n, 1, [arb(vals[i % 5] if i % 3 else 0.0, 0.0 if i % 2 else 2.0 ** -40) for i in range(n)])
        c[0, 0] = arb(0)
        ents = []
        for i in range(n):
            for j in range(3):
                v = vals[int(rng.integers(len(vals)))]
                ents.append(arb(v, 0.0 if j else 1e-20) if np.isfinite(v) else arb(0, v))
        M = arb_mat(n, 3, ents)
        M[min(1, n - 1), 0] = arb("inf")
        out = _b._had_diag([c, M], n, 3)
        _exact_products(c, M, out)
        out2 = _b.had(c, M)
        _exact_products(c, M, out2)
        for j in range(3):       # row 0: exact 0 times finite entries stays a ball holding 0
            if M[0, j].is_finite():
                assert out[0, j].contains(0)


def test_had_of_two_columns_and_a_matrix():
    """Two n x 1 factors and a full one: diag(c1) (diag(c2) M) holds the triple products."""
    n = 4
    with ctx.workprec(PREC):
        c1 = arb_mat(n, 1, [arb(1) / 3, arb(0), arb(2.0 ** 500), arb(-5e-324)])
        c2 = arb_mat(n, 1, [arb(3), arb(7, 1), arb(2.0 ** 500), arb(2.0 ** 1000)])
        M = arb_mat(n, 2, [arb(1), arb(-1, 0.5), arb(1e300), arb(2), arb(2.0 ** -500), arb(0),
                           arb(1) / 7, arb(-2.0 ** 100)])
        out = _b.had(c1, c2, M)
        for i in range(n):
            for j in range(2):
                lo_hi = [_exact(c1[i, 0].mid()) * a * b for a in (_exact(c2[i, 0].mid()) - _exact(c2[i, 0].rad()),
                                                                 _exact(c2[i, 0].mid()) + _exact(c2[i, 0].rad()))
                         for b in (_exact(M[i, j].mid()) - _exact(M[i, j].rad()), _exact(M[i, j].mid()) + _exact(M[i, j].rad()))]
                for v in lo_hi:
                    assert _holds(out[i, j], v), (i, j)


@pytest.mark.parametrize("x", [arb(0, 1e-20), arb(-1e-20, 1e-20), arb(1) / 3, arb(-2.0 ** 500, 2.0 ** 400), arb(5e-324)])
def test_ipow_square_holds_every_square(x):
    with ctx.workprec(PREC):
        y = _b.ipow(x, 2)
        m, r = _exact(x.mid()), _exact(x.rad())
        for v in (m - r, m, m + r):
            assert _holds(y, v * v)
        if x.contains(0):
            assert _holds(y, F(0))


EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.toml") if p.stem not in ("paper_n50", "paper_n400"))


def _eye(n):
    return arb_mat(n, n, [int(i == j) for i in range(n) for j in range(n)])


@pytest.mark.parametrize("name", EXAMPLES)
def test_identity_directions_results_are_the_callers_own_and_agree_with_unit_columns(name):
    """Every example: Df_apply / Df_a_apply / B with an exact identity direction (taken as Eye: ``mm(W, Eye)``
    is W itself) give results the caller may overwrite without changing later values (a fresh evaluator
    agrees after the overwrite), and column j overlaps the result for the unit column e_j (both enclose the
    same numbers)."""
    system = _system(name)
    n = system.n
    if n > 20:
        pytest.skip("large")
    with ctx.workprec(PREC):
        X = arb_mat(n, 1, [arb(0.1 * (i + 1)) for i in range(n)])
        a = arb(0.3)
        ones = arb_mat(n, 1, [arb(1)] * n)
        calls = [("Df_apply", (_eye(n),)), ("Df_apply", (NBall(np.eye(n), 0.0),)), ("Df_a_apply", (_eye(n),)),
                 ("Df_a_apply", (NBall(np.eye(n), 0.0),)), ("B", (ones, _eye(n))), ("Df", ()), ("Df_a", ())]
        ev = system.ball(PREC)
        for meth, args in calls:
            g = getattr(ev, meth)(X, a, *args)
            gm = g.to_mat() if isinstance(g, NBall) else g
            for j in range(n):
                e = arb_mat(n, 1, [int(i == j) for i in range(n)])
                base = {"Df": "Df_apply", "Df_a": "Df_a_apply"}.get(meth, meth)
                cargs = (ones, e) if meth == "B" else (e,)
                col = getattr(system.ball(PREC), base)(arb_mat(X), a, *cargs)
                col = col.to_mat() if isinstance(col, NBall) else col
                for i in range(n):
                    assert gm[i, j].overlaps(col[i, 0]), (name, meth, i, j)
            for i in range(n):                       # the caller overwrites its result
                for j in range(n):
                    if isinstance(g, NBall):
                        g.mid[i, j] = 777.0
                    else:
                        g[i, j] = arb(777)
            fresh = system.ball(PREC)
            for meth2, args2 in calls + [("f", ()), ("f_a", ())]:
                assert _same(_conv(getattr(ev, meth2)(arb_mat(X), a, *args2)),
                             _conv(getattr(fresh, meth2)(arb_mat(X), a, *args2))), (name, meth, meth2)


def _conv(m):
    return m.to_mat() if isinstance(m, NBall) else m


@pytest.mark.parametrize("name", EXAMPLES)
def test_identity_as_last_direction_of_b_a_and_c_agrees_with_unit_columns(name):
    """B, B_a and C with an exact identity last direction (python-flint or numpy; taken as Eye) at a ball
    point: column j overlaps the unit-column evaluation and is at most 4 times as wide."""
    system = _system(name)
    n = system.n
    if n > 20:
        pytest.skip("large")
    with ctx.workprec(PREC):
        X = arb_mat(n, 1, [arb(0.1 * (i + 1), 1e-3) for i in range(n)])
        a = arb(0.3, 1e-3)
        u = arb_mat(n, 1, [arb(0.7 - 0.2 * i) for i in range(n)])
        v = arb_mat(n, 1, [arb(-0.3 + 0.5 * i) for i in range(n)])
        for meth, lead in [("B_a", (u,)), ("C", (u, v)), ("B", (u,))]:
            for I in (_eye(n), NBall(np.eye(n), 0.0)):
                g = _conv(getattr(system.ball(PREC), meth)(X, a, *lead, I))
                for j in range(n):
                    e = arb_mat(n, 1, [int(i == j) for i in range(n)])
                    col = _conv(getattr(system.ball(PREC), meth)(arb_mat(X), a, *lead, e))
                    for i in range(n):
                        assert g[i, j].overlaps(col[i, 0]), (meth, i, j)
                        assert g[i, j].rad() <= 4 * col[i, 0].rad() + arb(2) ** -40 * abs(col[i, 0].mid()) + 1e-30


def test_large_net_numpy_diagonal_directions_agree_with_python_flint_columns():
    """paper_n50 (numpy ball directions, n > NB_ROWS): the identity, a diagonal ball matrix and one that is
    diagonal but for 2^-1074 off the diagonal, through Df_apply / Df_a_apply (s'(x) o D stays diagonal:
    the O(n^2) product): every checked column overlaps the python-flint evaluation of that column."""
    system = _system("paper_n50")
    n = system.n
    rng = np.random.default_rng(0)
    with ctx.workprec(53):
        X = arb_mat(n, 1, [arb(float(v), 1e-6) for v in rng.uniform(-1, 1, n)])
        a = arb(0.3, 1e-6)
        ev = system.ball(53)
        dirs = [NBall(np.eye(n), 0.0),
                NBall(np.diag(rng.standard_normal(n)), np.diag(np.abs(rng.standard_normal(n)) * 1e-8)),
                NBall(np.diag(rng.standard_normal(n)) + np.where(np.eye(n) > 0, 0.0, 5e-324), 0.0)]
        for D in dirs:
            for meth in ("Df_apply", "Df_a_apply"):
                g = getattr(ev, meth)(X, a, D)
                assert isinstance(g, NBall)
                for j in rng.choice(n, 5, replace=False):
                    e = arb_mat(n, 1, [arb(float(D.mid[i, j]), float(D.rad[i, j])) for i in range(n)])
                    col = _conv(getattr(system.ball(53), meth)(arb_mat(X), a, e))
                    for i in range(n):
                        assert arb(float(g.mid[i, j]), float(g.rad[i, j])).overlaps(col[i, 0]), (meth, i, j)


def test_large_net_numpy_diagonal_direction_holds_the_fifty_digit_product():
    """paper_n50, f = tanh((W + a I) x + b): Df_apply(x, a, D) = sech^2(z) o ((W + a I) D) with D the identity,
    an exact diagonal and a diagonal with 2^-1074 and -0.0 off the diagonal (numpy ball directions: the
    O(n^2) diagonal product where D is exactly diagonal). Every entry holds the 60-digit value."""
    system = _system("paper_n50")
    n = system.n
    rng = np.random.default_rng(2)
    with ctx.workprec(53):
        ev = system.ball(53)
        W = [[_exact(ev.d_W[i, j].mid()) for j in range(n)] for i in range(n)]
        b = [_exact(ev.d_b[i, 0].mid()) for i in range(n)]
        assert all(ev.d_W[i, j].rad() == 0 for i in range(n) for j in range(n))
        xs = rng.uniform(-1, 1, n)
        av = 0.0625 + 2.0 ** -40
        X, a = arb_mat(n, 1, [arb(float(v)) for v in xs]), arb(av)
        dmid = np.diag(rng.standard_normal(n))
        d2 = dmid.copy()
        d2[0, 1], d2[3, 2], d2[5, 4] = 5e-324, -0.0, -5e-324
        for D in (np.eye(n), dmid, d2):
            g = ev.Df_apply(X, a, NBall(D, 0.0))
            with mpmath.workdps(60):
                Wa = [[mpmath.mpf(W[i][j].numerator) / W[i][j].denominator + (av if i == j else 0) for j in range(n)]
                      for i in range(n)]
                z = [sum(Wa[i][j] * xs[j] for j in range(n)) + mpmath.mpf(b[i].numerator) / b[i].denominator
                     for i in range(n)]
                s2 = [1 / mpmath.cosh(t) ** 2 for t in z]
                nz = [(l, j) for l in range(n) for j in range(n) if D[l, j] != 0]
                prod = [[mpmath.mpf(0)] * n for _ in range(n)]
                for l, j in nz:
                    for i in range(n):
                        prod[i][j] += Wa[i][l] * mpmath.mpf(float(D[l, j]))
                for i in range(n):
                    for j in range(n):
                        truth = s2[i] * prod[i][j]
                        assert abs(truth - mpmath.mpf(float(g.mid[i, j]))) <= mpmath.mpf(float(g.rad[i, j])), (i, j)

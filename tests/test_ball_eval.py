"""Ball evaluation speed-ups (issue 17): act_map and the monotone kernels, numpy ball
directions evaluated in python-flint for small n (BallBase._apply; an exact identity as Eye),
entrywise products as diagonal matrix products (_had_diag), W + s I applied densely for small n. Ground truth: 50-digit mpmath (forward-mode jets of the layered tanh net, and the
componentwise SymPy reference of test_codegen); the old numpy-ball route (NB_ROWS = 0) must
agree."""
import tomllib
from decimal import Decimal
from pathlib import Path

import mpmath
import numpy as np
import pytest
from flint import arb, arb_mat, ctx

from symhopf.runtime import ball as _b
from symhopf.runtime import npball as _nb
from symhopf.runtime.npball import NBall
from symhopf.system import System
from symhopf.model import Model
from test_codegen import assert_contains, reference_values, setup

ROOT = Path(__file__).resolve().parents[1]
PREC = 128


# ---------------------------------------------------------------- act_map and tanh memos
def _direct(fn, x: arb_mat) -> arb_mat:
    return arb_mat(x.nrows(), x.ncols(), [fn(arb(e)) for e in x.entries()])


def _same(p, q) -> bool:
    return p.contains(q) and q.contains(p)


def _s1(z):
    return 1 - _b.ipow(_b.tanh(z), 2)


def _s2(z):
    t = _b.tanh(z)
    return 2 * t * (_b.ipow(t, 2) - 1)


def test_act_map_gives_the_direct_values():
    """Same balls as the entry-by-entry evaluation, on a first call, a repeat, another fn of the same
    argument, and at another precision (not the 128-bit result at 53 bits)."""
    entries = [arb(3), arb(3, 1e-9), arb(-40), arb(0.5, 0.25), arb(1e-30, 1e-40), arb(25, 2)]
    with ctx.workprec(PREC):
        x = arb_mat(6, 1, entries)
        for fn in (_b.tanh, _s1, _s2, _s1):
            assert _same(_b.act_map(fn, x), _direct(fn, x))
    with ctx.workprec(53):
        x53 = arb_mat(6, 1, entries)
        got = _b.act_map(_s1, x53)
        assert _same(got, _direct(_s1, x53))
    with ctx.workprec(PREC):
        assert _b.act_map(_s1, x)[0, 0].rel_accuracy_bits() > 100    # not the 53-bit ball


def test_act_map_is_safe_against_mutation():
    """The caller may change the matrix it got, or the argument, in place: later values are not affected."""
    with ctx.workprec(PREC):
        x = arb_mat(3, 1, [arb(0.1), arb(-2), arb(7, 1e-3)])
        first = _b.act_map(_s1, x)
        first[0, 0] = arb(123)
        assert _same(_b.act_map(_s1, x), _direct(_s1, x))
        x[1, 0] = arb(0.3, 1e-6)                                  # same object, new content
        assert _same(_b.act_map(_s1, x), _direct(_s1, x))
        y = arb_mat(3, 1, [arb(0.1), arb(0.3, 2e-6), arb(7, 1e-3)])   # differs in one radius only
        assert _same(_b.act_map(_s1, y), _direct(_s1, y))


def test_act_map_on_numpy_balls():
    """An NBall argument: the python-flint values of its balls, converted by as_nball."""
    mid = np.array([[0.0, 40.0], [-3.5, 1e-300], [0.25, -20.0]])
    rad = np.array([[0.0, 1e-3], [1e-12, 0.0], [0.1, 5.0]])
    with ctx.workprec(PREC):
        X = NBall(mid, rad)
        for _ in range(2):
            got = _b.act_map(_s2, X)
            want = _nb.as_nball(_direct(_s2, X.to_mat()))
            assert np.array_equal(got.mid, want.mid) and np.array_equal(got.rad, want.rad)
        # every point of X: its value lies in the result
        for z, r, m, rr in zip(mid.ravel(), rad.ravel(), got.mid.ravel(), got.rad.ravel()):
            for t in (z - r, z, z + r):
                with mpmath.workdps(50):
                    th = mpmath.tanh(mpmath.mpf(t))
                    val = 2 * th * (th ** 2 - 1)
                assert abs(val - mpmath.mpf(m)) <= mpmath.mpf(rr) * (1 + mpmath.mpf(10) ** -40)


def test_monotone_kernels_follow_the_precision():
    with ctx.workprec(53):
        z = arb(1) / 3
        low = _b.tanh(z)
    with ctx.workprec(PREC):
        high = _b.tanh(z)
        assert high.rel_accuracy_bits() > low.rel_accuracy_bits()
        assert _same(_b.tanh(z), high)
        w = arb(1) / 3 + arb(0, 0.5)                            # wide: end points
        assert _same(_b.tanh(w), arb.tanh(w.lower()).union(arb.tanh(w.upper())))
        assert _b.tanh(arb("nan")).is_nan() if hasattr(arb, "is_nan") else True


@pytest.mark.parametrize("prec", [53, PREC])
def test_square_of_a_wide_ball_is_the_product_power_hull(prec):
    """ipow(x, 2) on a wide ball (the k = 2 shortcut) is, bit for bit, the hull of the end points'
    product powers (and 0 when x straddles 0) that the general path computes, and it holds x^2 at
    the end points and the midpoint (exact rationals)."""
    from fractions import Fraction
    rng = np.random.default_rng(11)
    with ctx.workprec(prec):
        for _ in range(3000):
            x = arb(float(rng.uniform(-3, 3)), float(rng.choice([1e-6, 1e-3, 0.1, 1.0, 3.0])))
            lo, hi = x.lower(), x.upper()
            want = _b._product_power(lo, 2).union(_b._product_power(hi, 2))
            if lo < 0 < hi:
                want = want.union(arb(0))
            got = _b.ipow(x, 2)
            assert got.mid() == want.mid() and got.rad() == want.rad()
            for e in (lo, hi, x.mid()):
                m, ex = e.mid().man_exp()
                q = Fraction(int(m)) * Fraction(2) ** int(ex)
                assert got.contains(arb((q * q).numerator) / (q * q).denominator)


def test_identity_test_of_numpy_balls_reads_every_entry():
    """-0.0 off the diagonal is still the identity (the same set); a nan, an inf or a radius anywhere is not."""
    n = 6
    mid = np.eye(n)
    mid[1, 2] = -0.0
    assert _b._is_identity(NBall(mid, 0.0))
    for bad in (np.nan, np.inf):
        m = np.eye(n)
        m[5, 0] = bad
        assert not _b._is_identity(NBall(m, 0.0))
    m = np.eye(n)
    m[3, 3] = np.nan
    assert not _b._is_identity(NBall(m, 0.0))
    assert not _b._is_identity(NBall(np.eye(n), np.eye(n) * 2.0 ** -1074))
    assert not _b._is_identity(NBall(np.eye(_b.NB_ROWS + 1), 0.0))      # beyond NB_ROWS: never Eye


# ---------------------------------------------------------------- the paper's 3-layer net vs 50-digit jets
def _paper():
    with open(ROOT / "examples" / "paper_multilayer.toml", "rb") as fh:
        doc = tomllib.load(fh, parse_float=Decimal)
    return [(
        [[mpmath.mpf(str(w)) for w in row] for row in layer["weights"]],
        [mpmath.mpf(str(b)) for b in layer["bias"]]) for layer in doc["rnn"]["layers"]]


def _jet(layers, x, a, p, q):
    """f, its derivative along p and the second derivative along (p, q) at (x, a), each of p, q a
    direction (dx, da) of (x, a): layer ``z = (W + a I) h + b``, ``h' = tanh(z)``:
    ``z_p = (W + aI) h_p + p_a h``, ``z_pq = (W + aI) h_pq + p_a h_q + q_a h_p``,
    ``h'_p = s' z_p``, ``h'_pq = s'' z_p z_q + s' z_pq`` (s' = 1 - t^2, s'' = -2 t s')."""
    n = len(x)
    h, hp, hq, hpq = list(x), list(p[0]), list(q[0]), [mpmath.mpf(0)] * n
    for W, b in layers:
        def lin(v):
            return [mpmath.fsum(W[i][j] * v[j] for j in range(n)) + a * v[i] for i in range(n)]
        z = [s + bi for s, bi in zip(lin(h), b)]
        zp = [s + p[1] * hi for s, hi in zip(lin(hp), h)]
        zq = [s + q[1] * hi for s, hi in zip(lin(hq), h)]
        zpq = [s + p[1] * hqi + q[1] * hpi for s, hqi, hpi in zip(lin(hpq), hq, hp)]
        t = [mpmath.tanh(zi) for zi in z]
        s1 = [1 - ti ** 2 for ti in t]
        s2 = [-2 * ti * s for ti, s in zip(t, s1)]
        h = t
        hp = [s * v for s, v in zip(s1, zp)]
        hq = [s * v for s, v in zip(s1, zq)]
        hpq = [s2i * vp * vq + s1i * vpq for s2i, vp, vq, s1i, vpq in zip(s2, zp, zq, s1, zpq)]
    return h, hp, hpq


def _paper_reference(x, a, u):
    """Columns j of Df e_j, Df_a e_j, B(u, e_j), and f_a, at 50 digits."""
    n = len(x)
    with mpmath.workdps(50):
        layers = _paper()
        X, A, U = [mpmath.mpf(v) for v in x], mpmath.mpf(a), [mpmath.mpf(v) for v in u]
        zero = [mpmath.mpf(0)] * n
        cols = {"Df": [], "Df_a": [], "B": []}
        for j in range(n):
            e = [mpmath.mpf(int(i == j)) for i in range(n)]
            _, fp, fpq = _jet(layers, X, A, (e, 0), (zero, 1))
            cols["Df"].append(fp)
            cols["Df_a"].append(fpq)
            cols["B"].append(_jet(layers, X, A, (U, 0), (e, 0))[2])
        f_a = _jet(layers, X, A, (zero, 1), (zero, 0))[1]
    out = {k: [[c[i] for c in v] for i in range(n)] for k, v in cols.items()}
    out["f_a"] = [[t] for t in f_a]
    return out


POINTS = [
    ("zero", [0.0] * 6, 0.0),
    ("random", list(np.random.default_rng(5).uniform(-1, 1, 6)), 0.37),
    ("saturated", [40.0, -35.0, 30.0, -50.0, 45.0, -30.0], 0.9),    # |z| large: s', s'' ~ e^-2|z|
    ("mixed", [0.0, 25.0, -1e-3, 3.0, -40.0, 0.5], -0.8),
]


@pytest.fixture(scope="module")
def paper():
    return System.from_model(Model.from_toml(ROOT / "examples" / "paper_multilayer.toml"))


@pytest.mark.parametrize("route", ["flint", "numpy"])
@pytest.mark.parametrize("label, x, a", POINTS, ids=[p[0] for p in POINTS])
def test_paper_net_contains_the_50_digit_values(paper, label, x, a, route, monkeypatch):
    """Df_apply(I), Df_a_apply(I), B(u, I) with numpy ball directions (the tube's calls), by both
    routes, and Df, Df_a, B with python-flint matrices, f_a: contain the 50-digit jets, at 0, a
    random point and where tanh saturates; the python-flint route is no wider than the numpy one
    beyond the last bits (both hold the same values)."""
    if route == "numpy":
        monkeypatch.setattr(_b, "NB_ROWS", 0)
    n = 6
    u = list(np.random.default_rng(9).uniform(-1, 1, n))
    want = _paper_reference(x, a, u)
    with ctx.workprec(PREC):
        ev = paper.ball(PREC)
        X, A = arb_mat(n, 1, [arb(v) for v in x]), arb(a)
        I = NBall(np.eye(n), 0.0)
        Un = NBall(np.array(u).reshape(n, 1), 0.0)
        got = {"Df": ev.Df_apply(X, A, I), "Df_a": ev.Df_a_apply(X, A, I), "B": ev.B(X, A, Un, I)}
        for name, val in got.items():
            assert isinstance(val, NBall)
            assert_contains(val.to_mat(), want[name], f"{name} ({route})")
        assert_contains(ev.Df(X, A), want["Df"], "Df")
        assert_contains(ev.Df_a(X, A), want["Df_a"], "Df_a")
        assert_contains(ev.B(X, A, Un.to_mat(), _b.mat(n, n, [int(i == j) for i in range(n) for j in range(n)])),
                        want["B"], "B")
        assert_contains(ev.f_a(X, A), want["f_a"], "f_a")
        if route == "flint":
            monkeypatch.setattr(_b, "NB_ROWS", 0)
            old = ev.B(X, A, Un, I)
            new = got["B"]
            assert np.all(new.rad <= old.rad * 1.001 + 1e-300)
            assert np.all(np.abs(new.mid - old.mid) <= new.rad + old.rad)


@pytest.mark.parametrize("name", ["multilayer", "brusselator", "leaky sigmoid", "direction"])
@pytest.mark.parametrize("route", ["flint", "numpy"])
def test_numpy_ball_directions_contain_the_50_digit_values(name, route, monkeypatch):
    """Other architectures and an ODE: numpy ball directions by both routes contain the
    componentwise reference (test_codegen), B and C with an n x 2 direction."""
    if route == "numpy":
        monkeypatch.setattr(_b, "NB_ROWS", 0)
    model, system, ref = setup(name)
    n = model.n
    rng = np.random.default_rng(len(name))
    lo, hi = (float(q) for q in model.range)
    for x in ([0.0] * n, list(rng.uniform(-2, 2, n)), [30.0 * (-1) ** i for i in range(n)]):
        a = (lo + hi) / 2
        u, v, w = (list(rng.uniform(-1, 1, n)) for _ in range(3))
        V2 = NBall(np.column_stack([v, w]), 0.0)
        Un, Vn = NBall(np.array(u).reshape(n, 1), 0.0), NBall(np.array(v).reshape(n, 1), 0.0)
        with ctx.workprec(PREC):
            ev = system.ball(PREC)
            X, A = arb_mat(n, 1, [arb(t) for t in x]), arb(a)
            I = NBall(np.eye(n), 0.0)
            assert_contains(ev.Df_apply(X, A, I).to_mat(), reference_values(ref, "Df", x, a, u, v, w), "Df")
            assert_contains(ev.Df_a_apply(X, A, I).to_mat(), reference_values(ref, "Df_a", x, a, u, v, w), "Df_a")
            if route == "numpy" and model.kind == "ode":
                continue                    # ODE code takes python-flint directions only (krawczyk_tube.Tube.apply_nb)
            assert_contains(ev.B(X, A, Un, V2).to_mat(), reference_values(ref, "B", x, a, u, v, w), "B")
            assert_contains(ev.B_a(X, A, Un, V2).to_mat(), reference_values(ref, "B_a", x, a, u, v, w), "B_a")
            assert_contains(ev.C(X, A, Un, Vn, V2).to_mat(), reference_values(ref, "C", x, a, u, v, w), "C")


def test_wide_box_encloses_sampled_values(paper):
    """x and a wide (the tube's boxes): Df_a_apply(I) and B(u, I) by the python-flint route hold the
    50-digit values at sampled points of the box."""
    n = 6
    rng = np.random.default_rng(2)
    mid, r, a_mid, a_rad = rng.uniform(-1, 1, n), 0.05, 0.3, 0.01
    u = list(rng.uniform(-1, 1, n))
    with ctx.workprec(PREC):
        ev = paper.ball(PREC)
        X, A = arb_mat(n, 1, [arb(float(m), r) for m in mid]), arb(a_mid, a_rad)
        I, Un = NBall(np.eye(n), 0.0), NBall(np.array(u).reshape(n, 1), 0.0)
        Dfa, B = ev.Df_a_apply(X, A, I).to_mat(), ev.B(X, A, Un, I).to_mat()
    for _ in range(4):
        x = list(mid + rng.uniform(-r, r, n))
        a = a_mid + rng.uniform(-a_rad, a_rad)
        want = _paper_reference(x, a, u)
        assert_contains(Dfa, want["Df_a"], "Df_a")
        assert_contains(B, want["B"], "B")


# ---------------------------------------------------------------- frames: nodes of (x, a) kept per call
def _calls(ev, X, A, n):
    I = NBall(np.eye(n), 0.0)
    U = NBall(np.linspace(-1, 1, n).reshape(n, 1), 1e-9)
    Ia = _b.mat(n, n, [int(i == j) for i in range(n) for j in range(n)])
    return [ev.f(X, A), ev.Df(X, A), ev.f_a(X, A), ev.Df_a(X, A), ev.f_aa(X, A), ev.Df_aa(X, A),
            ev.Df_apply(X, A, I), ev.Df_a_apply(X, A, I), ev.B(X, A, U, I), ev.B(X, A, U.to_mat(), Ia),
            ev.C(X, A, U, U, I), ev.B_a(X, A, U, I)]


def _identical(p, q) -> bool:
    if isinstance(p, NBall):
        return np.array_equal(p.mid, q.mid) and np.array_equal(p.rad, q.rad)
    return _same(p, q)


def test_frames_give_the_values_of_a_fresh_evaluation(paper, monkeypatch):
    """Every public method, called in a row on one (x, a), on a second point, back on the first,
    at another precision: the same balls as with no frames kept (FRAMES off: every node computed)."""
    n = 6
    pts = [([0.1 * i - 0.2 for i in range(n)], 0.3, 1e-6), ([2.0, -1, 0, 30, -0.5, 1e-3], -0.7, 0.0),
           ([0.1 * i - 0.2 for i in range(n)], 0.3, 1e-6), ([0.1 * i - 0.2 for i in range(n)], 0.5, 1e-6)]
    got = {}
    for frames in (True, False):
        monkeypatch.setattr(type(paper.ball(PREC)), "FRAMES", frames)
        for prec in (PREC, 64):
            with ctx.workprec(prec):
                ev = paper.ball(prec)
                for k, (x, a, r) in enumerate(pts):
                    X, A = arb_mat(n, 1, [arb(v, r) for v in x]), arb(a, r)
                    got[frames, prec, k] = _calls(ev, X, A, n)
    for key, vals in got.items():
        if key[0]:
            assert all(_identical(p, q) for p, q in zip(vals, got[(False,) + key[1:]])), key


def test_frames_are_safe_against_mutation_and_direct_calls(paper):
    """The caller's result is its own (changing it changes no later result); an argument changed in
    place is a new point; a private method called without the public wrapper computes every node."""
    n = 6
    with ctx.workprec(PREC):
        ev = paper.ball(PREC)
        X, A = arb_mat(n, 1, [arb(0.1 * i) for i in range(n)]), arb(0.2)
        fa = ev.f_a(X, A)
        want = arb_mat(fa)
        fa[0, 0] = arb(99)
        assert _same(ev.f_a(X, A), want)
        Y = arb_mat(X)
        X[2, 0] = arb(5)                                     # same object, new content
        assert _same(ev.f(X, A), ev.f(arb_mat(X), arb(0.2)))
        assert not ev.f(X, A).overlaps(ev.f(Y, A))
        I = _b.mat(n, n, [int(i == j) for i in range(n) for j in range(n)])
        U = _b.mat(n, 1, [1] * n)
        ev.B(Y, A, U, I)                                     # a frame for Y exists
        assert _same(_b.dense(ev._B(X, A, U, I)), ev.B(X, A, U, I))


def test_a_direction_changed_in_place_between_calls(monkeypatch):
    """n = 20 (numpy route): a kept W + s I (``mm(W + a I, u)`` with the caller's u) remembers
    products by the direction's identity only within one call; the same NBall object changed in
    place gives the new product."""
    rng = np.random.default_rng(4)
    n = 20
    model = Model.rnn("multilayer", parameter="a", range=[-1, 1], layers=[
        {"weights": rng.standard_normal((n, n)) / 4, "bias": rng.standard_normal(n) / 10} for _ in range(2)])
    system = System.from_model(model)
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        X, A = arb_mat(n, 1, [arb(float(v), 1e-9) for v in rng.uniform(-1, 1, n)]), arb(0.1)
        U = NBall(rng.standard_normal((n, 3)), 0.0)
        first = ev.Df_apply(X, A, U)
        U.mid[:] = 2 * U.mid                                   # exact doubling
        second = ev.Df_apply(X, A, U)
        fresh = ev.Df_apply(X, A, NBall(U.mid.copy(), 0.0))
        assert np.array_equal(second.mid, fresh.mid) and np.array_equal(second.rad, fresh.rad)
        assert not np.allclose(first.mid, second.mid)


def test_only_an_exact_identity_direction_is_applied_as_eye(paper):
    """A direction equal to I except for one entry (off the diagonal 1e-3, or a radius 2^-1074, or a
    diagonal 1 + 2^-52) is not the identity: Df_apply gives Df U, which holds the 50-digit Df U."""
    n = 6
    x, a = list(np.random.default_rng(5).uniform(-1, 1, n)), 0.37
    want = _paper_reference(x, a, [0.0] * n)["Df"]
    assert _b._is_identity(NBall(np.eye(n), 0.0)) and _b._is_identity(_b._diag(n, 1))
    for kind in ("offdiag", "radius", "diagonal"):
        mid, rad = np.eye(n), np.zeros((n, n))
        if kind == "offdiag":
            mid[0, 1] = 1e-3
        elif kind == "radius":
            rad[2, 3] = 2.0 ** -1074
        else:
            mid[4, 4] = 1 + 2.0 ** -52
        U = NBall(mid, rad)
        assert not _b._is_identity(U) and not _b._is_identity(U.to_mat())
        with mpmath.workdps(50):
            DU = [[mpmath.fsum(want[i][k] * mpmath.mpf(float(mid[k, j])) for k in range(n)) for j in range(n)]
                  for i in range(n)]
            slack = [[mpmath.fsum(abs(want[i][k]) * mpmath.mpf(float(rad[k, j])) for k in range(n)) for j in range(n)]
                     for i in range(n)]
        with ctx.workprec(PREC):
            ev = paper.ball(PREC)
            X, A = arb_mat(n, 1, [arb(v) for v in x]), arb(a)
            for got in (ev.Df_apply(X, A, U).to_mat(), ev.Df_apply(X, A, U.to_mat())):
                for i in range(n):
                    for j in range(n):            # within slack (the radius' share) + 1e-40 of the 50-digit value
                        r = arb(mpmath.nstr(slack[i][j] + mpmath.mpf(10) ** -40, 10), 0) * 2
                        assert (got[i, j] + arb(0, 1) * r).contains(arb(mpmath.nstr(DU[i][j], 48))), (kind, i, j)

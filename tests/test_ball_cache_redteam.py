"""Red-team attacks on the ball evaluator's caches (issue 17: act_map's memo, the monotone kernels'
memo, frames of (x, a) in the generated ball code, the dense W + s I, numpy ball directions
evaluated in python-flint). Ground truth: 50-digit mpmath values of finite formulas written here
from each model's text (not symhopf's derivation), and, for staleness, a fresh evaluator with no
frames and no act_map memo. Confirmed false enclosures are strict xfails with the reproduction."""
import threading
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
M = mpmath.mpf


@pytest.fixture(autouse=True)
def _fifty_digits():
    """Every test here computes its ground truth at 50 digits (and leaves mpmath as it was)."""
    with mpmath.workdps(50):
        yield


# ---------------------------------------------------------------- helpers
def _system(name: str) -> System:
    return System.from_model(Model.from_toml(ROOT / "examples" / f"{name}.toml"))


def _col(vals, r=0.0) -> arb_mat:
    return arb_mat(len(vals), 1, [arb(float(v), r) for v in vals])


def _toml(name: str) -> dict:
    """The model file's tables with every number as a 50-digit mpmath number (decimals exact)."""
    import tomllib
    from decimal import Decimal
    with open(ROOT / "examples" / f"{name}.toml", "rb") as fh:
        doc = tomllib.load(fh, parse_float=Decimal)

    def conv(v):
        if isinstance(v, list):
            return [conv(e) for e in v]
        if isinstance(v, dict):
            return {k: conv(e) for k, e in v.items()}
        return M(str(v)) if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else v
    return conv(doc)


def _exact(e: arb):
    man, exp = e.man_exp()
    return mpmath.ldexp(M(int(man)), int(exp))


def _holds(e: arb, w) -> bool:
    """The ball e contains the 50-digit value w (exact end points; slack 1e-45 for w's rounding).
    A ball that is not finite (nan, an infinite end) claims nothing a proof can use: accepted."""
    if not e.is_finite():
        return True
    slack = M(10) ** -45 * (1 + abs(w))
    return _exact(e.lower()) - slack <= w <= _exact(e.upper()) + slack


def _contains(ball, want, what=""):
    """Every ball of the python-flint or numpy ball matrix contains the 50-digit value."""
    m = ball.to_mat() if isinstance(ball, NBall) else ball
    assert (m.nrows(), m.ncols()) == (len(want), len(want[0])), what
    for i, row in enumerate(want):
        for j, w in enumerate(row):
            assert _holds(m[i, j], w), f"{what}[{i},{j}] = {m[i, j]} does not hold {mpmath.nstr(w, 20)}"


def _s(z):
    t = mpmath.tanh(z)
    return t, 1 - t ** 2, -2 * t * (1 - t ** 2)


# ---------------------------------------------------------------- gain3: x' = -x + tanh(a W x + b)
def _gain3_truth(W, bias, x, a, u, v):
    """f_a = s'(z) o Wx, Df u = -u + s'(z) o a W u, B(u, v) = s''(z) o aWu o aWv,
    Df_a u = s''(z) o Wx o aWu + s'(z) o Wu, f_aa = s''(z) o (Wx)^2, z = a W x + b."""
    Wx, Wu, Wv = _mv(W, x), _mv(W, u), _mv(W, v)
    z = [a * w + b for w, b in zip(Wx, bias)]
    S = [_s(zi) for zi in z]
    n = len(x)
    return {
        "f_a": [[S[i][1] * Wx[i]] for i in range(n)],
        "Df_u": [[-u[i] + S[i][1] * a * Wu[i]] for i in range(n)],
        "B": [[S[i][2] * a * Wu[i] * a * Wv[i]] for i in range(n)],
        "Df_a_u": [[S[i][2] * Wx[i] * a * Wu[i] + S[i][1] * Wu[i]] for i in range(n)],
        "f_aa": [[S[i][2] * Wx[i] ** 2] for i in range(n)],
        "Df": [[(-1 if i == j else 0) + S[i][1] * a * W[i][j] for j in range(n)] for i in range(n)],
    }


# ---------------------------------------------------------------- threads: two calls at once on one evaluator
class _Hooked(arb_mat):
    """A direction that runs ``hook`` the first time ``mm`` asks whether it is the identity or
    ``had`` reads its entries or one entry (a point in the middle of a generated method, after some nodes of
    (x, a) were kept)."""

    hook = None

    @staticmethod
    def _run():
        hook, _Hooked.hook = _Hooked.hook, None
        if hook is not None:
            hook()

    @property
    def _is_eye(self):
        self._run()
        return False

    def entries(self):
        self._run()
        return super().entries()

    def __getitem__(self, key):
        self._run()
        return super().__getitem__(key)


def test_two_threads_on_one_evaluator_do_not_share_a_frame():
    """gain3 (n = 3, frames on), 53 bits. Thread A: Df_a_apply at x_A stops after keeping nodes
    1, 2, 8, 6 of x_A; thread B: Df_a_apply at x_B stops at the same place; A finishes; B finishes.
    Then f_a(x_B) must hold the 50-digit value."""
    system = _system("gain3")
    data = _toml("gain3")["rnn"]["data"]
    W, bias = data["W"], data["b"]
    ev = system.ball(53)
    xa, xb, a = [0.3, -0.2, 0.5], [-1.1, 0.8, 0.05], 1.5
    XA, XB, A = _col(xa), _col(xb), arb(a)
    u = [1.0, 0.5, -0.25]
    a_waits, b_waits, a_done = threading.Event(), threading.Event(), threading.Event()
    out = {}

    def stop_a():
        a_waits.set()
        b_waits.wait(2)     # with the evaluator lock B cannot start before A ends: A goes on after 2 s

    def stop_b():
        b_waits.set()
        a_done.wait(10)

    def run_a():
        _Hooked.hook = stop_a
        out["A"] = ev.Df_a_apply(XA, A, _Hooked(_col(u)))
        a_done.set()

    def run_b():
        a_waits.wait(10)
        _Hooked.hook = stop_b
        out["B"] = ev.Df_a_apply(XB, A, _Hooked(_col(u)))

    threads = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert a_waits.is_set() and b_waits.is_set() and a_done.is_set()
    aa = M(a)
    _contains(out["A"], _gain3_truth(W, bias, [M(v) for v in xa], aa, [M(v) for v in u], u)["Df_a_u"], "Df_a(A)")
    _contains(out["B"], _gain3_truth(W, bias, [M(v) for v in xb], aa, [M(v) for v in u], u)["Df_a_u"], "Df_a(B)")
    want = _gain3_truth(W, bias, [M(v) for v in xb], aa, [M(v) for v in u], [M(v) for v in u])
    _contains(ev.f_a(XB, A), want["f_a"], "f_a(x_B) after the two threads")


# ---------------------------------------------------------------- the models' right-hand sides at 50 digits
def _mv(W, v):
    return [mpmath.fsum(W[i][j] * v[j] for j in range(len(v))) for i in range(len(W))]


def _shift(W, a):
    return [[w + (a if i == j else 0) for j, w in enumerate(row)] for i, row in enumerate(W)]


def _rhs(name: str):
    """f(x, a) of the example model, from its file (decimals exact), in mpmath."""
    doc = _toml(name)
    if name == "gain3":
        W, b = doc["rnn"]["data"]["W"], doc["rnn"]["data"]["b"]
        return lambda x, a: [-xi + mpmath.tanh(a * w + bi) for xi, w, bi in zip(x, _mv(W, x), b)]
    if name == "leaky3_bias":
        W, b = doc["rnn"]["weights"], doc["rnn"]["bias"]
        return lambda x, a: [-xi + w + bi for xi, w, bi in zip(x, _mv(_shift(W, a), [mpmath.tanh(t) for t in x]), b)]
    if name == "asymmetric4":
        W = doc["rnn"]["weights"]
        return lambda x, a: [mpmath.tanh(w) for w in _mv(_shift(W, a), x)]
    if name == "paper_multilayer":
        layers = [(L["weights"], L["bias"]) for L in doc["rnn"]["layers"]]

        def f(x, a):
            h = x
            for W, b in layers:
                h = [mpmath.tanh(w + bi) for w, bi in zip(_mv(_shift(W, a), h), b)]
            return h
        return f
    if name == "wilson_cowan":
        d = doc["rnn"]["data"]
        W, e, g, th, tau = d["W"], d["e"], d["g"], d["theta"], d["tau"]
        return lambda x, P: [(-xi + 1 / (1 + mpmath.exp(-gi * (w + P * ei - ti)))) / ta
                             for xi, w, ei, gi, ti, ta in zip(x, _mv(W, x), e, g, th, tau)]
    if name == "brusselator":
        c = doc["system"]["constants"]["a"]
        return lambda x, b: [c - (b + 1) * x[0] + x[0] ** 2 * x[1], b * x[0] - x[0] ** 2 * x[1]]
    raise KeyError(name)


def _truth(f, what: str, x, a, *dirs):
    """50-digit values of what (Df_apply, f_a, Df_a_apply, B, f_aa, f) by mpmath.diff of the rhs
    along the directions (columns); each direction a list of columns (lists)."""
    n = len(x)

    def at(i, s, t, da, cu, cv):
        y = [x[k] + s * cu[k] + t * cv[k] for k in range(n)]
        return f(y, a + da)[i]
    zero = [M(0)] * n
    if what == "f":
        return [[v] for v in f(x, a)]
    if what == "f_a":
        return [[mpmath.diff(lambda d: at(i, 0, 0, d, zero, zero), 0)] for i in range(n)]
    if what == "f_aa":
        return [[mpmath.diff(lambda d: at(i, 0, 0, d, zero, zero), 0, 2)] for i in range(n)]
    if what == "Df_apply":
        (U,) = dirs
        return [[mpmath.diff(lambda s: at(i, s, 0, 0, c, zero), 0) for c in U] for i in range(n)]
    if what == "Df_a_apply":
        (U,) = dirs
        return [[mpmath.diff(lambda s, d: at(i, s, 0, d, c, zero), (0, 0), (1, 1)) for c in U] for i in range(n)]
    if what == "B":
        (u,), V = dirs
        return [[mpmath.diff(lambda s, t: at(i, s, t, 0, u, c), (0, 0), (1, 1)) for c in V] for i in range(n)]
    raise KeyError(what)


def _columns(D):
    """A direction (arb_mat or NBall with exact midpoints) as its columns of 50-digit numbers."""
    m = D.to_mat() if isinstance(D, NBall) else D
    return [[_exact(m[i, j].mid()) for i in range(m.nrows())] for j in range(m.ncols())]


# ---------------------------------------------------------------- interleaved calls vs 50 digits
SEQ_MODELS = ["gain3", "leaky3_bias", "asymmetric4", "paper_multilayer", "wilson_cowan", "brusselator"]


@pytest.mark.parametrize("name", SEQ_MODELS)
def test_interleaved_calls_hold_the_50_digit_values(name):
    """One evaluator per precision (System.ball, shared as in the provers), a random sequence of
    public calls that interleaves three points (one a wide box, one at the same midpoints with
    another radius), 53 and 128 bits, python-flint and numpy ball directions with equal midpoints
    and different radii; between calls x, a direction and the returned matrix are changed in
    place. Every result holds the 50-digit value at the current midpoints."""
    import random
    system = _system(name)
    f = _rhs(name)
    n = system.model.n
    rng = random.Random(17)
    lo, hi = (float(q) for q in system.model.range)
    base = [rng.uniform(-1, 1) for _ in range(n)]
    points = [(list(base), 0.0), (list(base), 1e-12), ([rng.uniform(-1.5, 1.5) for _ in range(n)], 0.0)]
    params = [lo, (lo + hi) / 2]
    Xs = {}
    dirs = []
    for k in (1, 2):
        mid = np.array([[rng.uniform(-1, 1) for _ in range(k)] for _ in range(n)])
        dirs.append(arb_mat(n, k, [arb(float(v)) for v in mid.ravel()]))
        dirs.append(arb_mat(n, k, [arb(float(v), 1e-10) for v in mid.ravel()]))
        if system.model.kind != "ode":
            dirs.append(NBall(mid.copy(), 0.0))
            dirs.append(NBall(mid.copy(), 1e-10))
    methods = ["f", "f_a", "f_aa", "Df_apply", "Df_a_apply", "B", "Df"]
    for step in range(14):
        prec = rng.choice([53, PREC])
        p = rng.randrange(len(points))
        with ctx.workprec(prec):
            ev = system.ball(prec)
            xm, r = points[p]
            X = Xs.get((p, prec)) if rng.random() < 0.5 else None
            if X is None:
                X = Xs[p, prec] = _col(xm, r)
            a = rng.choice(params)
            meth = methods[step % len(methods)]
            D = dirs[rng.randrange(len(dirs))]
            u1 = dirs[0]
            x50 = [_exact(X[i, 0].mid()) for i in range(n)]
            if meth in ("Df_apply", "Df_a_apply"):
                got, want = getattr(ev, meth)(X, arb(a), D), _truth(f, meth, x50, M(a), _columns(D))
            elif meth == "B":
                got, want = ev.B(X, arb(a), u1, D), _truth(f, "B", x50, M(a), _columns(u1), _columns(D))
            elif meth == "Df":
                I = [[M(int(i == j)) for i in range(n)] for j in range(n)]
                got, want = ev.Df(X, arb(a)), _truth(f, "Df_apply", x50, M(a), I)
            else:
                got, want = getattr(ev, meth)(X, arb(a)), _truth(f, meth, x50, M(a))
            _contains(got, want, f"{name} step {step} {meth} prec {prec}")
            change = rng.randrange(3)
            if change == 0 and not isinstance(got, NBall):
                for i in range(got.nrows()):
                    for j in range(got.ncols()):
                        got[i, j] = arb(777)
            elif change == 1:
                i = rng.randrange(n)
                X[i, 0] = arb(rng.uniform(-1, 1), r)          # the same object, new content
            else:
                if isinstance(D, NBall):
                    D.mid[0, 0] = 2 * D.mid[0, 0] + 0.5
                else:
                    D[0, 0] = arb(2 * float(D[0, 0].mid()) + 0.5, float(D[0, 0].rad()))


# ---------------------------------------------------------------- nested calls and exceptions inside a frame
def test_a_public_call_inside_another_call_at_another_point():
    """gain3: in the middle of Df_a_apply at x_A (nodes of x_A kept), a direction's hook calls f_a,
    Df and B at x_B (their own frames). The outer result, and later calls at both points, hold the
    50-digit values (the inner call ends the outer frame: the rest is computed, not served)."""
    system, f = _system("gain3"), _rhs("gain3")
    xa, xb, a = [0.3, -0.2, 0.5], [-1.1, 0.8, 0.05], 1.5
    u = [1.0, 0.5, -0.25]
    U = _col(u)
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        XA, XB, A = _col(xa), _col(xb), arb(a)
        inner = {}

        def hook():
            inner["f_a"] = ev.f_a(XB, A)
            inner["Df"] = ev.Df(XB, A)
            inner["B"] = ev.B(XB, A, U, U)
        _Hooked.hook = hook
        outer = ev.Df_a_apply(XA, A, _Hooked(U))
        assert inner and _Hooked.hook is None and ev._frame is None
        x50a, x50b, a50, u50 = [M(v) for v in xa], [M(v) for v in xb], M(a), [M(v) for v in u]
        _contains(outer, _truth(f, "Df_a_apply", x50a, a50, [u50]), "outer Df_a")
        _contains(inner["f_a"], _truth(f, "f_a", x50b, a50), "inner f_a")
        _contains(inner["B"], _truth(f, "B", x50b, a50, [u50], [u50]), "inner B")
        I = [[M(int(i == j)) for i in range(3)] for j in range(3)]
        _contains(inner["Df"], _truth(f, "Df_apply", x50b, a50, I), "inner Df")
        for X, x50 in ((XA, x50a), (XB, x50b)):
            _contains(ev.f_a(X, A), _truth(f, "f_a", x50, a50), "f_a after")
            _contains(ev.f_aa(X, A), _truth(f, "f_aa", x50, a50), "f_aa after")
            _contains(ev.Df_a_apply(X, A, U), _truth(f, "Df_a_apply", x50, a50, [u50]), "Df_a after")


def test_an_exception_inside_a_frame_leaves_no_frame_open():
    """leaky3_bias at n = 3: a direction's hook raises in the middle of B; the frame is closed, and
    the next calls at that point and at another hold the 50-digit values."""
    system, f = _system("leaky3_bias"), _rhs("leaky3_bias")
    x, y, a = [0.4, -0.7, 1.2], [2.0, 0.1, -0.3], 1.1
    u = [0.5, -1.0, 0.25]
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        X, Y, A, U = _col(x), _col(y), arb(a), _col(u)

        def boom():
            raise RuntimeError("boom")
        _Hooked.hook = boom
        with pytest.raises(RuntimeError):
            ev.B(X, A, U, _Hooked(U))
        assert ev._frame is None
        x50, y50, a50, u50 = [M(v) for v in x], [M(v) for v in y], M(a), [M(v) for v in u]
        _contains(ev.f_a(Y, A), _truth(f, "f_a", y50, a50), "f_a(y)")
        _contains(ev.B(X, A, U, U), _truth(f, "B", x50, a50, [u50], [u50]), "B(x)")
        _contains(ev.Df_apply(X, A, U), _truth(f, "Df_apply", x50, a50, [u50]), "Df(x) u")
        _contains(ev.f(X, A), _truth(f, "f", x50, a50), "f(x)")


@pytest.mark.xfail(strict=True, reason=(
    "Frames assume the evaluator's data never change: a data matrix changed in place "
    "(ev.d_b[i, 0] = ..., python-flint matrices are mutable) after a call at x leaves the kept nodes "
    "of x computed with the old b (gain3: node 2 = a W x + b), so f(x) is served the old "
    "tanh(a W x + b_old): a stale, false enclosure. Nothing in symhopf changes evaluator data "
    "(System.ball builds it once per precision; npball._DATA already assumed the same for W); "
    "a contract to state (docstring) or enforce (frames keyed by the data objects' content, or "
    "read-only data)."))
def test_data_changed_in_place_after_a_call():
    """gain3: f(x) after ev.d_b is changed in place must be f with the new bias."""
    system = _system("gain3")
    doc = _toml("gain3")["rnn"]["data"]
    W, b = doc["W"], list(doc["b"])
    x, a = [0.3, -0.2, 0.5], 1.5
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        X, A = _col(x), arb(a)
        ev.f(X, A)
        ev.d_b[0, 0] = arb(1)
        b[0] = M(1)
        x50 = [M(v) for v in x]
        want = [[-xi + mpmath.tanh(M(a) * w + bi)] for xi, w, bi in zip(x50, _mv(W, x50), b)]
        _contains(ev.f(X, A), want, "f after d_b changed")


# ---------------------------------------------------------------- activations at the extremes, memo hits
def _sech2(z):
    return 1 / mpmath.cosh(z) ** 2


def _sig(z):
    return 1 / (1 + mpmath.exp(-z))


def _dsig(z):
    return mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2


ACT_TRUTH = {      # the k-th derivative, written so that no digits cancel at |z| ~ 1e3
    "tanh": [mpmath.tanh, _sech2, lambda z: -2 * mpmath.tanh(z) * _sech2(z),
             lambda z: -2 * _sech2(z) * (3 * _sech2(z) - 2)],
    "sigmoid": [_sig, _dsig, lambda z: _dsig(z) * (1 - 2 * _sig(z)),
                lambda z: _dsig(z) * (1 - 6 * _dsig(z))],
    "sin": [mpmath.sin, mpmath.cos, lambda z: -mpmath.sin(z), lambda z: -mpmath.cos(z)],
}
INF = float("inf")
EXTREME_ARGS = [arb(1000), arb(-1000), arb(0), arb(0, 1e-3), arb(0, 5), arb(1000, 1), arb(-1000, 2000),
                arb(1e-300, 1e-300), arb(3, 1e-30), arb(0, INF), arb(1000, INF), arb(float("nan"))]


def _samples(z: arb) -> list:
    if z.mid().is_finite() is False or str(z) == "nan":
        return []
    if not z.is_finite():
        return [M(v) for v in (0, 1, -1, 1000, -1000, "1e300", "-1e300")]
    with ctx.workprec(2000):                 # the end points exactly (inside the ball)
        lo, hi = _exact(z.mid() - z.rad()), _exact(z.mid() + z.rad())
    return [lo, hi, (lo + hi) / 2, lo + (hi - lo) / 3]


def _act_module(kind: str):
    if kind == "tanh":
        return _system("leaky3_bias").module, "ball_s"
    if kind == "sigmoid":
        return _system("wilson_cowan").module, "ball_sigmoid"
    return _sin_system().module, "ball_sin"


def _sin_system() -> System:
    import tempfile
    text = ('name = "sinnet"\n[rnn]\nformula = "-x + sin(a * W @ x + b)"\nparameter = "a"\n'
            '[rnn.data]\nW = [[0.5, -2], [2, 0.5]]\nb = [0.1, -0.05]\n[search]\nrange = [0.5, 1.5]\n')
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "sinnet.toml"
        path.write_text(text)
        return System.from_model(Model.from_toml(path))


@pytest.mark.parametrize("kind", ["tanh", "sigmoid", "sin"])
def test_activations_at_the_extremes_through_the_memos(kind):
    """s, s', s'', s''' of the generated modules by act_map (memo: first call, repeat, other
    precision, a fresh matrix with the same balls, interleaved): every finite ball holds the
    50-digit value at sampled points of its argument (end points, midpoint, inside; for an
    infinite radius: 0, +-1, +-1e3, +-1e300); a nan argument gives no finite ball."""
    module, prefix = _act_module(kind)
    fns = [getattr(module, f"{prefix}{k}" if prefix != "ball_sigmoid" else f"ball_sigmoid{k}") for k in range(4)]
    for order in ([0, 1, 2, 3], [3, 2, 1, 0, 1, 2]):
        for prec in (PREC, 53, PREC):
            with ctx.workprec(prec):
                for k in order:
                    x = arb_mat(len(EXTREME_ARGS), 1, EXTREME_ARGS)
                    for got in (_b.act_map(fns[k], x), _b.act_map(fns[k], arb_mat(x))):
                        for z, e in zip(EXTREME_ARGS, got.entries()):
                            if str(z) == "nan":
                                assert not e.is_finite(), (kind, k, e)
                                continue
                            for t in _samples(z):
                                assert _holds(e, ACT_TRUTH[kind][k](t)), (kind, k, prec, str(z), str(e), mpmath.nstr(t, 8))


# ---------------------------------------------------------------- n at the thresholds, wide s in W + s I
def _leaky(n: int):
    rng = np.random.default_rng(n)
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    b = rng.standard_normal(n) / 10
    return Model.rnn("leaky", weights=W, bias=b, parameter="a", range=[-1, 1]), W, b


def _leaky_truth(W, b, x, a, u):
    """leaky: f = -x + (W + aI) tanh(x) + b; Df u = -u + (W + aI)(s'(x) o u), columns of u; f_a = tanh(x);
    B(u, e_j) = column j of (W + aI) diag(s''(x) o u)."""
    n = len(x)
    Wm = [[M(float(W[i, j])) + (a if i == j else 0) for j in range(n)] for i in range(n)]
    s1 = [_sech2(t) for t in x]
    s2 = [-2 * mpmath.tanh(t) * _sech2(t) for t in x]
    Df = [[(-1 if i == j else 0) + Wm[i][j] * s1[j] for j in range(n)] for i in range(n)]
    Du = [[mpmath.fsum(Df[i][j] * u[j] for j in range(n))] for i in range(n)]
    B = [[Wm[i][j] * s2[j] * u[j] for j in range(n)] for i in range(n)]
    return {"Df": Df, "Du": Du, "f_a": [[mpmath.tanh(t)] for t in x], "B": B}


@pytest.mark.parametrize("n", [16, 17, 32, 33, 64, 65])
def test_leaky_net_at_the_size_thresholds(n):
    """NB_ROWS = 16 (numpy directions evaluated in python-flint), DENSE_ROWS = 64 (dense W + s I),
    MEMO_ENTRIES = 64 (frames, act_map memo): Df, Df_apply(u) and Df_apply(I) with numpy and
    python-flint directions, B(u, I), f_a, twice each and at two points in turn, hold the 50-digit
    values; a = a wide ball (s of W + s I wide) holds the values at sampled a."""
    model, W, b = _leaky(n)
    system = System.from_model(model)
    rng = np.random.default_rng(100 + n)
    pts = [rng.uniform(-2, 2, n), np.concatenate([[1000.0, -1000.0, 0.0], rng.uniform(-1, 1, n - 3)])]
    u = rng.uniform(-1, 1, n)
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        I = NBall(np.eye(n), 0.0)
        Un, Uf = NBall(u.reshape(n, 1).copy(), 0.0), _col(u)
        Iflint = arb_mat(n, n, [int(i == j) for i in range(n) for j in range(n)])
        for rep in range(2):
            for p, x in enumerate(pts):
                X, A = _col(x), arb(0.3)
                want = _leaky_truth(W, b, [M(float(t)) for t in x], M(0.3), [M(float(t)) for t in u])
                _contains(ev.Df(X, A), want["Df"], f"Df n={n} p={p}")
                _contains(ev.Df_apply(X, A, I), want["Df"], f"Df(I) n={n}")
                _contains(ev.Df_apply(X, A, Un), want["Du"], f"Df(u) numpy n={n}")
                _contains(ev.Df_apply(X, A, Uf), want["Du"], f"Df(u) flint n={n}")
                _contains(ev.f_a(X, A), want["f_a"], f"f_a n={n}")
                if rep == 0 and p == 0:
                    _contains(ev.B(X, A, Un, I), want["B"], f"B(u, I) n={n}")
                    _contains(ev.B(X, A, Uf, Iflint), want["B"], f"B(u, I) flint n={n}")
        x = pts[0]
        X, Aw = _col(x), arb(0.3, 0.2)                      # s = a in [0.1, 0.5]
        D1, D2, D3 = ev.Df(X, Aw), ev.Df_apply(X, Aw, I), ev.Df_apply(X, Aw, Uf)
        for a in (0.1, 0.5, 0.3, 0.17):
            want = _leaky_truth(W, b, [M(float(t)) for t in x], M(a), [M(float(t)) for t in u])
            _contains(D1, want["Df"], f"Df wide a n={n}")
            _contains(D2, want["Df"], f"Df(I) wide a n={n}")
            _contains(D3, want["Du"], f"Df(u) wide a n={n}")


# ---------------------------------------------------------------- id() reuse, memo overflow
def test_ids_reused_after_garbage_collection():
    """Arguments created and dropped in a loop (CPython reuses the addresses at once), alternating
    53 and 128 bits and values: the monotone kernels and act_map give each one its own value (they
    kept memos keyed by id and by content until issue 17 session 5; the attack stays)."""
    fns = {"tanh": (_b.tanh, mpmath.tanh), "atan": (_b.atan, mpmath.atan), "exp": (_b.exp, mpmath.exp)}
    for k in range(552):
        prec = (53, PREC)[k % 2]
        v = (k % 7 - 3) * 0.37 + k * 1e-3
        r = (0.0, 1e-9, 0.3)[k % 3]
        with ctx.workprec(prec):
            for name, (fn, truth) in fns.items():
                z = arb(v, r)
                got = fn(z)
                assert _holds(got, truth(M(v))) and _holds(got, truth(M(v) + M(r) * M("0.999"))), (name, k)
                del z
            x = arb_mat(2, 1, [arb(v, r), arb(-v)])
            got = _b.act_map(_b.tanh, x)
            assert _holds(got[0, 0], mpmath.tanh(M(v))) and _holds(got[1, 0], mpmath.tanh(-M(v))), k
            del x, got


def test_fresh_evaluator_agrees_after_a_long_mixed_sequence():
    """Staleness: a long sequence on one evaluator (gain3, wilson_cowan, the paper's net; points,
    radii, precisions, directions and results changed in place) gives, call by call, the same balls
    as an evaluator of the same class and data with no frames and act_map's memo off."""
    import random
    for name in ("gain3", "wilson_cowan", "paper_multilayer"):
        system = _system(name)
        n = system.model.n
        rng = random.Random(3)
        nr = np.random.default_rng(3)
        pts = [(nr.uniform(-2, 2, n), r, rng.uniform(-1, 1)) for r in (0.0, 1e-9, 0.05)]
        dirs = [NBall(nr.standard_normal((n, 1)), 0.0), NBall(nr.standard_normal((n, 2)), 1e-6),
                _col(nr.standard_normal(n)), arb_mat(n, n, [int(i == j) for i in range(n) for j in range(n)])]
        xs = {}
        for step in range(40):
            prec = rng.choice([53, PREC])
            with ctx.workprec(prec):
                ev = system.ball(prec)
                p = rng.randrange(len(pts))
                mid, r, a = pts[p]
                X = xs.setdefault((p, prec), _col(mid, r))
                meth = rng.choice(["f", "Df", "f_a", "Df_a", "f_aa", "Df_aa", "Df_apply", "Df_a_apply", "B", "C", "B_a"])
                k = {"Df_apply": 1, "Df_a_apply": 1, "B": 2, "B_a": 2, "C": 3}.get(meth, 0)
                ds = [dirs[2] if j < k - 1 else dirs[rng.randrange(len(dirs))] for j in range(k)]
                copies = [NBall(d.mid.copy(), np.array(d.rad)) if isinstance(d, NBall) else arb_mat(d) for d in ds]
                got = getattr(ev, meth)(X, arb(a, r), *ds)
                fresh = object.__new__(type("NoFrames", (type(ev),), {"FRAMES": False}))
                fresh.__dict__.update({key: v for key, v in ev.__dict__.items() if key != "_frames"})
                old, _b.MEMO_ENTRIES = _b.MEMO_ENTRIES, -1
                try:
                    want = getattr(fresh, meth)(arb_mat(X), arb(a, r), *copies)
                finally:
                    _b.MEMO_ENTRIES = old
                if isinstance(got, NBall):
                    assert np.array_equal(got.mid, want.mid, equal_nan=True) and \
                        np.array_equal(got.rad, want.rad, equal_nan=True), (name, step, meth)
                else:
                    assert [(repr(e.mid()), repr(e.rad())) for e in got.entries()] == \
                        [(repr(e.mid()), repr(e.rad())) for e in want.entries()], (name, step, meth)
                    if rng.random() < 0.3:
                        got[0, 0] = arb(777)
                change = rng.random()
                if change < 0.2:
                    X[rng.randrange(n), 0] = arb(rng.uniform(-2, 2), r)
                elif change < 0.4:
                    d = dirs[rng.randrange(3)]
                    if isinstance(d, NBall):
                        d.mid[:] = 2 * d.mid + 0.25
                    else:
                        d[0, 0] = arb(3 * float(d[0, 0].mid()) + 1)


# ---------------------------------------------------------------- complex directions (the tube's q, conj q)
@pytest.mark.parametrize("n", [6, 20])
def test_complex_directions_in_a_kept_w_plus_s_i(n):
    """A 2-layer tanh net (n = 6: dense W + s I, python-flint route; n = 20: numpy directions, the
    kept W + s I remembers W b per call and reuses conj(W b) for a direction inside conj(b)):
    Df_apply(q), B(q, conj q) and B(conj q, q) in a row, at two points in turn, hold the 50-digit
    values B(q_r, q_r) + B(q_i, q_i) and Df q_r + i Df q_i."""
    rng = np.random.default_rng(40 + n)
    layers = [{"weights": rng.standard_normal((n, n)) / 3, "bias": rng.standard_normal(n) / 10} for _ in range(2)]
    system = System.from_model(Model.rnn("multilayer", parameter="a", range=[-1, 1], layers=layers))
    L50 = [([[M(float(w)) for w in row] for row in L["weights"]], [M(float(v)) for v in L["bias"]]) for L in layers]

    def f(x, a):
        h = x
        for W, b in L50:
            h = [mpmath.tanh(w + bi) for w, bi in zip(_mv(_shift(W, a), h), b)]
        return h
    q = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    qr, qi = [M(float(v)) for v in q.real], [M(float(v)) for v in q.imag]
    Q, Qc = NBall(q.reshape(n, 1).copy(), 0.0), NBall(np.conj(q).reshape(n, 1).copy(), 0.0)
    pts = [rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)]
    a = M(0.2)
    truths = []
    for x in pts:
        x50 = [M(float(t)) for t in x]
        Bq = [[w1[0] + w2[0]] for w1, w2 in zip(_truth(f, "B", x50, a, [qr], [qr]), _truth(f, "B", x50, a, [qi], [qi]))]
        truths.append((Bq, _truth(f, "Df_apply", x50, a, [qr]), _truth(f, "Df_apply", x50, a, [qi])))
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        for rep in range(2):
            for x, (Bq, Dr, Di) in zip(pts, truths):
                X, A = _col(x), arb(0.2)
                got = ev.Df_apply(X, A, Q).to_mat()
                for i in range(n):
                    assert _holds(got[i, 0].real, Dr[i][0]) and _holds(got[i, 0].imag, Di[i][0]), ("Df q", i)
                for first, second in ((Q, Qc), (Qc, Q)):
                    got = ev.B(X, A, first, second).to_mat()
                    for i in range(n):
                        assert _holds(got[i, 0].real, Bq[i][0]) and _holds(got[i, 0].imag, M(0)), ("B", i)


# ---------------------------------------------------------------- batches (Columns) next to frames
@pytest.mark.parametrize("name", ["gain3", "leaky3_bias", "asymmetric4"])
def test_batches_between_framed_calls(name):
    """at_columns (the parameter as Columns: no frame, every node computed) between framed calls at
    the same x and at one of the batch's values: column j holds the 50-digit value at values[j],
    and the framed calls before and after hold theirs."""
    system, f = _system(name), _rhs(name)
    n = system.model.n
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, n)
    lo, hi = (float(q) for q in system.model.range)
    values = [lo, (lo + hi) / 2, hi]
    U = rng.standard_normal((n, 3))
    x50 = [M(float(t)) for t in x]
    cols = [[M(float(t)) for t in U[:, j]] for j in range(3)]
    with ctx.workprec(PREC):
        ev = system.ball(PREC)
        X = _col(x)
        for meth in ("Df_apply", "Df_a_apply"):
            before = getattr(ev, meth)(X, arb(values[1]), _col(U[:, 1]))
            batch = ev.at_columns(meth, X, values, NBall(U.copy(), 0.0))
            after = getattr(ev, meth)(X, arb(values[1]), NBall(U[:, 1:2].copy(), 0.0))
            for j, v in enumerate(values):
                want = _truth(f, meth, x50, M(v), [cols[j]])
                m = batch.to_mat() if isinstance(batch, NBall) else batch
                for i in range(n):
                    assert _holds(m[i, j], want[i][0]), (name, meth, i, j)
                if j == 1:
                    _contains(before, want, f"{name} {meth} before")
                    _contains(after, want, f"{name} {meth} after")

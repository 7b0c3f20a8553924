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
mpmath.mp.dps = 50
M = mpmath.mpf


# ---------------------------------------------------------------- helpers
def _system(name: str) -> System:
    return System.from_model(Model.from_toml(ROOT / "examples" / f"{name}.toml"))


def _col(vals, r=0.0) -> arb_mat:
    return arb_mat(len(vals), 1, [arb(float(v), r) for v in vals])


def _mat(rows) -> arb_mat:
    return arb_mat([[arb(float(v)) for v in row] for row in rows])


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


def _matvec(W, v):
    return [mpmath.fsum(W[i][j] * v[j] for j in range(len(v))) for i in range(len(W))]


def _s(z):
    t = mpmath.tanh(z)
    return t, 1 - t ** 2, -2 * t * (1 - t ** 2)


# ---------------------------------------------------------------- gain3: x' = -x + tanh(a W x + b)
def _gain3_truth(W, bias, x, a, u, v):
    """f_a = s'(z) o Wx, Df u = -u + s'(z) o a W u, B(u, v) = s''(z) o aWu o aWv,
    Df_a u = s''(z) o Wx o aWu + s'(z) o Wu, f_aa = s''(z) o (Wx)^2, z = a W x + b."""
    Wx, Wu, Wv = _matvec(W, x), _matvec(W, u), _matvec(W, v)
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
    """A direction that runs ``hook`` the first time ``mm`` asks whether it is the identity (a point
    in the middle of a generated method, after some nodes of (x, a) were kept)."""

    hook = None

    @property
    def _is_eye(self):
        hook, type(self).hook = type(self).hook, None
        if hook is not None:
            hook()
        return False


@pytest.mark.xfail(strict=True, reason=(
    "BallBase keeps the current frame in the instance attribute self._frame: a second thread's call on "
    "the same evaluator (System.ball(prec) is shared) replaces it in the middle of the first call, which "
    "then stores its node 5 (s'(z) at ITS point) in the second point's frame; every later call at the "
    "second point is served that node: f_a(x_B) = s'(z_A) o W x_B, a false enclosure. symhopf itself "
    "proves one point at a time per process (sweep_items._PROVE_LOCK, fork workers), so this needs a "
    "caller that shares an evaluator between threads. Fix: a threading.local (or a frame passed "
    "down the call) instead of self._frame."))
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
        b_waits.wait(10)

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

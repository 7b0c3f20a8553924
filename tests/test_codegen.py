"""Code generation (issue 4): printers, and the generated ball functions against
50-digit values of the componentwise SymPy derivation."""
import functools
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import acb, acb_mat, arb, arb_mat, ctx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symhopf.calculus import Act
from symhopf.codegen import render
from symhopf.codegen.printers import ArbPrinter, FloatPrinter, PrintError, print_matrix_expr, value_form
from symhopf.model import Model
from symhopf.runtime import ball as _b
from symhopf.runtime.ball import Columns
from symhopf.runtime.npball import NBall
from symhopf.system import System
from test_derive import componentwise

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PREC = 53
HYP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- printers
z, w = sp.symbols("z w", real=True)


def arb_code(expr) -> str:
    p = ArbPrinter()
    p.begin({z: "z", w: "w"})
    return p._print(expr)


def float_code(expr) -> str:
    p = FloatPrinter()
    p.begin({z: "z", w: "w"})
    return p._print(expr)


@pytest.mark.parametrize("expr, code", [
    (sp.Rational(1, 10), "(arb(1)/10)"),
    (sp.Rational(-8, 3), "(arb(-8)/3)"),
    (sp.Rational(1, 2), "(arb(1)/2)"),
    (sp.Integer(7), "7"),
    (z**3, "_b.ipow(z, 3)"),
    (z**-2, "(1/_b.ipow(z, 2))"),
    (z**-1, "(1/z)"),
    ((z + w)**2, "_b.ipow(w + z, 2)"),
    (sp.tanh(z), "_b.tanh(z)"),
    (sp.atan(z), "_b.atan(z)"),
    (sp.sqrt(z), "_b.sqrt(z)"),
    (sp.exp(-z), "_b.exp(-z)"),
    (sp.pi * z, "_b.pi()*z"),
    (z**sp.Rational(3, 2), "_b.rpow(z, (arb(3)/2))"),
])
def test_arb_printer(expr, code):
    assert arb_code(expr) == code


@pytest.mark.parametrize("expr", [sp.Float("0.1") * z, sp.tan(z), sp.Abs(z), sp.sign(z), sp.gamma(z),
                                  sp.Max(z, 0), sp.atan2(z, w), sp.Symbol("q")])
def test_arb_printer_refuses_what_it_cannot_enclose(expr):
    with pytest.raises(PrintError):
        arb_code(expr)


@pytest.mark.parametrize("expr, code", [
    (sp.Rational(1, 10), "(1/10)"),
    (sp.tanh(z), "numpy.tanh(z)"),
    (z**-2, "(1/(z**2))"),
    (1 / (1 + sp.exp(-z)), "(1/(1 + numpy.exp(-z)))"),
    (sp.erf(z), "_fl.erf(z)"),
    (sp.atan(z), "numpy.arctan(z)"),
])
def test_float_printer(expr, code):
    assert float_code(expr) == code


def test_float_printer_refuses_float_literals():
    with pytest.raises(PrintError):
        float_code(sp.Float("0.1") * z)


def test_structured_printing_is_one_node_per_line_with_reuse():
    n = sp.Symbol("n", integer=True, positive=True)
    W, x, u = (sp.MatrixSymbol(s, *shape) for s, shape in (("W", (n, n)), ("x", (n, 1)), ("u", (n, 1))))
    expr = sp.HadamardProduct(Act(2, W * x), W * u, W * u)
    lines = print_matrix_expr(ArbPrinter(), expr, {W: "self.W", x: "x", u: "u"}, "x")
    assert lines == ["t0 = _b.mm(self.W, x)",
                     "t1 = _b.act_map(ball_s2, t0)",
                     "t2 = _b.mm(self.W, u)",
                     "t3 = _b.had(t1, t2, t2)",
                     "return t3"]
    flines = print_matrix_expr(FloatPrinter(), expr, {W: "self.W", x: "x", u: "u"}, "x")
    assert flines[1] == "t1 = float_s2(t0)" and flines[-1] == "return t3"


@pytest.mark.parametrize("g, forms", [
    (sp.tanh(z), ["1 - y**2", "2*y*(y**2 - 1)", "-2*(y**2 - 1)*(3*y**2 - 1)"]),
    (sp.tanh(z / 2), ["1/2 - y**2/2", "y*(y**2 - 1)/2", "-(y**2 - 1)*(3*y**2 - 1)/4"]),
    (sp.exp(z), ["y", "y", "y"]),
    (1 / (1 + sp.exp(-z)), [None] * 3),      # SymPy's sigmoid' keeps exp(-z): no form, printed from z
    (2 * sp.tanh(z), [None] * 3),
    (sp.atan(z), [None] * 3),
    (z ** 2, [None] * 3),
    (z, [None] * 3),
])
def test_value_form_only_where_the_derivative_is_a_function_of_g(g, forms):
    y = sp.Symbol("y")
    got = [value_form(g, sp.diff(g, z, k), z, y) for k in (1, 2, 3)]
    assert [None if f is None else sp.sstr(f) for f in got] == forms
    for k, f in enumerate(got, 1):
        if f is not None:
            assert sp.simplify(f.subs(y, g) - sp.diff(g, z, k)) == 0


def test_derivative_nodes_are_printed_from_the_value_node():
    """With a value form, s''(W x) is ball_s2_y of the node s(W x): the kernel runs once for s, s', s''."""
    n = sp.Symbol("n", integer=True, positive=True)
    W, x, u = (sp.MatrixSymbol(s, *shape) for s, shape in (("W", (n, n)), ("x", (n, 1)), ("u", (n, 1))))
    expr = sp.HadamardProduct(Act(2, W * x), Act(0, W * x), W * u)
    lines = print_matrix_expr(ArbPrinter(value_forms={("s", 2)}), expr, {W: "self.W", x: "x", u: "u"}, "x")
    assert lines == ["t0 = _b.mm(self.W, x)",
                     "t1 = _b.act_map(ball_s0, t0)",
                     "t2 = _b.act_map(ball_s2_y, t1)",
                     "t3 = _b.mm(self.W, u)",
                     "t4 = _b.had(t2, t1, t3)",
                     "return t4"]


@pytest.mark.parametrize("name", ["asymmetric4", "leaky3_bias", "multilayer"])
@HYP
@given(mid=st.floats(-30, 30), rad=st.sampled_from([0.0, 1e-12, 1e-3, 0.5, 4.0, 40.0]))
def test_value_form_functions_give_the_same_balls(name, mid, rad):
    """ball_sk_y(ball_s0(z)) is the ball ball_sk(z) computes (the same operations on the same tanh ball),
    narrow, wide, and straddling 0, at 53 and 128 bits."""
    module = System.from_model(MODELS[name]()).module
    forms = [k for k in (1, 2, 3) if hasattr(module, f"ball_s{k}_y")]
    assert forms == [1, 2, 3]
    for prec in (53, 128):
        with ctx.workprec(prec):
            zb = arb(mid, rad)
            for k in forms:
                want, got = getattr(module, f"ball_s{k}")(zb), getattr(module, f"ball_s{k}_y")(module.ball_s0(zb))
                assert want.mid() == got.mid() and want.rad() == got.rad(), (k, prec)


def test_one_module_per_architecture_and_weights_are_data():
    a4 = Model.from_toml(EXAMPLES / "asymmetric4.toml")
    other = Model.rnn("asymmetric", weights=np.random.default_rng(3).standard_normal((7, 7)), parameter="alpha")
    src = render(a4)
    assert src == render(other)
    assert src.startswith('"""Generated by symhopf') and "do not edit" in src.splitlines()[0]
    assert "1.4" not in src and "-1.6" not in src


def test_generated_code_does_not_grow_with_n():
    """Structured code: the module for 200 neurons is the module for 2 (timings live in bench/)."""
    rng = np.random.default_rng(0)
    model = Model.rnn("leaky", weights=rng.standard_normal((200, 200)), bias=rng.standard_normal(200))
    assert render(model) == render(Model.rnn("leaky", weights=np.eye(2), bias=np.ones(2)))


# ---------------------------------------------------------------- generated functions vs 50 digits
def _multilayer():
    """Two layers R^2 -> R^2 -> R^2: the first with its own parameter direction, the second W + a I."""
    return Model.rnn("multilayer", parameter="alpha", range=[-1, 1], layers=[
        {"weights": [["0.3", "-1.2"], ["0.7", "0.1"]], "bias": ["0.1", "-0.2"],
         "parameter_direction": [[0, 1], ["0.5", "0.5"]]},
        {"weights": [["0.5", "-1"], ["1.1", "0.4"]], "bias": ["0.01", "-0.02"]},
    ])


MODELS = {
    "asymmetric4": lambda: Model.from_toml(EXAMPLES / "asymmetric4.toml"),
    "leaky3_bias": lambda: Model.from_toml(EXAMPLES / "leaky3_bias.toml"),
    "multilayer": _multilayer,
    "brusselator": lambda: Model.from_toml(EXAMPLES / "brusselator.toml"),
    "lorenz": lambda: Model.from_toml(EXAMPLES / "lorenz.toml"),
    "direction": lambda: Model.rnn("asymmetric", parameter="a", range=[-1, 1],
                                   weights=[["0.1", "2"], ["-2", "0.3"]], bias=["0.2", "-0.1"],
                                   parameter_direction=[[0, 1], [-1, "0.5"]]),
    "leaky sigmoid": lambda: Model.rnn("leaky", activation="1/(1 + exp(-z))", parameter="a", range=[0, 2],
                                       weights=[["0.1", "-1.5"], ["1.5", "0.2"]], bias=["-0.5", "0.25"]),
}
FUNCTIONS = ["f", "Df", "f_a", "Df_a", "B", "C", "f_aa", "Df_aa", "B_a"]


class Reference:
    """The componentwise derivation (SymPy differentiates the explicit f), evaluated at 50 digits."""

    def __init__(self, model: Model):
        n = model.n
        self.n = n
        xs = list(sp.symbols(f"x1:{n + 1}", real=True))
        a = sp.Symbol(model.parameter, real=True)
        u, v, w = (sp.Matrix(sp.symbols(f"{c}1:{n + 1}")) for c in "uvw")   # may be complex
        if model.kind == "rnn":
            f = componentwise(model, a, xs)
        else:
            consts = {sp.Symbol(k, real=True): sp.Rational(q.numerator, q.denominator)
                      for k, q in model.constants.items()}
            f = sp.Matrix([e.xreplace(consts).xreplace(dict(zip(
                [sp.Symbol(name, real=True) for name in model.variables], xs))) for e in model.rhs])
        # every quantity is a directional derivative of G(t) = f(x + t1 u + t2 v + t3 w, a):
        # D^k f[u, v, w] = d^k/dt1 dt2 dt3 G at t = 0 (matrices: their columns, u = e_j)
        t1, t2, t3 = sp.symbols("t1:4", real=True)
        G = f.xreplace({xi: xi + t1 * ui + t2 * vi + t3 * wi for xi, ui, vi, wi in zip(xs, u, v, w)})

        def d(e, *wrt):   # differentiate one variable at a time; t_i = 0 right after d/dt_i
            for s in wrt:
                e = e.diff(s)
                if s != a:
                    e = e.xreplace({s: 0})
            return e

        G1 = d(G, t1)
        B = d(G1, t2)
        exprs = {"f": G, "Df": G1, "f_a": d(G, a), "Df_a": d(G1, a), "B": B,
                 "C": d(B, t3), "f_aa": d(G, a, a), "Df_aa": d(G1, a, a), "B_a": d(B, a)}
        exprs = {k: e.xreplace({t1: 0, t2: 0, t3: 0}) for k, e in exprs.items()}
        args = [*xs, a, *u, *v, *w]
        # lambdify a list, not a Matrix: a SymPy Matrix would round the mpf results to 15 digits
        self.fns = {k: sp.lambdify(args, list(e), modules="mpmath", cse=True) for k, e in exprs.items()}

    def __call__(self, name, x, a, u=None, v=None, w=None):
        zero = [0] * self.n
        if name in ("Df", "Df_a", "Df_aa"):   # the matrix, column j = (D... f) e_j
            cols = [self(name + "_u", x, a, [int(i == j) for i in range(self.n)]) for j in range(self.n)]
            return [[cols[j][i][0] for j in range(self.n)] for i in range(self.n)]
        name = name.removesuffix("_u")
        with mpmath.workdps(50):
            vals = [mpmath.mpf(t) for t in x] + [mpmath.mpf(a)]
            vals += [mpmath.mpmathify(t) for t in (*(u if u is not None else zero), *(v if v is not None else zero),
                                                    *(w if w is not None else zero))]
            return [[t] for t in self.fns[name](*vals)]


@functools.lru_cache(maxsize=None)
def setup(name):
    model = MODELS[name]()
    return model, System.from_model(model), Reference(model)


def to_ball(value):
    """The 50-digit mpmath number as a ball that holds the exact value: +-(1e-45 relative
    + 1e-40) covers the reference's own rounding (an exact 0 comes out as ~1e-53; all
    values here are O(1)). Call inside a high workprec."""
    def real(t):
        t = mpmath.mpf(t)
        return arb(mpmath.nstr(t, 50), float(abs(t)) * 1e-45 + 1e-40)
    with mpmath.workdps(60):   # mpf(t) rounds to the working precision
        if isinstance(value, (mpmath.mpc, complex)):
            return acb(real(value.real), real(value.imag))
        return real(value)


def column(values, cplx=False):
    if cplx:
        return acb_mat(len(values), 1, [acb(complex(t).real, complex(t).imag) for t in values])
    return arb_mat(len(values), 1, [arb(t) for t in values])


def ball_call(system, name, x, a, u, v, w, cplx):
    """Call the ball evaluator on exact balls; direction arguments as (n,1), B's v and C's w as (n,2)."""
    with ctx.workprec(PREC):
        S = system.ball(PREC)
        X, A = column(x), arb(a)
        U, V = column(u, cplx), column(v, cplx)
        V2 = _two_columns(v, w, cplx)
        if name in ("f", "Df", "f_a", "Df_a", "f_aa", "Df_aa"):
            return getattr(S, name)(X, A)
        if name in ("B", "B_a"):
            return getattr(S, name)(X, A, U, V2)
        return S.C(X, A, U, V, V2)


def _two_columns(p, q, cplx):
    entries = [t for pair in zip(p, q) for t in pair]
    if cplx:
        return acb_mat(len(p), 2, [acb(complex(t).real, complex(t).imag) for t in entries])
    return arb_mat(len(p), 2, [arb(t) for t in entries])


def reference_values(ref, name, x, a, u, v, w):
    """The reference arranged as the ball call returns it."""
    if name in ("f", "Df", "f_a", "Df_a", "f_aa", "Df_aa"):
        return ref(name, x, a)
    if name in ("B", "B_a"):   # columns B(u, v), B(u, w)
        c1, c2 = ref(name, x, a, u, v), ref(name, x, a, u, w)
        return [[c1[i][0], c2[i][0]] for i in range(len(c1))]
    c1, c2 = ref("C", x, a, u, v, v), ref("C", x, a, u, v, w)
    return [[c1[i][0], c2[i][0]] for i in range(len(c1))]


def float_call(system, name, x, a, u, v, w):
    F = system.flt
    if name in ("f", "Df", "f_a", "Df_a", "f_aa", "Df_aa"):
        return np.asarray(getattr(F, name)(np.array(x), a)).reshape(len(x), -1)
    V2 = np.column_stack([v, w])
    if name in ("B", "B_a"):
        return getattr(F, name)(np.array(x), a, np.array(u), V2)
    return F.C(np.array(x), a, np.array(u), np.array(v), V2)


def assert_contains(ball, values, what):
    with ctx.workprec(200):
        for i, row in enumerate(values):
            for j, val in enumerate(row):
                entry = ball[i, j]
                assert entry.is_finite(), (what, i, j, entry)
                assert entry.overlaps(to_ball(val)), (what, i, j, entry, mpmath.nstr(val, 20))


coords = st.floats(-2, 2, allow_nan=False, allow_infinity=False)


def point(n):
    return st.tuples(st.lists(coords, min_size=n, max_size=n), st.floats(0, 1),
                     *[st.lists(coords, min_size=2 * n, max_size=2 * n) for _ in range(3)], st.booleans())


@pytest.mark.parametrize("name", sorted(MODELS))
@HYP
@given(data=st.data())
def test_ball_functions_contain_the_50_digit_values(name, data):
    check_at_a_drawn_point(*setup(name), data, FUNCTIONS)


def check_at_a_drawn_point(model, system, ref, data, functions):
    """Ball values contain, float values approximate, the reference's 50-digit values at a drawn point."""
    n = model.n
    x, t, uu, vv, ww, cplx = data.draw(point(n))
    lo, hi = model.range
    a = float(lo) + t * float(hi - lo)
    # directions: complex (re, im pairs) or real
    make = (lambda p: [complex(p[2 * i], p[2 * i + 1]) for i in range(n)]) if cplx else (lambda p: p[:n])
    u, v, w = make(uu), make(vv), make(ww)
    for fn in functions:
        want = reference_values(ref, fn, x, a, u, v, w)
        ball = ball_call(system, fn, x, a, u, v, w, cplx)
        assert (ball.nrows(), ball.ncols()) == (len(want), len(want[0])), fn
        assert_contains(ball, want, fn)
        # float64 agrees with the 50-digit value
        got = float_call(system, fn, x, a, u, v, w)
        exact = np.array([[complex(val) for val in row] for row in want])
        scale = max(1.0, float(np.abs(exact).max()))
        assert got.shape == exact.shape, fn
        assert np.abs(got - exact).max() <= 1e-10 * scale, fn


WIDE_CASES = [(name, r) for name in sorted(MODELS) for r in (0.5, 5.0)]


def test_sigmoid_derivative_on_a_very_wide_ball():
    """s'(z) = e/(e + 1)**2 on z = [-5, 5]: the square of [1, 149] must stay positive (ipow), not
    straddle 0 as the ball product (75 +- 74)*(75 +- 74) would, which made the quotient nan."""
    model, system, ref = setup("leaky sigmoid")
    with ctx.workprec(PREC):
        enc = system.module.ball_s1(arb(0, 5))
        assert enc.is_finite() and enc.contains(arb(1) / 4)
@pytest.mark.parametrize("name, radius", WIDE_CASES)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_wide_balls_enclose_sampled_values(name, radius, data):
    """x and a wide: finite enclosures that contain the value at every sampled point."""
    model, system, ref = setup(name)
    n = model.n
    mid = data.draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
    lo, hi = (float(q) for q in model.range)
    a_mid, a_rad = (lo + hi) / 2, (hi - lo) / 2
    u = data.draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
    v = data.draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
    w = data.draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
    inside = 1 - 1e-9   # sample points strictly inside the balls (float rounding of m + r)
    samples = [([m + s * inside * radius for m in mid], a_mid + s * inside * a_rad) for s in (-1, 1)]
    for _ in range(3):
        ts = data.draw(st.lists(st.floats(-inside, inside), min_size=n + 1, max_size=n + 1))
        samples.append(([m + t * radius for m, t in zip(mid, ts)], a_mid + ts[-1] * a_rad))
    with ctx.workprec(PREC):
        S = system.ball(PREC)
        X = arb_mat(n, 1, [arb(m, radius) for m in mid])
        A = arb(a_mid, a_rad)
        U, V, W = column(u), column(v), column(w)
        balls = {"f": S.f(X, A), "Df": S.Df(X, A), "f_a": S.f_a(X, A), "Df_a": S.Df_a(X, A),
                 "B": S.B(X, A, U, V), "C": S.C(X, A, U, V, W), "f_aa": S.f_aa(X, A),
                 "Df_aa": S.Df_aa(X, A), "B_a": S.B_a(X, A, U, V)}
    for fn, ball in balls.items():
        for xs, a in samples:
            want = ref(fn, xs, a, u, v, w) if fn in ("B", "C", "B_a") else ref(fn, xs, a)
            assert_contains(ball, want, f"{fn} at radius {radius}")


def test_containment_check_can_fail():
    """A wrong reference (B for C) is caught: the tests above are not vacuous."""
    model, system, ref = setup("asymmetric4")
    x, a, u, v, w = [0.3, -0.2, 0.1, 0.5], 0.01, [1, 0.5, -1, 2], [0.3, 1, 1, -1], [1, 1, 1, 1]
    want = reference_values(ref, "B", x, a, u, v, w)
    ball = ball_call(system, "C", x, a, u, v, w, False)
    with pytest.raises(AssertionError):
        assert_contains(ball, want, "C vs B")


# ---------------------------------------------------------------- batches: one call, m parameter values
@pytest.mark.parametrize("name", sorted(MODELS))
@HYP
@given(data=st.data())
def test_batched_evaluation_contains_the_50_digit_values(name, data):
    """``at_columns``: column j evaluated at a = values[j] on column j of the directions; the RNN
    modules take the whole batch in one call (runtime.ball.Columns), the ODE ones column by column."""
    model, system, ref = setup(name)
    n = model.n
    x, _, uu, vv, ww, _ = data.draw(point(n))
    lo, hi = model.range
    m = n + 1                   # a batch is never square (runtime.ball.Columns)
    ts = data.draw(st.lists(st.floats(0, 1), min_size=m, max_size=m))
    avals = [float(lo) + t * float(hi - lo) for t in ts]
    cols = [[complex(p[(2 * i + j) % (2 * n)], p[(2 * i + j + 1) % (2 * n)]) for i in range(n)]
            for p in (uu, vv, ww) for j in range(m)]
    U, V, Wd = (cols[m * k:m * k + m] for k in range(3))

    def cmat(c):
        return acb_mat(n, m, [acb(c[j][i].real, c[j][i].imag) for i in range(n) for j in range(m)])

    with ctx.workprec(PREC):
        S = system.ball(PREC)
        X = column(x)
        args = {"f": (), "f_a": (), "f_aa": (), "B": (cmat(U), cmat(V)), "B_a": (cmat(U), cmat(V)),
                "C": (cmat(U), cmat(V), cmat(Wd))}
        for fn, a_args in args.items():
            # the same directions as python-flint matrices and as numpy ball matrices
            nb_args = tuple(NBall(np.array([[complex(float(A[i, j].real.mid()), float(A[i, j].imag.mid()))
                                             for j in range(m)] for i in range(n)]), 0.0) for A in a_args)
            if name in ("asymmetric4", "leaky3_bias", "leaky sigmoid"):   # W + a I: one call
                assert getattr(S, fn)(X, Columns(avals), *a_args).ncols() in (1, m)
                assert getattr(S, fn)(X, Columns(avals), *nb_args).ncols() in (1, m)
            for fargs in (a_args, nb_args):
                out = S.at_columns(fn, X, [arb(t) for t in avals], *fargs)
                out = out.to_mat() if isinstance(out, NBall) else out
                assert (out.nrows(), out.ncols()) == (n, m), fn
                for j, a in enumerate(avals):
                    dirs = [U[j], V[j], Wd[j]][:len(a_args)]
                    want = ref(fn, x, a, *dirs)
                    assert_contains(acb_mat([[out[i, j]] for i in range(n)]), want, f"{fn}[{j}]")


def test_columns_refuses_what_it_cannot_broadcast():
    with ctx.workprec(PREC):
        c = Columns([arb(1), arb(2)])
        W = arb_mat([[1, 2], [3, 4]])
        shifted = c * _b.Eye(2) + W
        with pytest.raises(TypeError):
            shifted.mat                              # W + a I has no dense form for a batch
        with pytest.raises(TypeError):
            _b.scale(arb_mat(2, 3, [1] * 6), c)     # 3 columns for a batch of 2
        with pytest.raises(TypeError):
            _b.had(arb_mat([[1], [1]]), c * _b.Eye(2))
        assert _b.mm(shifted, arb_mat([[1], [0]])).ncols() == 2
        zero = arb_mat(2, 1)
        assert _b.mm(shifted, zero).ncols() == 1     # 0 for every member: stays one column


@HYP
@given(rows=st.lists(st.lists(st.floats(-3, 3), min_size=3, max_size=3), min_size=3, max_size=3),
       col=st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_had_shortcuts_agree_with_the_general_product(rows, col):
    """Exact zero columns, exact ones and identity factors: the same balls as entrywise products (the
    diagonal matrix product of small n, ``_had_diag``: balls that hold them, at most an ulp of PREC wider)."""
    with ctx.workprec(PREC):
        M = arb_mat(rows)
        c = arb_mat([[t] for t in col])
        eye = _b.Eye(3)
        general = _b.mat(3, 3, [c[i, 0] * M[i, j] for i in range(3) for j in range(3)])
        def same(p, q):
            return p.contains(q) and q.contains(p)

        got = _b.had(c, M)
        assert got.contains(general)
        assert all(got[i, j].rad() <= general[i, j].rad() + abs(general[i, j]) * arb(2) ** (2 - PREC)
                   for i in range(3) for j in range(3))
        assert same(_b._had_entries([c, M], 3, 3), general)
        assert same(_b.had(arb_mat(3, 1), M), arb_mat(3, 3))
        assert same(_b.had(arb_mat([[1], [1], [1]]), M), M)
        diag = _b.had(c, eye)
        assert same(diag, _b.mat(3, 3, [c[i, 0] if i == j else 0 for i in range(3) for j in range(3)]))
        shifted = _b.had(c, arb(2) * eye + M)
        assert all(shifted[i, j].overlaps(c[i, 0] * (M[i, j] + (2 if i == j else 0)))
                   for i in range(3) for j in range(3))


@pytest.mark.parametrize("example", ["gru2.toml", "paper_multilayer.toml"])
def test_value_forms_give_the_balls_of_the_code_without_them(example, monkeypatch, tmp_path):
    """The module printed with value forms (s', s'' from the node s(z)) and the same module printed without
    (``value_form`` off: s'(z) from z) give the same balls bit for bit for every method, narrow and wide, at 53
    and 128 bits (gru2: tanh with forms next to a sigmoid without)."""
    import importlib
    gen = importlib.import_module("symhopf.codegen.generate")
    model = Model.from_toml(EXAMPLES / example)
    system = System.from_model(model)
    with_forms = gen.render(model)
    monkeypatch.setattr(gen, "value_form", lambda *args: None)
    plain_src = gen.render(model)
    assert "_y, " in with_forms and "_y, " not in plain_src
    (tmp_path / "plain.py").write_text(plain_src)
    plain = gen.load_file(tmp_path / "plain.py", f"plain_{example.replace('.', '_')}")
    rng = np.random.default_rng(0)
    for prec in (53, 128):
        with ctx.workprec(prec):
            ev = system.ball(prec)
            other = object.__new__(plain.BallSystem)
            other.__dict__.update({k: v for k, v in ev.__dict__.items() if k not in ("_frames", "_lock")})
            n = ev.n
            for r in (0.0, 1e-6, 0.3):
                X = arb_mat(n, 1, [arb(float(v), r) for v in rng.uniform(-1, 1, n)])
                A, U = arb(0.7, r), arb_mat(n, 1, [arb(float(v)) for v in rng.uniform(-1, 1, n)])
                for name, args in [("f", ()), ("Df", ()), ("f_a", ()), ("Df_a", ()), ("f_aa", ()), ("B", (U, U)),
                                   ("C", (U, U, U)), ("B_a", (U, U)), ("Df_aa", ())]:
                    p, q = getattr(ev, name)(X, A, *args), getattr(other, name)(X, A, *args)
                    assert all(s.mid() == t.mid() and s.rad() == t.rad() for s, t in zip(p.entries(), q.entries())), \
                        (name, prec, r)

"""Architectures from vector formulas (issue 15): the formula language, named data, weights
files, shapes, activations; the structured derivation against the componentwise one; the
generated ball functions against 50-digit values; certificates against the [system] model."""
import functools
import importlib.util
import json
import random
import re
import struct
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symhopf.api import prove
from symhopf.calculus import to_explicit
from symhopf.cli import main
from symhopf.codegen import render
from symhopf.derive import derive
from symhopf.errors import InputError
from symhopf.formula import FUNCTIONS, N, Z
from symhopf.model import Model
from symhopf.system import System
from test_derive import exact
from test_codegen import HYP, Reference, assert_contains, ball_call, check_at_a_drawn_point, reference_values

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
_spec = importlib.util.spec_from_file_location("make_safetensors", EXAMPLES / "make_safetensors.py")
_make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_make)
write_safetensors = _make.write_safetensors     # the safetensors layout, written by hand
ALL = ["f", "Df", "f_a", "Df_a", "B", "C", "f_aa", "Df_aa", "B_a"]


# ---------------------------------------------------------------- the four architectures of the issue
def sig(m):
    return m.applyfunc(lambda t: 1 / (1 + sp.exp(-t)))


def th(m):
    return m.applyfunc(sp.tanh)


def had(p, q):
    return p.multiply_elementwise(q)


def ones(k):
    return sp.ones(k, 1)


def M(rows):
    return sp.Matrix([[sp.Rational(str(v)) for v in r] for r in rows])


def exact_matrix(rows):
    return M(rows)


def V(vals):
    return sp.Matrix([sp.Rational(str(v)) for v in vals])


#: name -> (model file, explicit f(x, a) written by hand with SymPy matrices: the reference)
CASES = {
    "gru2": ("gru2.toml", lambda d, x, a: had(ones(2) - sig(M(d["Wz"]) * x + V(d["bz"])),
                                              th(a * (M(d["Wh"]) * x) + V(d["bh"])) - x)),
    "wilson-cowan": ("wilson_cowan.toml", lambda d, x, a: had(
        -x + sig(had(V(d["g"]), M(d["W"]) * x + a * V(d["e"]) - V(d["theta"]))),
        V(d["tau"]).applyfunc(lambda t: 1 / t))),
    "gain3": ("gain3.toml", lambda d, x, a: -x + th(a * M(d["W"]) * x + V(d["b"]))),
    "mlp-ode": ("mlp_ode.toml", lambda d, x, a: M(d["W2"]) * th(M(d["W1"]) * x + V(d["b1"])) + V(d["b2"]) - a * x),
}


def data_of(case):
    """The [rnn.data] table of an example, with decimals as strings (exact)."""
    import tomllib
    doc = tomllib.loads((EXAMPLES / CASES[case][0]).read_text(), parse_float=str)
    return doc["rnn"]["data"]


def explicit(case, xs, a):
    return CASES[case][1](data_of(case), sp.Matrix(xs), a)


def system_model(case, model):
    """The same vector field as a [system] model, written componentwise."""
    xs = [f"x{i + 1}" for i in range(model.n)]
    f = explicit(case, sp.symbols(xs, real=True), sp.Symbol(model.parameter, real=True))
    return Model.ode(xs, [sp.sstr(e) for e in f], model.parameter, name=model.name + "-system",
                     range=list(model.range), search={"box": [[float(v) for v in r] for r in zip(*model.search.box)]}
                     if model.search.box is not None else None)


def componentwise_reference(f_of, n: int, a: sp.Symbol, seed: object) -> tuple[tuple, dict]:
    """A random rational point (x0, u, v, w, a0) and SymPy's derivatives there of the explicit
    ``f_of(xs, a)`` (xs the n state symbols): f, Df u, f_a, ..., B_a, by name."""
    rng = random.Random(seed)
    q = lambda: sp.Rational(rng.randint(-20, 20), 16)  # noqa: E731
    x0, u, v, w = (sp.Matrix([q() for _ in range(n)]) for _ in range(4))
    a0 = sp.Rational(rng.randint(2, 30), 10)
    xs = sp.symbols(f"x1:{n + 1}", real=True)
    t1, t2, t3 = sp.symbols("t1:4", real=True)
    g = f_of(xs, a).xreplace(dict(zip(xs, x0 + t1 * u + t2 * v + t3 * w)))

    def at0(e, *ts):
        for t in ts:
            e = e.diff(t)
        return e.xreplace({t1: 0, t2: 0, t3: 0, a: a0})

    ref = {"f": at0(g), "Df": at0(g, t1), "f_a": at0(g, a), "Df_a": at0(g, t1, a), "B": at0(g, t1, t2),
           "C": at0(g, t1, t2, t3), "f_aa": at0(g, a, a), "Df_aa": at0(g, t1, a, a), "B_a": at0(g, t1, t2, a)}
    return (x0, u, v, w, a0), ref


@pytest.mark.parametrize("case", sorted(CASES))
def test_structured_derivation_agrees_with_the_componentwise_one(case):
    """Each derived formula, made explicit, equals SymPy's derivative of the hand-written f
    (exactly, at a random rational point with random directions)."""
    model = Model.from_toml(EXAMPLES / CASES[case][0])
    n, d = model.n, derive(model)
    a = d.parameter
    (x0, u, v, w, a0), ref = componentwise_reference(lambda xs, a: explicit(case, xs, a), n, a, case)
    s = d.symbols
    values = {s["x"]: x0, s["u"]: u, s["v"]: v, s["w"]: w, a: a0, N: n}
    for name, sym in model.formula.data.items():
        arr = model.data[name]
        if isinstance(sym, sp.Symbol):
            values[sym] = sp.Rational(next(iter(arr.fractions())))
            continue
        shape = arr.shape if len(arr.shape) == 2 else (arr.shape[0], 1)
        values[sym] = sp.Matrix(*shape, [sp.Rational(f.numerator, f.denominator) for f in arr.fractions()])
        values.update({dim: k for dim, k in zip(sym.shape, shape) if isinstance(dim, sp.Symbol)})
    functions = dict(model.formula.functions)
    for name in ALL:
        got = to_explicit(d[name], values, functions, Z)
        diff = (got - ref[name]).evalf(60)
        assert got.shape == (n, 1) and max(abs(e) for e in diff) < 1e-50, (case, name)


def test_the_comparison_can_fail():
    model = Model.from_toml(EXAMPLES / "gain3.toml")
    d = derive(model)
    assert d["B"] != d["Df"] and d["f_a"] != d["f"]
    values = {d.symbols["x"]: sp.Matrix([1, 2, 3]), d.symbols["u"]: sp.Matrix([1, 0, 0]), N: 3,
              d.parameter: 1, **{sym: sp.Matrix(model.data[k].values.tolist()) for k, sym in model.formula.data.items()}}
    assert to_explicit(d["f"], values, model.formula.functions, Z) != \
        to_explicit(d["Df"], values, model.formula.functions, Z)


@pytest.mark.parametrize("case", sorted(CASES))
def test_certificates_agree_with_the_system_model(case):
    """The formula model and the componentwise [system] model prove the same Hopf points."""
    model = Model.from_toml(EXAMPLES / CASES[case][0])
    c1, c2 = prove(model), prove(system_model(case, model))
    p1 = [p for p in c1.hopf_points if p.status == "proved"]
    p2 = [p for p in c2.hopf_points if p.status == "proved"]
    assert len(p1) == len(p2) >= 1
    for p, q in zip(p1, p2):
        assert p.criticality == q.criticality
        for key in ("parameter", "omega", "first_lyapunov", "transversality"):
            lo1, hi1 = (Fraction(s) for s in getattr(p, key))
            lo2, hi2 = (Fraction(s) for s in getattr(q, key))
            assert max(lo1, lo2) <= min(hi1, hi2), (case, key)   # the enclosures intersect
        for xa, xb in zip(p.x, q.x):
            assert max(Fraction(xa[0]), Fraction(xb[0])) <= min(Fraction(xa[1]), Fraction(xb[1]))


# ---------------------------------------------------------------- generated code vs 50 digits
_SETUP = {}


def setup(case):
    if case not in _SETUP:
        model = Model.from_toml(EXAMPLES / CASES[case][0])
        _SETUP[case] = model, System.from_model(model), Reference(system_model(case, model))
    return _SETUP[case]


@pytest.mark.parametrize("case", sorted(CASES))
@HYP
@given(data=st.data())
def test_generated_ball_functions_contain_the_50_digit_values(case, data):
    check_at_a_drawn_point(*setup(case), data, ALL)


# ---------------------------------------------------------------- presets are formulas
@pytest.mark.parametrize("example, formula", [
    ("asymmetric4.toml", "s((W + alpha*I) @ x + b)"),
    ("leaky3_bias.toml", "-x + (W + alpha*I) @ s(x) + b"),
    ("paper_multilayer.toml", "s((W3 + alpha*I) @ s((W2 + alpha*I) @ s((W1 + alpha*I) @ x + b1) + b2) + b3)"),
])
def test_presets_are_formulas_with_named_data(example, formula):
    model = Model.from_toml(EXAMPLES / example)
    assert model.formula.text == formula
    same = Model.from_formula(formula, {k: model.data[k] for k in model.formula.data}, parameter="alpha",
                              activation="tanh", range=list(model.range), name=model.name)
    assert same.structure_key() == model.structure_key()
    assert render(same).split("class BallSystem")[1] == render(model).split("class BallSystem")[1]


def test_preset_direction_enters_the_formula_only_when_not_identity():
    m = Model.rnn("asymmetric", weights=[[0, 1], [-1, 0]], parameter_direction=[[0, 1], [1, 0]])
    assert m.formula.text == "s((W + a*E) @ x + b)"
    assert Model.rnn("asymmetric", weights=[[0, 1], [-1, 0]]).formula.text == "s((W + a*I) @ x + b)"


def test_leaky_equilibrium_box_is_the_a_priori_bound():
    """|x*| <= (|W| + max|a| |E|) sup|tanh| + |b| (x* = (W + aE) tanh(x*) + b), as before."""
    m = Model.from_toml(EXAMPLES / "leaky3_bias.toml")
    W, b = m.data["W"].values, m.data["b"].values
    amax = max(abs(float(v)) for v in m.range)
    want = (np.abs(W) + amax * np.eye(3)).sum(axis=1) * (1 + 1e-9) + np.abs(b)
    lo, hi = m.equilibrium_box()
    assert np.array_equal(hi, want) and np.array_equal(lo, -want)
    assert m.equilibrium_box_note() is None


def test_equilibrium_box_from_a_formula_with_a_decay_rate():
    """x = (W2 tanh(...) + b2) / a: |x| <= (|W2| 1 + |b2|) / min a."""
    m = Model.from_toml(EXAMPLES / "mlp_ode.toml")
    W2, b2 = m.data["W2"].values, m.data["b2"].values
    lo, hi = m.equilibrium_box()
    want = (np.abs(W2).sum(axis=1) * (1 + 1e-9) + np.abs(b2)) / 0.05
    assert np.allclose(hi, want, rtol=1e-8) and np.all(hi >= want * (1 - 1e-12))
    # every equilibrium the search finds lies inside
    res = System.from_model(m)
    for a in (0.05, 1.0, 3.0):
        from symhopf.search.equilibria import find_equilibria
        for x in find_equilibria(res.flt, 2, a, (lo, hi)):
            assert np.all(np.abs(x) <= hi)


def test_no_bound_is_said_and_a_box_is_used(tmp_path, capsys):
    text = (EXAMPLES / "gru2.toml").read_text().replace("box = [-2, 2]\n", "")
    m = Model.from_dict(__import__("tomllib").loads(text))
    assert m.equilibrium_box() is None
    assert "no a-priori bound" in m.equilibrium_box_note()
    assert Model.from_toml(EXAMPLES / "gru2.toml").equilibrium_box_note() is None   # the user's box


# ---------------------------------------------------------------- the language
def formula_model(formula, data, parameter="a", **kw):
    return Model.from_formula(formula, data, parameter=parameter, range=[0, 1], **kw)


def test_decimals_in_formulas_and_data_are_exact():
    m = formula_model("-x + 0.1 * tanh(W @ x) + c", {"W": [[Fraction(1, 3), 0], [0, 1]], "c": "1/10"})
    assert m.data["c"].shape == () and next(iter(m.data["c"].fractions())) == Fraction(1, 10)
    f = m.formula.expr
    assert sp.Rational(1, 10) in {c for c in f.atoms(sp.Rational)}
    assert not f.atoms(sp.Float)


def test_the_parameter_anywhere_and_scalars_in_data():
    """In a weight, a bias, a gain and a time constant at once."""
    m = formula_model("(-x + tanh((W + a * E) @ x + a * b) * k) / (tau + a)",
                      {"W": [[0, 1], [-1, 0]], "E": [[1, 0], [0, 2]], "b": [1, 2], "k": "3/2", "tau": 2})
    d = derive(m)
    a = d.parameter
    values = {d.symbols["x"]: sp.Matrix([sp.Rational(1, 3), -1]), N: 2, a: sp.Rational(1, 2),
              sp.Symbol("k", real=True): sp.Rational(3, 2), sp.Symbol("tau", real=True): 2}
    for k in ("W", "E", "b"):
        values[m.formula.data[k]] = exact(m.data[k])
    x = values[d.symbols["x"]]
    W, E, b = (exact(m.data[k]) for k in ("W", "E", "b"))
    A = sp.Symbol("A")
    want = (-x + th((W + A * E) * x + A * b) * sp.Rational(3, 2)) / (2 + A)
    got = to_explicit(d["f_a"], values, m.formula.functions, Z)
    assert sp.simplify(got - want.diff(A).subs(A, sp.Rational(1, 2))) == sp.zeros(2, 1)


def test_identity_takes_the_size_its_context_needs():
    """I next to a hidden 3 x 3 matrix is 3 x 3; next to x it is n x n (n = 2)."""
    m = formula_model("W2 @ tanh((V + a * I) @ tanh(W1 @ x)) + (U + a * I) @ x",
                      {"W1": np.ones((3, 2)), "V": np.eye(3), "W2": np.ones((2, 3)), "U": -np.eye(2)})
    eyes = {e.shape[0] for e in m.formula.expr.atoms(sp.Identity)}
    assert N in eyes and len(eyes) == 2


def test_hidden_width_is_a_symbol_and_the_structure_does_not_depend_on_sizes():
    make = lambda n, m: formula_model("W2 @ tanh(W1 @ x + b1) + b2 - a * x", {  # noqa: E731
        "W1": np.ones((m, n)), "b1": np.ones(m), "W2": np.ones((n, m)), "b2": np.ones(n)})
    small, big = make(2, 5), make(200, 300)
    assert small.structure_key() == big.structure_key()
    assert derive(small)["C"] == derive(big)["C"]
    assert render(small) == render(big)
    assert {str(s) for s in small.formula.dims} == {"n", "m1"}


def test_the_gru_cell_at_200_neurons_derives_the_same_formulas():
    rng = np.random.default_rng(1)
    mk = lambda n: formula_model(  # noqa: E731
        "(1 - sigmoid(Wz @ x + bz)) * (tanh(a * (Wh @ x) + bh) - x)",
        {"Wz": rng.standard_normal((n, n)), "bz": rng.standard_normal(n),
         "Wh": rng.standard_normal((n, n)), "bh": rng.standard_normal(n)})
    big, small = mk(200), mk(2)
    assert big.n == 200 and render(big) == render(small)


#: the textbook definitions, written independently of symhopf.formula.FUNCTIONS
TEXTBOOK = {
    "tanh": mpmath.tanh, "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)), "logistic": lambda z: 1 / (1 + mpmath.exp(-z)),
    "softplus": lambda z: mpmath.log1p(mpmath.exp(z)), "silu": lambda z: z / (1 + mpmath.exp(-z)),
    "swish": lambda z: z / (1 + mpmath.exp(-z)), "gelu": lambda z: z * mpmath.ncdf(z),
    "mish": lambda z: z * mpmath.tanh(mpmath.log1p(mpmath.exp(z))), "atan": mpmath.atan, "arctan": mpmath.atan,
    "erf": mpmath.erf, "exp": mpmath.exp, "sin": mpmath.sin, "cos": mpmath.cos, "sinh": mpmath.sinh,
    "cosh": mpmath.cosh, "asinh": mpmath.asinh, "arcsinh": mpmath.asinh,
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_by_name_are_the_textbook_ones(name):
    """f = -x + g(W x): the generated ball f and Df contain the 50-digit textbook values."""
    assert set(TEXTBOOK) == set(FUNCTIONS)
    m = formula_model(f"-x + {name}(W @ x)", {"W": [["0.5", "-1"], ["1.25", "0.75"]]})
    s = System.from_model(m)
    x, W = [0.3, -0.7], [[0.5, -1], [1.25, 0.75]]
    g = TEXTBOOK[name]
    with mpmath.workdps(60):
        y = [sum(mpmath.mpf(w) * mpmath.mpf(t) for w, t in zip(row, x)) for row in W]
        f = [[-mpmath.mpf(x[i]) + g(y[i])] for i in range(2)]
        df = [[(-1 if i == j else 0) + mpmath.diff(g, y[i]) * W[i][j] for j in range(2)] for i in range(2)]
    assert_contains(ball_call(s, "f", x, 0.5, x, x, x, False), f, name)
    assert_contains(ball_call(s, "Df", x, 0.5, x, x, x, False), df, name)


def test_entrywise_power_and_division():
    m = formula_model("-x + x**3 / (1 + x**2) + W @ x / 2", {"W": [[0, 1], [-1, 0]]})
    d = derive(m)
    x0 = sp.Matrix([sp.Rational(1, 2), -2])
    W = sp.Matrix([[0, 1], [-1, 0]])
    values = {d.symbols["x"]: x0, N: 2, m.formula.data["W"]: W, d.parameter: 0}
    want = -x0 + x0.applyfunc(lambda t: t**3 / (1 + t**2)) + W * x0 / 2
    assert to_explicit(d["f"], values, m.formula.functions, Z) == want


def test_activation_key_defines_s_with_any_c3_formula():
    m = formula_model("-x + W @ s(x)", {"W": [[0, 1], [-1, 0]]}, activation="z/sqrt(1 + z**2)")
    assert m.formula.functions["s"] == Z / sp.sqrt(1 + Z**2)


def test_generated_source_only_sees_checked_names(tmp_path):
    """Data named like generated internals (B, f, n, eye_n) are attributes d_<name>."""
    m = formula_model("-x + tanh(B @ x + f) * n + eye_n", {"B": [[0, 1], [-1, 0]], "f": [1, 2], "n": 2, "eye_n": 0})
    src = render(m)
    assert 'self.d_B = data["B"]' in src and 'self.d_n = data["n"]' in src
    s = System.from_model(m)
    assert np.allclose(s.flt.f([0.5, 0.25], 0.3), -np.array([0.5, 0.25]) + 2 * np.tanh(np.array([0.25 + 1, -0.5 + 2])))


# ---------------------------------------------------------------- bad input: exit 2, one line
HEAD = 'name = "t"\n[rnn]\nparameter = "a"\n'
DATA = '[rnn.data]\nW = [[0, 1], [-1, 0]]\nb = [1, 2]\nU = [[1, 2, 3], [4, 5, 6]]\n[search]\nrange = [0, 1]\n'


def f_model(formula, extra="", data=DATA):
    return HEAD + f"formula = {json.dumps(formula)}\n" + extra + data


BAD = {
    "shape U @ W": (f_model("-x + U @ W @ x"),
                    "'@' needs as many columns on the left as rows on the right: U is 2 x 3, W is 2 x 2 in 'U @ W'"),
    "shape bias": (f_model("-x + W @ x + c", data=DATA.replace("U =", "c = [1, 2, 3]\nU =")),
                   "shapes do not match for '+'"),
    "shape entrywise": (f_model("x * U"), "shapes do not match for '*'"),
    "scalar formula": (f_model("a * 2"), "is a scalar"),
    "matrix formula": (f_model("W + a * I"), "the formula is 2 x 2"),
    "@ with a scalar": (f_model("a @ x"), "'@' needs a matrix or vector on both sides"),
    "relu": (f_model("-x + relu(W @ x)"), "relu is not C^3: relu(z) = max(0, z) is not differentiable at z = 0"),
    "elu": (f_model("-x + elu(W @ x)"), "elu is not C^3"),
    "softsign": (f_model("-x + softsign(W @ x)"), "softsign is not C^3"),
    "Abs": (f_model("-x + Abs(W @ x)"), "Abs is not C^3"),
    "abs": (f_model("-x + abs(x)"), "abs is not C^3"),
    "non-C3 activation": (f_model("-x + s(W @ x)", extra='activation = "z/(1 + Abs(z))"\n'), "C^3"),
    "s without activation": (f_model("-x + s(x)"), "s(...) needs an activation"),
    "unknown function": (f_model("-x + foo(x)"), "unknown function 'foo'"),
    "unknown name": (f_model("-x + V @ x"), "unknown name 'V'"),
    "attribute": (f_model("-x + W.shape @ x"), "attribute .shape is not part of the formula language"),
    "code": (f_model("__import__('os').system('touch PWNED')"), "[rnn] formula"),
    "string": (f_model("-x + 'W'"), "unsupported constant"),
    "lambda": (f_model("(lambda: x)()"), "[rnn] formula"),
    "subscript": (f_model("-x + W[0]"), "unsupported syntax (Subscript)"),
    "keyword call": (f_model("-x + tanh(x=x)"), "takes exactly one argument"),
    "two arguments": (f_model("-x + tanh(x, x)"), "takes exactly one argument"),
    "power of a matrix by a vector": (f_model("-x + x ** b"), "the exponent of '**' must be a scalar"),
    "power by the parameter": (f_model("-x + x ** a"), "an entrywise power needs a constant exponent"),
    "division by zero": (f_model("-x + W @ x / 0"), "division by zero"),
    "syntax": (f_model("-x +* x"), "cannot parse"),
    "comment quotes": (f_model('-x """ + x'), "cannot parse"),
    "empty formula": (f_model(""), "non-empty formula"),
    "no x": (f_model("b + a * b"), "does not depend on x"),
    "n unknown": (HEAD + 'formula = "-x + a * x"\n[search]\nrange = [0, 1]\n', "the size n of x is not fixed"),
    "reserved data name": (f_model("-x", data="[rnn.data]\ntanh = 1\n"), "'tanh' is reserved"),
    "bad data name": (f_model("-x", data='[rnn.data]\n"W b" = 1\n'), "expected a name"),
    "parameter is data": (HEAD.replace('"a"', '"W"') + 'formula = "-x + W @ x"\n' + DATA, "also a data name"),
    "parameter is x": (HEAD.replace('"a"', '"x"') + 'formula = "-x"\n' + DATA, "'x' is reserved"),
    "formula and preset keys": (f_model("-x", extra='weights = [[1]]\n'), "weights cannot be used with formula"),
    "data without formula": (HEAD + 'architecture = "leaky"\nweights = [[0, 1], [-1, 0]]\n[rnn.data]\nc = 1\n',
                             "data belong(s) to a formula model"),
    "discrete preset": (HEAD + 'architecture = "leaky"\nweights = [[0, 1], [-1, 0]]\ntime = "discrete"\n',
                        "needs a formula"),
    "unknown time": (f_model("tanh(W @ x)", extra='time = "sometimes"\n'), "expected \"continuous\""),
    "string data": (f_model("-x", data='[rnn.data]\nW = [["one", 0], [0, 1]]\n'), "not a number"),
    "3-d data": (f_model("-x", data='[rnn.data]\nW = [[[1]]]\n'), "vector or matrix"),
    "huge number": (f_model("-x + W @ x * 1e999999999"), "number out of range"),
    "huge power": (f_model("-x + W @ x * 9 ** 9 ** 9"), "exponent beyond +-1000"),
    "huge entrywise power": (f_model("-x + W @ x ** 100001"), "exponent beyond +-1000"),
    "newline in weights path": (f_model("-x + W @ x", extra='weights_file = "a\\nb.npz"\n'), "control characters"),
    "names without file": (f_model("-x + W @ x", extra='[rnn.names]\nW = "w"\n'), "no weights_file"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_formula_input_is_one_line_exit_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text, reason = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(reason)):
        Model.from_toml(path)
    assert main(["derive", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("symhopf: error: ") and "Traceback" not in err
    assert not (tmp_path / "PWNED").exists()


def test_shape_error_names_the_term():
    with pytest.raises(InputError, match=r"in 'Wz @ x \+ bz'"):
        formula_model("-x + sigmoid(Wz @ x + bz)", {"Wz": np.eye(2), "bz": np.ones(3)})


# ---------------------------------------------------------------- weights files
def bf16_safetensors(path, key, values):
    raw = (np.asarray(values, np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
    text = json.dumps({key: {"dtype": "BF16", "shape": [len(values)], "data_offsets": [0, len(raw)]}}).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + raw)


SAFE = ('name = "s"\n[rnn]\nformula = "W2 @ tanh(W1 @ x + b1) + b2 - a * x"\nparameter = "a"\n'
        'weights_file = "{file}"\n[rnn.names]\nW1 = "net.0.weight"\nb1 = "net.0.bias"\nW2 = "net.2.weight"\n'
        '[rnn.data]\nb2 = [0.02, -0.01]\n[search]\nrange = [0.05, 3.0]\n')


def mlp_tensors():
    m = Model.from_toml(EXAMPLES / "mlp_ode.toml")
    return {"net.0.weight": m.data["W1"].values, "net.0.bias": m.data["b1"].values,
            "net.2.weight": m.data["W2"].values, "net.2.bias": m.data["b2"].values, "other": np.zeros((3, 3, 3))}


@pytest.mark.parametrize("dtype", ["F32", "F64", "F16"])
def test_safetensors_weights_with_names(tmp_path, dtype):
    tensors = mlp_tensors()
    write_safetensors(tmp_path / "net.safetensors", tensors, dtype)
    (tmp_path / "m.toml").write_text(SAFE.format(file="net.safetensors"))
    m = Model.from_toml(tmp_path / "m.toml")
    np_dtype = {"F32": np.float32, "F64": np.float64, "F16": np.float16}[dtype]
    for name, key in (("W1", "net.0.weight"), ("b1", "net.0.bias"), ("W2", "net.2.weight")):
        want = np.asarray(tensors[key], np_dtype).astype(np.float64)   # the binary value stored, exactly
        assert np.array_equal(m.data[name].values, want) and m.data[name].exact is None
    assert m.data["b2"].exact is not None   # 0.02 from [rnn.data] stays 1/50
    assert set(m.data) == {"W1", "b1", "W2", "b2"}


def test_safetensors_model_proves_like_the_decimal_one(tmp_path):
    write_safetensors(tmp_path / "net.safetensors", mlp_tensors(), "F64")
    (tmp_path / "m.toml").write_text(SAFE.format(file="net.safetensors"))
    c1 = prove(Model.from_toml(tmp_path / "m.toml"))
    c2 = prove(Model.from_toml(EXAMPLES / "mlp_ode.toml"))
    assert [p.status for p in c1.hopf_points] == [p.status for p in c2.hopf_points] == ["proved"]
    (lo1, hi1), (lo2, hi2) = ([Fraction(s) for s in c.hopf_points[0].parameter] for c in (c1, c2))
    assert abs(lo1 - lo2) < Fraction(1, 10**12)   # binary weights (e.g. 0.1 in float64) move it slightly


def test_bfloat16_is_widened_exactly(tmp_path):
    bf16_safetensors(tmp_path / "w.safetensors", "W", [1.5, -0.25, 3.0, 2.0 ** -10])
    from symhopf.weights import load_weights
    got = load_weights(tmp_path / "w.safetensors", {"W"}, {})["W"]
    assert got.tolist() == [1.5, -0.25, 3.0, 2.0 ** -10]


def test_npz_weights_by_name(tmp_path):
    np.savez(tmp_path / "w.npz", Wz=np.eye(2) * 0.25, bz=np.zeros(2), Wh=np.array([[1.0, 2.0], [-2.0, 1.0]]), c=np.array(0.5))
    (tmp_path / "m.toml").write_text('[rnn]\nformula = "(1 - sigmoid(Wz @ x + bz)) * (tanh(a * (Wh @ x)) - c * x)"\n'
                                     'parameter = "a"\nweights_file = "w.npz"\n[search]\nrange = [0.1, 3]\n')
    m = Model.from_toml(tmp_path / "m.toml")
    assert m.data["c"].shape == () and m.n == 2


def raw(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("content, reason", [
    (b"", "bad header length"),
    (struct.pack("<Q", 10**12) + b"{}", "bad header length"),
    (struct.pack("<Q", 4) + b"nope", "header is not JSON"),
    (raw([]), "header is not a table"),
    (raw({"net.0.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 99]}}, bytes(16)), "data offsets do not match"),
    (raw({"net.0.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, bytes(8)), "data offsets do not match"),
    (raw({"net.0.weight": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, bytes(8)), "unsupported dtype 'C64'"),
    (raw({"net.0.weight": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4)), "malformed header entry"),
    (raw({"net.0.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, True]}}, bytes(4)), "malformed header entry"),
    (raw({"net.0.weight": [1, 2]}), "malformed header entry"),
])
def test_malformed_safetensors_are_refused(tmp_path, content, reason):
    (tmp_path / "w.safetensors").write_bytes(content)
    (tmp_path / "m.toml").write_text('[rnn]\nformula = "-x + W @ x"\nparameter = "a"\nweights_file = "w.safetensors"\n'
                                     '[rnn.names]\nW = "net.0.weight"\n')
    with pytest.raises(InputError, match=re.escape(reason)):
        Model.from_toml(tmp_path / "m.toml")


def test_missing_mapped_key_and_wrong_suffix(tmp_path):
    write_safetensors(tmp_path / "w.safetensors", {"net.0.weight": np.eye(2)})
    (tmp_path / "m.toml").write_text(SAFE.format(file="w.safetensors"))
    with pytest.raises(InputError, match=re.escape("no array for W2 -> 'net.2.weight', b1 -> 'net.0.bias'")):
        Model.from_toml(tmp_path / "m.toml")
    (tmp_path / "m.toml").write_text(SAFE.format(file="w.pt"))
    with pytest.raises(InputError, match="must be .npz or .safetensors"):
        Model.from_toml(tmp_path / "m.toml")


class _Tensor:
    """Duck-typed torch tensor (torch is an optional extra, not installed in the tests)."""

    def __init__(self, a):
        self.a = np.asarray(a, np.float32)

    def detach(self):
        return self

    def cpu(self):
        return self

    def double(self):
        return _Tensor.__new__(_Tensor)._set(self.a.astype(np.float64))

    def _set(self, a):
        self.a = a
        return self

    def numpy(self):
        return self.a


class _Module:
    def __init__(self, state):
        self.state = state

    def state_dict(self):
        return {k: _Tensor(v) for k, v in self.state.items()}


def test_from_torch_reads_the_state_dict():
    t = mlp_tensors()
    del t["other"]
    m = Model.from_torch(_Module(t), "W2 @ tanh(W1 @ x + b1) + b2 - a * x",
                         names={"W1": "net.0.weight", "b1": "net.0.bias", "W2": "net.2.weight", "b2": "net.2.bias"},
                         range=[0.05, 3])
    assert np.array_equal(m.data["W1"].values, np.asarray(t["net.0.weight"], np.float32).astype(float))
    with pytest.raises(InputError, match="no tensor 'nope'"):
        Model.from_torch(_Module(t), "-x + W @ x", names={"W": "nope"})


# ---------------------------------------------------------------- report
@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex not installed")
def test_formula_report_compiles_with_the_formula_and_data(tmp_path):
    from symhopf.report import compile_pdf, tex_tt, write_report
    m = Model.from_formula("(1 - sigmoid(W_z @ x + b_z)) * (tanh(a * (W_h @ x) + b_h) - x)", {
        "W_z": [["0.2", "-0.1"], ["0.3", "0.1"]], "b_z": ["0.1", "-0.2"], "W_h": [[1, 2], [-2, 1]],
        "b_h": ["0.05", "-0.1"]}, name="gru_{#1}", range=["0.5", "1.5"], search={"box": [-2, 2]})
    cert = prove(m)
    assert [p.status for p in cert.hopf_points] == ["proved"]
    path = write_report(cert, m, derive(m), tmp_path / "gru.tex")
    tex = path.read_text()
    assert tex_tt(m.formula.text) in tex and r"W\char95{}\allowbreak{}z" in tex   # the formula as written, escaped
    assert r"W_{h} = \begin{bmatrix}1 & 2\\ -2 & 1\end{bmatrix}" in tex and "b_{z} = " in tex
    ok, msg = compile_pdf(path)
    assert ok, msg


def test_the_pytorch_example_file_is_what_the_script_writes(tmp_path):
    """examples/mlp_ode.safetensors is current, and its model proves the Hopf point of the decimal model
    (float32 weights move it by ~1e-8)."""
    want = tmp_path / "w.safetensors"
    tensors = {"net." + k: np.array(data_of("mlp-ode")[n], float) for n, k in _make.KEYS.items()}
    write_safetensors(want, tensors)
    assert want.read_bytes() == (EXAMPLES / "mlp_ode.safetensors").read_bytes()
    m = Model.from_toml(EXAMPLES / "mlp_torch.toml")
    assert m.data["b1"].values[0] == float(np.float32(0.1)) != 0.1
    c = prove(m)
    assert [p.status for p in c.hopf_points] == ["proved"]
    assert abs(float(Fraction(c.hopf_points[0].parameter[0])) - 0.3519776977) < 1e-7


TOKENS = ["x", "W", "b", "c", "a", "I", "s", "tanh", "sigmoid", "relu", "(", ")", "@", "*", "/", "+", "-", "**",
          "0.1", "2", "1e999", ",", ".", "T", "[", "]", "'", '"', "lambda", ":", "__import__", " ", "=", "==", "1j"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
def test_any_text_parses_or_is_refused_with_a_reason(tokens):
    """Hostile formula text: a model whose derivation and code exist, or an InputError, never
    another exception."""
    text = " ".join(tokens)
    try:
        m = Model.from_formula(text, {"W": [[0, 1], [-1, 0]], "b": [1, 2], "c": 3}, activation="atan",
                               range=[0, 1])
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert m.formula.expr.shape == (N, 1)
    render(m)     # derive + print: every node of the formula is one the calculus and printers know


def test_equilibrium_box_through_a_factor_that_never_vanishes():
    """(-x + sigmoid(.)) / tau: the zeros are those of -x + sigmoid(.), in (0, 1)^n."""
    m = Model.from_toml(EXAMPLES / "wilson_cowan.toml")
    lo, hi = m.equilibrium_box()
    assert np.allclose(hi, 1) and np.all(hi >= 1) and np.array_equal(lo, -hi)


def test_no_box_when_a_factor_can_vanish():
    """c = [1, 0]: x2' = 0 identically, every x2 is an equilibrium coordinate; no bound may be claimed."""
    data = {"W": [[0, 1], [-1, 0]], "c": [1, 0]}
    assert formula_model("(-x + tanh(W @ x)) * c", data).equilibrium_box() is None
    assert formula_model("(-x + tanh(W @ x)) * c", {**data, "c": [1, 2]}).equilibrium_box() is not None
    assert formula_model("(-x + tanh(W @ x)) * (c - a)", {**data, "c": [1, 2]}).equilibrium_box() is None  # a = 1 in [0, 1]


def test_data_named_like_the_directions_are_not_the_directions():
    """Data vectors u, v, w of size n (the directions' names): Df u is still the Jacobian applied
    to the direction, not to the data."""
    data = {"W": [["0.5", "-1"], ["1.25", "0.75"]], "u": ["0.1", "0.2"], "v": ["0.3", "-0.4"], "w": [2, 3]}
    m = formula_model("-x + tanh(W @ x + u) * w + v", data)
    d = derive(m)
    assert d.symbols["u"] != m.formula.data["u"] and str(d.symbols["u"]) == "u_"
    s = System.from_model(m)
    W, u, v, w = (np.array(data[k], float) for k in ("W", "u", "v", "w"))
    x = np.array([0.3, -0.7])
    J = -np.eye(2) + ((1 - np.tanh(W @ x + u) ** 2) * w)[:, None] * W
    assert np.allclose(s.flt.Df(x, 0.5), J, atol=1e-14)
    xs = sp.symbols("x1:3", real=True)
    f = -sp.Matrix(xs) + had(th(exact_matrix(data["W"]) * sp.Matrix(xs) + V(data["u"])), V(data["w"])) + V(data["v"])
    ode = Model.ode(["x1", "x2"], [sp.sstr(e) for e in f], "a", range=[0, 1])
    ref = Reference(ode)
    args = (list(x), 0.5, [1, 0.5], [0.25, -1], [2, 1])
    for fn in ("Df", "B", "C"):
        assert_contains(ball_call(s, fn, *args, False), reference_values(ref, fn, *args), fn)


COEFF_FORMULA = "(-x + tanh((W + a * E) @ x + (a - 1) * b) * k) / (tau + a**2) + (a - 1) * (1 - a) * x / (2 + a)"
COEFF_DATA = {"W": [["0.5", "-1"], ["1.25", "0.75"]], "E": [[0, 1], [1, 0]], "b": ["0.1", "-0.2"], "k": "3/2",
              "tau": "0.5"}


@functools.lru_cache(maxsize=None)
def coefficient_setup():
    """Scalar coefficients that are sums, quotients and powers of the parameter and scalar data."""
    m = formula_model(COEFF_FORMULA, COEFF_DATA)
    xs = sp.symbols("x1:3", real=True)
    a, x = sp.Symbol("a", real=True), sp.Matrix(xs)
    W, E, b = M(COEFF_DATA["W"]), M(COEFF_DATA["E"]), V(COEFF_DATA["b"])
    f = (-x + th((W + a * E) * x + (a - 1) * b) * sp.Rational(3, 2)) / (sp.Rational(1, 2) + a**2) \
        + (a - 1) * (1 - a) * x / (2 + a)
    return m, System.from_model(m), Reference(Model.ode([str(s) for s in xs], [sp.sstr(e) for e in f], "a",
                                                        range=[0, 1]))


@HYP
@given(data=st.data())
def test_generated_code_with_compound_coefficients_contains_the_50_digit_values(data):
    check_at_a_drawn_point(*coefficient_setup(), data, ALL)


#: SymPy's operators turn W @ W into W**2 and x * x into x^{o 2}: the parser undoes that
CANONICAL = {
    "-x + x * x * b": lambda W, b, x: -x + had(had(x, x), b),
    "-x + (W @ x) * (W @ x) / 4": lambda W, b, x: -x + had(W * x, W * x) / 4,
    "W @ W @ x - x + b": lambda W, b, x: W * W * x - x + b,
    "((W @ W) * W) @ x / 2 - x": lambda W, b, x: had(W * W, W) * x / 2 - x,
    "x * x * x * b - x + b * b": lambda W, b, x: had(had(had(x, x), x), b) - x + had(b, b),
}


@pytest.mark.parametrize("formula", sorted(CANONICAL))
def test_matrix_and_entrywise_powers_from_repeated_factors(formula):
    data = {"W": [["0.5", "-1"], ["1.25", "0.75"]], "b": ["0.1", "-0.2"]}
    m = formula_model(formula, data)
    xs = sp.symbols("x1:3", real=True)
    f = CANONICAL[formula](M(data["W"]), V(data["b"]), sp.Matrix(xs))
    ref = Reference(Model.ode([str(s) for s in xs], [sp.sstr(e) for e in f], "a", range=[0, 1]))
    args = ([0.3, -0.7], 0.5, [1, 0.5], [0.25, -1], [2, 1])
    s = System.from_model(m)
    for fn in ("f", "Df", "B", "C"):
        assert_contains(ball_call(s, fn, *args, False), reference_values(ref, fn, *args), fn)

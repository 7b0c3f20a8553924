"""Transposes in the formula language: ``W.T`` and ``transpose(W)`` of terms free of x.

The paper's net ``tanh((R1 - R1.T + R2 + a*I) @ x)`` proves the same points as the asymmetric
preset with W = R1 - R1^T + R2 (the constant part is one exact matrix computed at load, so the
structure is the preset's); transposes of terms with the parameter stay structured and the
derivation agrees with SymPy's componentwise one; bad transposes are one line, exit 2.
"""
import random
import re
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symhopf.api import prove
from symhopf.calculus import Precomputed, to_explicit
from symhopf.checker import verify
from symhopf.cli import main
from symhopf.codegen import render
from symhopf.derive import derive
from symhopf.errors import InputError
from symhopf.formula import N, Z
from symhopf.model import Model
from test_formula import DATA, HEAD, componentwise_reference  # W 2 x 2, b 2, U 2 x 3

PAPER = "tanh((R1 - R1.T + R2 + a*I) @ x)"


def rationals(rng: random.Random, n: int, m: int, scale: int) -> list[list[str]]:
    """An n x m matrix of exact decimals k/scale as strings (1/10 is not a binary number)."""
    return [[str(Fraction(rng.randint(-9, 9), scale)) for _ in range(m)] for _ in range(n)]


def paper_data(seed: int = 4, n: int = 4) -> dict[str, list[list[str]]]:
    rng = random.Random(seed)
    return {"R1": rationals(rng, n, n, 10), "R2": rationals(rng, n, n, 100)}


def weight(data: dict) -> list[list[Fraction]]:
    """W = R1 - R1^T + R2, by hand in Fractions."""
    R1, R2 = ([[Fraction(v) for v in row] for row in data[k]] for k in ("R1", "R2"))
    n = len(R1)
    return [[R1[i][j] - R1[j][i] + R2[i][j] for j in range(n)] for i in range(n)]


def proved(cert) -> list:
    return [p for p in cert.hopf_points if p.status == "proved"]


# ---------------------------------------------------------------- the paper's net
def test_paper_net_is_the_asymmetric_preset_with_its_weight():
    """Same a enclosures, omega and l1 as the preset (exactly: the same ball computation), both
    intersecting those of the componentwise [system] model; the certificate re-verifies."""
    data = paper_data()
    W = weight(data)
    net = Model.from_formula(PAPER, data, parameter="a", range=["-2", "2"], name="paper-t")
    preset = Model.rnn("asymmetric", weights=[[str(q) for q in row] for row in W], activation="tanh",
                       parameter="a", range=["-2", "2"], name="paper-preset")
    (pre,) = net.formula.precomputed.values()
    assert isinstance(pre, Precomputed) and not pre.definition.has(net.formula.parameter)
    assert net.derived[pre.name].exact.tolist() == W      # exact, computed at load
    c_net, c_preset = prove(net), prove(preset)
    p_net, p_preset = proved(c_net), proved(c_preset)
    assert len(p_net) == len(p_preset) == 2
    for p, q in zip(p_net, p_preset):
        for key in ("parameter", "omega", "first_lyapunov", "transversality", "x"):
            assert getattr(p, key) == getattr(q, key), key
    xs = [f"x{i}" for i in range(4)]
    rhs = [f"tanh({' + '.join(f'({W[i][j]})*{xs[j]}' for j in range(4))} + a*{xs[i]})" for i in range(4)]
    system = Model.ode(xs, rhs, "a", range=["-2", "2"], name="paper-system")
    p_sys = proved(prove(system))
    assert len(p_sys) == 2
    for p, q in zip(p_net, p_sys):
        for key in ("parameter", "omega", "first_lyapunov"):
            lo1, hi1 = (Fraction(s) for s in getattr(p, key))
            lo2, hi2 = (Fraction(s) for s in getattr(q, key))
            assert max(lo1, lo2) <= min(hi1, hi2), key
    v = verify(c_net.to_dict())
    assert v.ok and len(v.verified) == 2, v.failures


def test_transpose_function_and_attribute_are_the_same():
    data = paper_data(seed=7, n=3)
    a = Model.from_formula(PAPER, data, range=["-1", "1"])
    b = Model.from_formula("tanh((R1 - transpose(R1) + R2 + a*I) @ x)", data, range=["-1", "1"])
    assert a.structure_key() == b.structure_key()


def test_the_comparison_with_the_preset_can_fail():
    """R1 + R1.T is another weight: the certificates differ."""
    data = paper_data()
    W = weight(data)
    other = Model.from_formula("tanh((R1 + R1.T + R2 + a*I) @ x)", data, range=["-2", "2"])
    assert [[Fraction(q) for q in row] for row in other.derived[next(iter(other.derived))].exact.tolist()] != W


# ---------------------------------------------------------------- structured derivation
#: a transpose with the parameter inside, a product transposed, a scaled transpose of a scalar's data
FORMULA = "tanh((W + a*I).T @ x + b) + (c*G @ H - G.T).T @ sigmoid(x) - x"


def explicit_f(d: dict, x: sp.Matrix, a: sp.Symbol) -> sp.Matrix:
    W, G, H, b = d["W"], d["G"], d["H"], d["b"]
    c = d["c"]
    n = W.shape[0]
    return (((W + a * sp.eye(n)).T * x + b).applyfunc(sp.tanh)
            + (c * G * H - G.T).T * x.applyfunc(lambda t: 1 / (1 + sp.exp(-t))) - x)


def formula_case(n: int, seed: int = 1):
    rng = random.Random(seed)
    raw = {"W": rationals(rng, n, n, 4), "G": rationals(rng, n, n, 8), "H": rationals(rng, n, n, 5),
           "b": [str(Fraction(rng.randint(-5, 5), 10)) for _ in range(n)], "c": "3/7"}
    exact = {k: sp.Matrix([[sp.Rational(v) for v in row] for row in raw[k]]) for k in ("W", "G", "H")}
    exact.update(b=sp.Matrix([sp.Rational(v) for v in raw["b"]]), c=sp.Rational(raw["c"]))
    return Model.from_formula(FORMULA, raw, range=["-1", "1"]), exact


def test_structured_derivation_agrees_with_the_componentwise_one():
    """Each derived formula made explicit (the Precomputed matrices by their definitions) equals
    SymPy's derivative of the hand-written f, exactly, at a rational point."""
    n = 3
    model, d_exact = formula_case(n)
    d = derive(model)
    a = d.parameter
    assert not any(p.definition.has(a) for p in model.formula.precomputed.values())
    assert any(isinstance(t, Precomputed) and sp.sstr(t) == "W.T" for t in sp.preorder_traversal(model.formula.expr))
    (x0, u, v, w, a0), ref = componentwise_reference(lambda xs, a: explicit_f(d_exact, sp.Matrix(xs), a), n, a, 3)
    s = d.symbols
    values = {s["x"]: x0, s["u"]: u, s["v"]: v, s["w"]: w, a: a0, N: n}
    for name, sym in model.formula.data.items():
        values[sym] = d_exact[name]
    for name in ref:
        got = to_explicit(d[name], values, model.formula.functions, Z)
        diff = (got - ref[name]).evalf(60)
        assert got.shape == (n, 1) and max(abs(e) for e in diff) < 1e-50, name
    # the exact arrays computed at load are the definitions' values
    for pname, p in model.formula.precomputed.items():
        want = to_explicit(p.definition, {**values}, {}, Z)
        got = model.derived[pname]
        assert sp.Matrix(got.shape[0], got.shape[1], [sp.Rational(f.numerator, f.denominator)
                                                      for f in got.fractions()]) == want, pname


def test_structure_is_flat_in_n():
    """The same formula at n = 2 and n = 40: the same structure, hence the same generated module."""
    small, _ = formula_case(2)
    large, _ = formula_case(40, seed=2)
    assert small.structure_key() == large.structure_key()
    assert render(small) == render(large)


def test_the_comparison_can_fail():
    """Dropping the transpose of (W + a*I) changes f: the reference would see it."""
    model, d_exact = formula_case(3)
    wrong = Model.from_formula(FORMULA.replace("(W + a*I).T", "(W + a*I)"),
                               {k: [[str(v) for v in row] for row in d_exact[k].tolist()] if k in "WGH" else
                                ([str(v) for v in d_exact[k]] if k == "b" else str(d_exact[k])) for k in d_exact},
                               range=["-1", "1"])
    d, dw = derive(model), derive(wrong)
    values = {d.symbols["x"]: sp.Matrix([1, 2, -1]), d.parameter: sp.Rational(1, 3), N: 3,
              **{sym: d_exact[k] for k, sym in model.formula.data.items()}}
    assert to_explicit(d["f"], values, model.formula.functions, Z) != \
        to_explicit(dw["f"], values, wrong.formula.functions, Z)


def test_transposes_push_down_to_the_data():
    data = {"W": np.arange(4.0).reshape(2, 2), "U": np.arange(6.0).reshape(2, 3), "b": [1, 2], "c": 3}
    cases = {
        "-x + W.T.T @ x": "-x + W @ x",                              # (A^T)^T = A
        "-x + (W @ W).T @ x": "-x + W.T @ W.T @ x",                  # (AB)^T = B^T A^T
        "-x + (W + 2*I).T @ x": "-x + (W.T + 2*I) @ x",               # I^T = I
        "-x + tanh(W).T @ x": "-x + tanh(W.T) @ x",                   # g(A)^T = g(A^T)
        "-x + (U @ U.T).T @ x": "-x + U @ U.T @ x",
        "-x + (a*W).T @ x": "-x + a*W.T @ x",
    }
    for written, same in cases.items():
        assert Model.from_formula(written, data).structure_key() == \
            Model.from_formula(same, data).structure_key(), written


#: formulas whose value numpy computes the same way (``.T``, ``@``, entrywise ``*``)
NUMERIC = ["-x + (W @ W @ W).T @ x", "-x + (W @ W).T @ x + (W.T @ W.T) @ x", "-x + (W.T @ W.T + W.T) @ x",
           "tanh((W - W.T + a*I) @ x)", "-x + (W + 1).T @ tanh(x)", "-x + (d + W).T @ tanh(x) / d",
           "-x + (U @ V).T.T @ V.T @ U.T @ x", "-x + tanh((b @ b.T + a*I).T @ x)", "-x + (W * W.T) @ x",
           "-x + (W ** 2).T @ x", "-x + sigmoid(a * W).T @ x", "-x + (a*(W + W.T) + I).T @ x",
           "-x + (W + d*W.T/3) @ tanh(x) + b", "W.T @ tanh(U @ V.T @ U.T @ x) - a*x",
           "-x + tanh(tanh(b - b)) + W.T @ x"]     # a zero term inside a function


@pytest.mark.parametrize("formula", NUMERIC)
def test_pushdown_and_folding_keep_the_value(formula):
    """The generated float f (pushed-down transposes, precomputed sums) equals numpy's value of the
    formula as written, at a point (the test evaluates its own trusted strings with numpy)."""
    from symhopf.system import System
    data = {"W": [["0.5", "1"], ["-1", "0.25"]], "U": [[1, 2, 3], [4, 5, 6]], "b": ["0.1", "0.2"], "d": "2",
            "V": [[1, 0, 2], [0, 1, 1], [1, 1, 1]]}
    model = Model.from_formula(formula, data, range=["0", "1"])
    x, a = np.array([[0.3], [-0.2]]), 0.4
    env = {k: np.array([[float(Fraction(v)) for v in r] for r in m]) for k, m in data.items() if k in "WUV"}
    env.update(b=np.array([[0.1], [0.2]]), d=2.0, x=x, a=a, I=np.eye(2), tanh=np.tanh,
               sigmoid=lambda z: 1 / (1 + np.exp(-z)))
    want = eval(formula, {"__builtins__": {}}, env)[:, 0]     # noqa: S307 (the test's own formulas)
    got = System.from_model(model).flt.f(x[:, 0], a)
    assert np.allclose(got, want, rtol=1e-13, atol=1e-13)
    walk = sp.preorder_traversal(model.formula.expr)
    for t in walk:      # every transpose is inside a Precomputed matrix (data to the calculus)
        if isinstance(t, Precomputed):
            walk.skip()
        assert not isinstance(t, sp.Transpose), t


def test_exact_values_at_load():
    """Decimal data: the precomputed matrix is the exact rational one; binary data transposed alone:
    the same binary numbers, no arithmetic."""
    m = Model.from_formula("-x + (W - W.T / 3) @ x", {"W": [["0.1", "0.2"], ["0.3", "0.4"]]})
    (arr,) = m.derived.values()
    F = Fraction
    assert [list(r) for r in arr.exact] == [[F(1, 10) - F(1, 30), F(2, 10) - F(3, 30)],
                                            [F(3, 10) - F(2, 30), F(4, 10) - F(4, 30)]]
    W = np.array([[0.1, 2.0 ** -60], [1e300, -3.0]])
    m = Model.from_formula("-x + W.T @ x", {"W": W})
    (arr,) = m.derived.values()
    assert arr.exact is None and np.array_equal(arr.values, W.T)
    v = Model.from_formula("-x + (b @ b.T) @ x", {"b": [1, 2]})
    assert v.derived["b.T"].shape == (1, 2)


def test_float_overflow_of_a_precomputed_matrix_is_refused():
    with pytest.raises(InputError, match="beyond the float range"):
        Model.from_formula("-x + (W + 1e9 * W.T) @ x", {"W": [["0", "1e300"], ["1e300", "0"]]})


# ---------------------------------------------------------------- generated code
def test_generated_module_reads_the_precomputed_matrix_and_has_no_float_literal():
    m = Model.from_formula(PAPER, paper_data(), range=["-2", "2"], name="paper-t")
    src = render(m)
    assert 'self.pre_0 = data["(R1 + R2 - R1.T)"]' in src
    assert "(R1 + R2 - R1.T)" in src.split("class BallSystem")[0]   # the docstring shows it
    ball = src.split("class BallSystem")[1].split("class FloatSystem")[0]
    assert "self.pre_0" in ball and "d_R1" not in ball.split("def __init__")[1].split("\n\n")[1]
    assert not re.search(r"(?<![\w.\"'])\d+\.\d*(e[-+]?\d+)?(?![\w\"'])", ball), "float literal in ball code"


# ---------------------------------------------------------------- bad input: exit 2, one line
BAD = {
    "x.T": ("-x + x.T", "a transpose of a term with x has no meaning"),
    "(W @ x).T": ("-x + (W @ x).T", "in '(W @ x).T'"),
    "transpose(tanh(x))": ("-x + transpose(tanh(x))", "a transpose of a term with x"),
    "x.__class__": ("x.__class__", "attribute .__class__ is not part of the formula language"),
    "W.T.__class__": ("-x + W.T.__class__ @ x", "attribute .__class__"),
    "W.T()": ("-x + W.T() @ x", "unknown function 'W.T'"),
    "W.t": ("-x + W.t @ x", "attribute .t is not part of the formula language"),
    "W.transpose()": ("-x + W.transpose() @ x", "unknown function 'W.transpose'"),
    "a.T": ("-x + a.T * x", "a transpose needs a matrix or a vector, not a scalar in 'a.T'"),
    "transpose of two": ("-x + transpose(W, W) @ x", "transpose(...) takes exactly one argument"),
    "transpose keyword": ("-x + transpose(A=W) @ x", "transpose(...) takes exactly one argument"),
    "transpose bare": ("-x + transpose @ x", "transpose is a function: write transpose(...)"),
    "shape after transpose": ("-x + W @ U.T @ x",
                              "'@' needs as many columns on the left as rows on the right: W is 2 x 2, U.T is 3 x 2"),
    "row vector plus column": ("-x + b.T", "shapes do not match for '+'"),
    "lambda transposed": ("-x + (lambda: W).T @ x", "unsupported syntax (Lambda)"),
    "dunder via transpose": ("-x + transpose(W.__dict__) @ x", "attribute .__dict__"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_transposes_are_one_line_exit_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    formula, reason = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + "formula = '" + formula + "'\n" + DATA)
    with pytest.raises(InputError, match=re.escape(reason)):
        Model.from_toml(path)
    assert main(["derive", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("symhopf: error: ") and "Traceback" not in err


def test_transpose_is_a_reserved_name():
    with pytest.raises(InputError, match="'transpose' is reserved"):
        Model.from_formula("-x", {"transpose": 1, "W": np.eye(2)})


@pytest.mark.parametrize("formula, shown", [("-x + (W / c) @ x", "1/c"), ("-x + tanh(W @ x / (c - 1/c))", "1/(c - 1/c)"),
                                            ("-x + W @ x * (c - 1)**(1/2)", "sqrt(c - 1)")])
def test_scalar_data_that_make_a_factor_infinite_are_refused(formula, shown, tmp_path, capsys):
    """c = 0 in [rnn.data]: one line at load, not a division by zero in the generated code (this held
    before transposes too; found while testing them)."""
    path = tmp_path / "c0.toml"
    path.write_text(HEAD + f'formula = "{formula}"\n' + DATA.replace("[rnn.data]\n", "[rnn.data]\nc = 0\n"))
    assert main(["prove", str(path), "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert err == f"symhopf: error: [rnn] formula: the factor {shown} is not a finite real number with the data (c = 0)\n"
    Model.from_formula(formula, {"W": np.eye(2), "c": 3})      # c = 3: fine


def test_data_named_like_the_precomputed_attributes():
    """Data called pre_0, d_pre_0 or T keep their own attributes (d_<name>); the precomputed matrix
    is pre_0, read by its definition's name, which no data name can be."""
    from symhopf.system import System
    T = np.array([[0.0, 1.0], [-1.0, 0.0]])
    m = Model.from_formula("-x + (T.T + pre_0) @ tanh(x) + d_pre_0", {"T": T, "pre_0": np.eye(2), "d_pre_0": np.ones(2)})
    src = render(m)
    assert 'self.d_pre_0 = data["pre_0"]' in src and 'self.pre_0 = data["(pre_0 + T.T)"]' in src
    x = np.array([0.1, 0.2])
    assert np.allclose(System.from_model(m).flt.f(x, 0.3), -x + (T.T + np.eye(2)) @ np.tanh(x) + 1, rtol=1e-15)


# ---------------------------------------------------------------- property: any formula with transposes
def _matrices(depth: int):
    """2 x 2 terms free of x (W, U @ U.T, the parameter), transposed in every way."""
    from hypothesis import strategies as st
    leaves = st.sampled_from(["W", "(U @ U.T)", "(a*W)", "(2*W)", "(W / 4)", "transpose(U @ U.T / 8)"])
    if depth == 0:
        return leaves
    sub = _matrices(depth - 1)
    return st.one_of(leaves, st.builds(lambda e: f"({e}).T", sub), st.builds(lambda e: f"transpose({e})", sub),
                     st.builds(lambda e: f"tanh({e})", sub), st.builds(lambda e: f"(a * {e})", sub),
                     st.builds(lambda l, op, r: f"({l} {op} {r})", sub, st.sampled_from(["+", "-", "*", "@"]), sub))


def _vectors(depth: int):
    """2 x 1 terms in x; now and then a transpose of one (to be refused)."""
    from hypothesis import strategies as st
    leaves = st.sampled_from(["x", "b", "tanh(x)"])
    if depth == 0:
        return leaves
    sub = _vectors(depth - 1)
    return st.one_of(leaves, st.builds(lambda m, v: f"({m} @ {v})", _matrices(2), sub),
                     st.builds(lambda l, op, r: f"({l} {op} {r})", sub, st.sampled_from(["+", "-", "*"]), sub),
                     st.builds(lambda v: f"tanh({v})", sub), st.builds(lambda v: f"({v}).T", leaves))


def test_random_formulas_with_transposes_are_refused_or_right():
    """Random formulas over W (2 x 2), U (2 x 3), b, x, a with transposes: either one InputError, or
    the generated float f equals numpy's value of the text, and no transpose is left outside a
    Precomputed matrix."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from symhopf.system import System
    data = {"W": [["0.5", "1"], ["-1", "0.25"]], "U": [[1, 2, 3], [4, 5, 6]], "b": ["0.1", "0.2"]}
    x, a = np.array([[0.3], [-0.2]]), 0.4
    env = {"W": np.array([[0.5, 1], [-1, 0.25]]), "U": np.array([[1.0, 2, 3], [4, 5, 6]]),
           "b": np.array([[0.1], [0.2]]), "x": x, "a": a, "tanh": np.tanh, "transpose": np.transpose}
    seen = {"ok": 0}

    @settings(max_examples=80, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.builds(lambda e: f"-x + {e}", _vectors(3)))
    def check(formula):
        try:
            model = Model.from_formula(formula, data, range=["0", "1"])
        except InputError as exc:
            assert "\n" not in str(exc)
            return
        seen["ok"] += 1
        walk = sp.preorder_traversal(model.formula.expr)
        for t in walk:
            if isinstance(t, Precomputed):
                walk.skip()
            assert not isinstance(t, sp.Transpose), (formula, t)
        want = np.asarray(eval(formula, {"__builtins__": {}}, env), dtype=float)   # noqa: S307 (own text)
        got = System.from_model(model).flt.f(x[:, 0], a)
        assert np.allclose(got, want.reshape(-1), rtol=1e-12, atol=1e-12), formula

    check()
    assert seen["ok"] >= 40      # the property met accepted formulas, not only refusals


def test_a_model_with_a_precomputed_matrix_pickles():
    """python-flint matrices do not pickle; the exact arrays drop theirs and keep the Fractions."""
    import pickle
    m = Model.from_formula(PAPER, paper_data(), range=["-2", "2"])
    m.data["R1"].to_arb_mat()       # builds R1's rational matrix too
    back = pickle.loads(pickle.dumps(m))
    (name,) = m.derived
    assert back.derived[name].exact.tolist() == m.derived[name].exact.tolist() == weight(paper_data())
    assert back.structure_key() == m.structure_key()
    a, b = back.derived[name].to_arb_mat(), m.derived[name].to_arb_mat()      # the same balls
    assert [(u.mid(), u.rad()) for u in a.entries()] == [(v.mid(), v.rad()) for v in b.entries()]

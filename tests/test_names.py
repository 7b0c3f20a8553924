"""Name hygiene (issue 13, item 9): any name a model file allows works, and gives the
certificate of the same model with plain names.

Generated code and derivations have names of their own (x0, u0, v1, c0, t0, a, self, numpy,
arb, _b, ...); a model whose variables, parameter or constants are called so must neither
change a formula nor break the module.
"""
import re

import pytest
import sympy as sp

from symhopf.api import prove
from symhopf.derive import derive
from symhopf.cli import main
from symhopf.errors import InputError
from symhopf.model import Model

RHS = ["a - (b + 1)*x + x**2*y", "b*x - x**2*y"]   # Brusselator, a = 1: Hopf at b = 2


def renamed(x: str, y: str, b: str, a: str) -> Model:
    names = {"x": x, "y": y, "b": b, "a": a}
    rhs = [re.sub(r"\b[xyab]\b", lambda m: names[m.group(0)], t) for t in RHS]
    return Model.ode([x, y], rhs, b, constants={a: 1}, range=[1.5, 2.5], name="renamed")


def numbers(model: Model) -> list:
    cert = prove(model)
    assert cert.hopf_points, "the Brusselator has its Hopf point at b = 2"
    return [(p.status, p.parameter, p.omega, p.first_lyapunov, p.transversality, p.x)
            for p in cert.hopf_points] + [b["completeness"]["proved"] for b in cert.branches]


REFERENCE = ("x", "y", "b", "a")
COLLIDING = [("u1", "u2", "v1", "c0"), ("u0", "v0", "x0", "t0"), ("x1", "x0", "a", "b"),
             ("c1", "c0", "u1", "v2"), ("self", "numpy", "arb", "_b"), ("a", "u", "x", "v"),
             ("Integer", "Symbol", "E", "N"), ("I", "S", "pi", "Rational"), ("w", "z", "t1", "_fl"),
             ("u_1", "u1", "v_1", "v1")]


@pytest.fixture(scope="module")
def reference() -> list:
    return numbers(renamed(*REFERENCE))


@pytest.mark.parametrize("names", COLLIDING, ids="-".join)
def test_colliding_names_give_the_same_certificate(names, reference):
    assert numbers(renamed(*names)) == reference


@pytest.mark.parametrize("names", COLLIDING, ids="-".join)
def test_derive_shows_the_right_B(names):
    """B(u, h) of the renamed model is the reference's, with the names mapped back, and its
    direction symbols are none of the model's names."""
    ref, got = derive(renamed(*REFERENCE)), derive(renamed(*names))
    back = {sp.Symbol(n, real=True): sp.Symbol(r, real=True) for n, r in zip(names, REFERENCE)}
    back.update({s: r for s, r in zip(got.symbols["u"], ref.symbols["u"])})
    back.update({s: r for s, r in zip(got.symbols["v"], ref.symbols["v"])})
    for name in ("B_u", "C_uv", "Df", "f", "B_a"):
        assert got[name].xreplace(back) == ref[name], name
    directions = {str(s) for s in [*got.symbols["u"], *got.symbols["v"]]}
    assert not directions & set(names)


def test_derive_text_for_variables_named_u1_u2(tmp_path, capsys):
    """The issue's case: variables u1, u2 printed B as ``4*u1*u2``."""
    path = tmp_path / "m.toml"
    path.write_text('[system]\nvariables = ["u1", "u2"]\nparameter = "b"\nconstants = { a = 1 }\n'
                    'rhs = ["a - (b + 1)*u1 + u1**2*u2", "b*u1 - u1**2*u2"]\n')
    assert main(["derive", str(path)]) == 0
    text = capsys.readouterr().out
    b_u = text[text.index("B_u = "):text.index("    (the matrix of h -> B(u, h)")]
    assert b_u == ("B_u = Matrix([\n"
                   "[ 2*u1*u_2 + 2*u2*u_1,  2*u1*u_1],\n"
                   "[-2*u1*u_2 - 2*u2*u_1, -2*u1*u_1]])\n")


LEAKY = dict(weights=[[0.1, 2.0, -0.5], [-2.0, -0.2, 1.0], [0.5, -1.0, -0.8]], bias=[0.2, -0.1, 0.1], range=[1, 1.3])


@pytest.mark.parametrize("parameter", ["a", "m1", "self", "numpy", "arb", "_b", "t0", "c0", "eye_n", "X", "W2"])
def test_rnn_parameter_named_like_internals(parameter):
    cert, ref = prove(Model.rnn("leaky", parameter=parameter, **LEAKY)), prove(Model.rnn("leaky", parameter="alpha", **LEAKY))
    assert [(p.status, p.parameter, p.omega, p.first_lyapunov) for p in cert.hopf_points] == \
        [(p.status, p.parameter, p.omega, p.first_lyapunov) for p in ref.hopf_points]
    assert any(p.status == "proved" for p in cert.hopf_points)


@pytest.mark.parametrize("parameter", ["x", "u", "v", "w", "z", "s", "I", "n", "W", "b", "E", "M"])
def test_rnn_parameter_that_the_formulas_use_is_refused(parameter):
    """``(x*I + W)*s(x) - x`` would be printed for a parameter named x: refused, with the reason."""
    with pytest.raises(InputError, match="already names the state, a direction, the data or the activation"):
        Model.rnn("leaky", parameter=parameter, **LEAKY)
    with pytest.raises(InputError, match="W1"):
        Model.rnn("multilayer", parameter="W1", layers=[{"weights": LEAKY["weights"]}])

"""Red-team cases for the global completeness statement (proof/global_.py): Hopf points at a range
end and on a tiny isola. The statement, when made, must list every true Hopf point (ground truth
from SymPy, exact); when a Hopf point sits where no proof can reach it, no statement is made."""
from fractions import Fraction

import pytest
import sympy as sp

from symhopf.api import prove, summary
from symhopf.model import Model

NF = ["{mu}*y - z - y*(y**2 + z**2)", "y + {mu}*z - z*(y**2 + z**2)"]


def _truth(rhs, a_lo, a_hi):
    """Exact Hopf points (x, a) of the normal-form systems below: equilibria with y = z = 0 and mu = 0."""
    x, a = sp.symbols("x a", real=True)
    f1 = sp.sympify(rhs[0], locals={"x": x, "a": a})
    mu = sp.sympify(rhs[1], locals={"x": x, "a": a})
    sols = sp.solve([f1, mu], [x, a], dict=True)
    return [(s[x], s[a]) for s in sols if a_lo <= s[a] <= a_hi]


def _listed(cert, xv, av):
    return any(p.status == "proved" and Fraction(p.parameter[0]) <= av <= Fraction(p.parameter[1])
               and Fraction(p.x[0][0]) <= xv <= Fraction(p.x[0][1]) for p in cert.hopf_points)


@pytest.mark.parametrize("rng", [("0", "1/2"), ("-1/2", "0")])
def test_hopf_point_at_a_range_end_gets_no_global_statement(rng, monkeypatch):
    """Hopf point at (x, a) = (0, 0), exactly at a range end: no proof can list it, so no global claim."""
    monkeypatch.setenv("SYMHOPF_GLOBAL_BUDGET", "5000")
    mu = "(x - 1)*a"
    model = Model.ode(["x", "y", "z"], ["x*(x - 3)"] + [s.format(mu=mu) for s in NF], "a", range=list(rng),
                      search={"box": [[-1, 4], [-2, 2], [-2, 2]]})
    truth = _truth(["x*(x - 3)", mu], Fraction(rng[0]), Fraction(rng[1]))
    assert (0, 0) in truth
    cert = prove(model)
    g = cert.global_completeness
    assert not g["proved"] or all(_listed(cert, Fraction(str(xv)), Fraction(str(av))) for xv, av in truth)
    assert not g["proved"] and "no global statement" in summary(cert)


def test_tiny_isola_hopf_points_listed_or_no_statement(monkeypatch):
    """An isola (x - 1/2)^2 + a^2 = 10^-8 with a Hopf point on each half at a = 0: a global statement
    must list both (x = 1/2 +- 1/10^4)."""
    monkeypatch.setenv("SYMHOPF_GLOBAL_BUDGET", "20000")
    f1, mu = "(x - 1/2)**2 + a**2 - 1/100000000", "a"
    model = Model.ode(["x", "y", "z"], [f1] + [s.format(mu=mu) for s in NF], "a", range=["-1/2", "1/2"],
                      search={"box": [[-1, 2], [-2, 2], [-2, 2]]})
    truth = _truth([f1, mu], Fraction(-1, 2), Fraction(1, 2))
    assert sorted(truth) == [(sp.Rational(4999, 10000), 0), (sp.Rational(5001, 10000), 0)]
    cert = prove(model)
    g = cert.global_completeness
    if g["proved"]:
        assert all(_listed(cert, Fraction(str(xv)), Fraction(str(av))) for xv, av in truth)

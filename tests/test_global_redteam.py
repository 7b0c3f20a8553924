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


@pytest.mark.parametrize("box", [[-1, "1/2"], ["-1/2", "1/2"]])
def test_fold_and_duplicate_branch_global_lists_both_hopf_points(box, monkeypatch):
    """Equilibria x^2 = a (a fold at a = 0 inside the range, found as two duplicate branches, one of them
    unusable), Hopf points at a = 1/4, x = +-1/2 (one of them on a box face): the global statement is made
    (gluing to the usable duplicate through the fold) and lists both."""
    monkeypatch.setenv("SYMHOPF_GLOBAL_BUDGET", "20000")
    f1, mu = "x**2 - a", "(a - 1/4)"
    model = Model.ode(["x", "y", "z"], [f1] + [s.format(mu=mu) for s in NF], "a", range=["-1", "1"],
                      search={"box": [box, [-2, 2], [-2, 2]]})
    truth = _truth([f1, mu], Fraction(-1), Fraction(1))
    assert sorted(truth) == [(sp.Rational(-1, 2), sp.Rational(1, 4)), (sp.Rational(1, 2), sp.Rational(1, 4))]
    cert = prove(model)
    g = cert.global_completeness
    assert g["proved"], g["reason"]
    assert all(_listed(cert, Fraction(str(xv)), Fraction(str(av))) for xv, av in truth)


def test_random_polynomial_system_global_matches_resultant_truth(monkeypatch):
    """A random planar polynomial system (seed search of the red team) with one Hopf point near a = 0.9206:
    the exact Hopf set (resultants in x, real roots, 50-digit Newton on f = 0, tr Df = 0; det Df > 0) in
    box x range is exactly the listed one."""
    import mpmath as mp
    monkeypatch.setenv("SYMHOPF_GLOBAL_BUDGET", "20000")
    x, y, a = sp.symbols("x y a")
    f1 = sp.sympify("4*a*x - x**3 + x*y/2 - x + y**3 + 3*y/2")
    f2 = sp.sympify("3*a/2 - 3*x**2 - 2*x*y**2 - x - y**2/4 - 3*y")
    model = Model.ode(["x", "y"], [str(f1), str(f2)], "a", range=["-1", "1"], search={"box": [[-2, 2], [-2, 2]]})
    J = sp.Matrix([f1, f2]).jacobian([x, y])
    tr, det = J.trace(), J.det()
    R = sp.Poly(sp.resultant(sp.resultant(f1, f2, y), sp.resultant(f1, tr, y), a), x)
    funcs = [sp.lambdify((x, y, a), e, "mpmath") for e in (f1, f2, tr)]
    truth = []
    with mp.workdps(50):
        for xr in R.real_roots():
            xv = mp.mpf(str(sp.N(xr, 60)))
            if abs(xv) > 2:
                continue
            for y0 in [-2 + i / 3 for i in range(13)]:
                for a0 in (-1, -0.5, 0, 0.5, 1):
                    try:
                        X, Y, A = mp.findroot(funcs, (xv, y0, a0))
                    except (ValueError, ZeroDivisionError):
                        continue
                    if abs(X) <= 2 and abs(Y) <= 2 and abs(A) <= 1 and det.subs({x: X, y: Y, a: A}) > 0 \
                            and not any(abs(X - p[0]) + abs(A - p[2]) < mp.mpf(10) ** -30 for p in truth):
                        truth.append((X, Y, A))
    assert len(truth) == 1
    cert = prove(model)
    assert cert.global_completeness["proved"], cert.global_completeness["reason"]
    proved = [p for p in cert.hopf_points if p.status == "proved"]
    assert len(proved) == 1
    X, Y, A = truth[0]
    p = proved[0]
    assert Fraction(p.parameter[0]) <= Fraction(str(A)) <= Fraction(p.parameter[1])
    assert Fraction(p.x[0][0]) <= Fraction(str(X)) <= Fraction(p.x[0][1])


def test_unsettled_box_reason_does_not_claim_an_equilibrium_that_does_not_exist(monkeypatch):
    """FINDING. Equilibria of this system: x in {0, 10^-12}, y = z = 0 only (exact: the (y, z) part is
    (mu - r^2) y - z = 0, y + (mu - r^2) z = 0, determinant (mu - r^2)^2 + 1 > 0). The search finds no
    branch, so no global statement is right; but the reason must not assert "an equilibrium near P"
    for a point P that is far from every equilibrium (a box that was merely not excluded, e.g. where
    mu = a - x / (2 10^-12) varies too fast for the exclusion tests, is not an equilibrium)."""
    import re
    monkeypatch.setenv("SYMHOPF_GLOBAL_BUDGET", "20000")
    eps = "1/1000000000000"
    mu = f"(a - x/(2*{eps}))"
    model = Model.ode(["x", "y", "z"], [f"x*(x - {eps})"] + [s.format(mu=mu) for s in NF], "a",
                      range=["-1", "1"], search={"box": [[-1, 4], [-2, 2], [-2, 2]]})
    g = prove(model).global_completeness
    assert not g["proved"]
    m = re.search(r"an equilibrium near \(x, a\) = \(([^)]*)\)", g["reason"])
    if m:
        xv, yv, zv, av = (float(v) for v in m.group(1).split(","))
        dist = min(abs(xv), abs(xv - 1e-12)) + abs(yv) + abs(zv)
        assert dist < 1e-3, f"the reason claims an equilibrium at distance {dist:g} from every equilibrium: " \
                            f"{g['reason']}"


def test_bad_global_budget_variable_is_one_line_exit_2(tmp_path):
    """FINDING. SYMHOPF_GLOBAL_BUDGET=abc: a traceback (exit 1) after the whole proof has run; bad input
    must be exit 2 and one line, never a traceback."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    model = tmp_path / "m.toml"
    model.write_text('name = "m"\n[system]\nvariables = ["x", "y"]\nparameter = "a"\n'
                     'rhs = ["a*x - y - x*(x**2 + y**2)", "x + a*y - y*(x**2 + y**2)"]\n'
                     '[search]\nrange = [-1, 1]\nbox = [-2, 2]\n')
    exe = Path(sys.executable).with_name("symhopf")
    env = {**os.environ, "SYMHOPF_GLOBAL_BUDGET": "abc"}
    r = subprocess.run([str(exe), "prove", str(model)], capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in r.stderr, r.stderr[-400:]
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1

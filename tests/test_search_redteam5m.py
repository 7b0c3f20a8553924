"""Red team (session 5, s5rg): the search's side-by-side multi-start Newton, the parity pre-check of
is_odd, the srepr cache of structure_key, and the exact ``[search] box``.

Ground truth is independent of the code under test: the plain (one point at a time) search path,
SymPy's expansion, ``sp.srepr`` and exact Fractions of the decimals written."""
import gc
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symhopf.api import prove, summary
from symhopf.model import Model
from symhopf.search import find_candidates
from symhopf.search.equilibria import newton_equilibria, newton_equilibrium
from symhopf.search.symmetry import is_odd
from symhopf.system import System

HOPF = ["a*x - y - x*(x**2 + y**2)", "x + a*y - y*(x**2 + y**2)"]

#: systems where the side-by-side Newton meets what the plain one meets one point at a time: nan regions
#: (sqrt, log of negatives), poles of a rational right-hand side, overflow (exp of a cube), many equilibria
ADVERSARIAL = {
    "sqrt_nan": [HOPF[0] + " + sqrt(x + 1) - 1", HOPF[1]],
    "log_nan": [HOPF[0] + " + log(1 + x**2)*log(x + 2)", HOPF[1]],
    "pole": [HOPF[0] + " + 1/(x - 1/3) + 3", HOPF[1]],
    "overflow": [HOPF[0] + " + exp(x**3)/1000", HOPF[1]],
    "many": ["sin(5*x) - y + a*x", "x + a*y - y*(x**2 + y**2) + sin(4*y)/3"],
}


def ode(rhs, rng=("-1/2", "1/2"), variables=("x", "y")) -> System:
    return System.from_model(Model.ode(list(variables), rhs, "a", range=list(rng)))


def _digest(result) -> tuple:
    return ([(round(c.a, 9), tuple(np.round(c.x, 7)), round(c.omega, 7), c.branch) for c in result.candidates],
            [(len(b.a), tuple(np.round(b.x[0], 7))) for b in result.branches])


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_side_by_side_search_finds_what_the_plain_search_finds(name):
    """The candidate set (and the branches) never shrink against the plain path (pointwise off)."""
    fast, plain = ode(ADVERSARIAL[name]), ode(ADVERSARIAL[name])
    plain.flt.pointwise = False
    got, want = find_candidates(fast), find_candidates(plain)
    assert fast.flt.pointwise                      # the fast path was really taken
    assert _digest(got) == _digest(want)


def test_side_by_side_newton_first_rows_in_a_nan_region():
    """The first-use check compares the first two rows: both at a pole and in the nan region of sqrt
    (nan == nan there). The rows after them must still get the plain Newton's limits."""
    s = ode(["sqrt(x - 1) + 1/(y - 2) - a", "x*y - 3 - a"])
    X = np.vstack([[[2.0, 2.0], [-5.0, 0.0]], np.random.default_rng(3).uniform(-4, 6, (40, 2))])
    together = newton_equilibria(s.flt, X, 0.25)
    alone = [newton_equilibrium(s.flt, x, 0.25) for x in X]
    assert s.flt.pointwise
    assert [y is None for y in together] == [y is None for y in alone]
    assert any(y is not None for y in alone)
    for y, z in zip(together, alone):
        if y is not None:
            assert np.allclose(y, z, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("rhs, odd", [
    (["(1 - x)**2 - (x - 1)**2 + a*x"], True),                       # odd only after expansion
    (["(x + 1)**3 - (1 - x)**3 - 2*x**3 - a*x"], True),             # = 6x - a x
    (["a*x/(x**2 + a**2 + 1)"], True),
    (["x + 1/10**25"], False),                                       # 2e-25 at the check point: expansion
    (["x + a**2*(x - a)**2 - a**2*(x + a)**2/(1 + 10**-30)"], False),
])
def test_odd_precheck_never_turns_a_verdict(rhs, odd):
    """is_odd agrees with SymPy's expansion of f(-x) + f(x) (ground truth computed here, not by the
    code under test): the 30-digit pre-check may only shortcut a False."""
    m = Model.ode(["x"], rhs, "a", range=[0, 1])
    e = m.rhs[0]
    xs = [s for s in e.free_symbols if s.name == "x"]
    assert (sp.expand(e.xreplace({s: -s for s in xs}) + e) == 0) == odd
    assert is_odd(m) == odd


def test_structure_key_not_reused_after_the_model_is_gone():
    """The srepr cache is keyed by object id: a model dropped and another built in its place (ids may
    be reused) must get the srepr of *its* formulas (else a stale generated module proves the wrong model)."""
    keys = set()
    for k in range(40):
        m = Model.ode(["x", "y"], [f"a*x - {k + 1}*y", "x + a*y"], "a", range=[0, 1])
        key = m.structure_key()
        assert key == "\n".join(["ode", m.parameter, *m.variables, *(sp.srepr(e) for e in m.rhs),
                                 *(f"{c}={v}" for c, v in sorted(m.constants.items()))])
        keys.add(key)
        del m
        gc.collect()
    assert len(keys) == 40


def face_model(tmp_path, face: str) -> Model:
    """u, v: a Hopf block at a = 3/5 (l1 = -2); y' = (a - 1/2) y - 1/100: the branch y = 1/(100 (a - 1/2))
    passes y = 1/10 exactly at a = 3/5, the Hopf point, and runs off to y = 10/3 at a = 0.503. Box y <= ``face``."""
    text = f'''name = "face01"
[system]
variables = ["u", "v", "y"]
parameter = "a"
rhs = ["(a - 3/5)*u - v - u*(u**2 + v**2)", "u + (a - 3/5)*v - v*(u**2 + v**2)", "(a - 1/2)*y - 1/100"]
[search]
range = [0.503, 1]
box = [[-1, 1], [-1, 1], [-0.7, {face}]]
'''
    path = tmp_path / "face01.toml"
    path.write_text(text)
    return Model.from_toml(path)


def test_face_01_binary_above_decimal(tmp_path):
    """The face 0.1 as written is 1/10; its binary float is 1/10 + 5.55e-18 (above), while -0.7's float is
    -7/10 + 4.4e-17 (inside). The Hopf point (0, 0, 1/10) at a = 3/5 lies exactly on the face: every claim
    about the box states the decimals, and whenever a claim covers the box the point is listed, proved."""
    assert Fraction(0.1) > Fraction(1, 10) and Fraction(-0.7) > Fraction(-7, 10)
    model = face_model(tmp_path, "0.1")
    lo, hi = model.search_box_exact()
    assert lo[2] == Fraction(-7, 10) and hi[2] == Fraction(1, 10)
    cert = prove(model)
    exact = [["-1", "1"], ["-1", "1"], ["-7/10", "1/10"]]
    assert cert.search["box"] == [["-1", "-1", "-7/10"], ["1", "1", "1/10"]]
    (branch,) = cert.branches
    c = branch["completeness"]
    g = cert.global_completeness
    text = summary(cert)
    if c["proved"]:
        # y = 10/3 at a = 0.503: the float arc stops past 1.5 times the box, so the branch leaves the box
        assert any(e["kind"] == "box exit" for e in c["ends"]), c
        assert c.get("within_box") == exact
        assert all(Fraction(e["face"]) in (Fraction(1, 10), Fraction(-7, 10), Fraction(1), Fraction(-1))
                   for e in c["ends"] if e["kind"] == "box exit")
    if g.get("proved"):
        assert g["box"] == exact
        assert "[-7/10, 1/10]" in text
    if c["proved"] or g.get("proved"):
        assert any(p.status == "proved" and Fraction(p.parameter[0]) <= Fraction(3, 5) <= Fraction(p.parameter[1])
                   and Fraction(p.x[2][0]) <= Fraction(1, 10) <= Fraction(p.x[2][1]) for p in cert.hopf_points)
    assert "0.1000000000000000055" not in text and "3602879701896397" not in text


@pytest.fixture(scope="module")
def face_8_digits(tmp_path_factory):
    model = face_model(tmp_path_factory.mktemp("face8"), "0.10000001")
    return model, prove(model, global_budget=0)


def _texts(model, cert) -> dict[str, str]:
    from symhopf.checker import verify
    from symhopf.derive import derive
    from symhopf.report import render_report
    return {"summary": summary(cert), "verify": "\n".join(verify(cert.to_dict()).unchecked),
            "report": render_report(cert, model, derive(model))}


def test_face_8_digits_box_exit_is_recorded_exactly(face_8_digits):
    """The face y = 0.10000001 (8 significant digits): the exit record holds it exactly."""
    model, cert = face_8_digits
    c = cert.branches[0]["completeness"]
    assert c["proved"], c["reason"]
    (e,) = [e for e in c["ends"] if e["kind"] == "box exit"]
    assert Fraction(e["face"]) == Fraction(10000001, 10 ** 8) and c["within_box"][2] == ["-7/10", "10000001/100000000"]


def test_face_8_digits_worded_as_written(face_8_digits):
    """The face y = 0.10000001 is worded exactly, not 'y = 0.1' (summary, report, reason, verify)."""
    model, cert = face_8_digits
    texts = _texts(model, cert)
    for where, text in texts.items():
        assert "face y = 0.1)" not in text and "face y = 0.1 " not in text, (where, text[:2000])
    assert all("0.10000001" in t or "10000001/100000000" in t for t in texts.values())


def test_odd_precheck_survives_a_value_too_large_to_evaluate_off_the_range():
    """A term too large to evaluate at a point off the range (the old 30-digit pre-check raised
    OverflowError): is_odd answers from the exact expansion."""
    m = Model.ode(["x", "y"], ["a*x - y - x*(x**2 + y**2) + exp(exp(exp(exp(16*a + 1/2))))/10**80",
                               "x + a*y - y*(x**2 + y**2)"], "a", range=["-1", "0"])
    import mpmath
    with mpmath.workdps(50):
        assert mpmath.exp(mpmath.exp(mpmath.exp(mpmath.exp(mpmath.mpf(1) / 2)))) / mpmath.mpf(10) ** 80 < 0.06
    assert is_odd(m) is False


def test_odd_precheck_does_not_hang_off_the_range():
    """A tower of exponentials (the old pre-check's evalf ran for minutes): is_odd answers in seconds."""
    import subprocess
    import sys
    code = ("from symhopf.model import Model; from symhopf.search.symmetry import is_odd; "
            "m = Model.ode(['x', 'y'], ['a*x - y - x*(x**2 + y**2) + exp(exp(exp(exp(6*a + 3/10))))/10**80', "
            "'x + a*y - y*(x**2 + y**2)'], 'a', range=['-1', '0']); print(is_odd(m))")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("is_odd did not answer within 30 s (the expansion alone takes milliseconds)")
    assert out.stdout.strip() == "False", out.stderr[-2000:]

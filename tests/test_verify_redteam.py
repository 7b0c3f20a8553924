"""Red-team findings (branch `red`): each test asserts the CORRECT behaviour and fails on c8a0c95
(the deleted-point and near-end tests adapted to the checker's and the summary's stated semantics).

Ground truth computed independently at 50 digits with mpmath (findroot on the extended system,
Kuznetsov's l1 formula of hopf-math.md):
  Brusselator (a = 1): b* = 2, x* = (1, 2), omega = 1, l1 = -1/2, mu' = 1/2.
  Lorenz: rho* = 470/19 = 24.736842105263157894..., omega = 9.62453006371575635344967345...,
          l1 = 0.000265518972583671428839541..., mu' = 0.0302224826806756106239142...
"""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest

import symhopf
from symhopf.checker import verify
from symhopf.errors import InputError
from symhopf.model import Model
from test_verify import cert, rehash


def test_verify_rejects_a_duplicated_point():
    """Lorenz: point 0 (C+) listed twice on branch 0 claims two Hopf points on that branch; there is
    one (rho* = 470/19). Each copy re-proves on its own and nothing checks that the proved points are
    distinct, so `symhopf verify` exits 0 ("every claim re-verified")."""
    d = cert("lorenz")
    d["hopf_points"].append(copy.deepcopy(d["hopf_points"][0]))
    d["branches"][0]["hopf_points"] = [0, 2]
    d["branches"][0]["completeness"]["rests_on"]["proved_hopf_points"] = [0, 2]
    assert not verify(d).ok


def test_verify_rejects_a_duplicated_point_outside_any_branch():
    """Same, the copy on no branch: the certificate claims 3 proved Hopf points, there are 2."""
    d = cert("lorenz")
    d["hopf_points"].append(copy.deepcopy(d["hopf_points"][0]))
    assert not verify(d).ok


def test_verify_rejects_a_point_copied_onto_the_other_branch():
    """Lorenz: point 1 (on the C- branch) replaced by a copy of point 0 (C+): the certificate now
    states the C- branch's Hopf point at x = C+, and that the C- branch (completeness proved) has
    no other. verify exits 0."""
    d = cert("lorenz")
    d["hopf_points"][1] = copy.deepcopy(d["hopf_points"][0])
    assert not verify(d).ok


def test_verify_does_not_accept_a_deleted_point_under_a_complete_branch(tmp_path, capsys):
    """Brusselator: delete its only Hopf point (b* = 2 in [3/2, 5/2]) and keep the branch's
    completeness 'proved' with rests_on []: the certificate now claims the branch has NO Hopf point
    in the range, which is false. The checker does not re-check a curve branch's tube argument, so it
    must say so: the claim is listed as not re-checked, and the summary line never reads 'every claim
    re-verified' (exit 0 means 'every CHECKED claim holds', docs/verify.md)."""
    from symhopf.checker import main
    d = cert("brusselator")
    d["hopf_points"] = []
    d["branches"][0]["hopf_points"] = []
    d["branches"][0]["completeness"]["rests_on"]["proved_hopf_points"] = []
    v = verify(d)
    assert v.unchecked == ["branch 0: completeness (no Hopf point in the range but the proved ones listed)"]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(d))
    assert main(str(path)) == 0
    out = capsys.readouterr().out
    assert "  NOT CHECKED  branch 0: completeness" in out
    assert out.splitlines()[-1] == f"{path}: every checked claim re-verified; claims not re-checked: 1"


def test_verify_lists_what_it_does_not_check_of_curve_branches():
    """Lorenz: three curve branches, completeness proved on each; the checker cannot re-check the
    tubes nor that a point lies on its curve (no samples in the record), and lists exactly those."""
    v = verify(cert("lorenz"))
    assert v.ok and v.unchecked == [
        "branch 0: that its points [0] lie on it (the record holds no samples of the curve)",
        "branch 0: completeness (no Hopf point in the range but the proved ones listed)",
        "branch 1: that its points [1] lie on it (the record holds no samples of the curve)",
        "branch 1: completeness (no Hopf point in the range but the proved ones listed)",
        "branch 2: completeness (no Hopf point in the range but the proved ones listed)"]


def test_verify_checks_the_float_range_one_ulp_off():
    """The float range must be the nearest floats of range_exact: one ulp off is a failed claim."""
    import math
    d = cert("brusselator")
    d["range"][1] = math.nextafter(d["range"][1], math.inf)
    assert not verify(d).ok


def test_verify_checks_the_float_range_against_range_exact():
    """Brusselator: range_exact and the embedded model's range narrowed to [199/100, 201/100] (sha
    recomputed), the human-readable 'range' left at [1.5, 2.5]: verify accepts a certificate whose two
    range statements disagree (its completeness claim then reads as one over [1.5, 2.5])."""
    d = cert("brusselator")
    d["embedded_model"]["data"]["search"]["range"] = ["199/100", "201/100"]
    d["range_exact"] = ["199/100", "201/100"]
    d["branches"][0]["completeness"]["rests_on"]["range"] = ["199/100", "201/100"]
    rehash(d)
    assert not verify(d).ok


@pytest.mark.parametrize("proof", [None, {"precision_bits": "x"}, {"precision_bits": [1]},
                                   {"precision_bits": True}, {"precision_bits": 10 ** 9}])
def test_verify_bad_proof_field_is_bad_input_not_a_traceback(proof):
    """`proof: null` -> AttributeError, `precision_bits: "x"` -> ValueError escape verify() (the CLI
    then prints a traceback with exit 1 instead of the documented one-line exit 2)."""
    d = cert("brusselator")
    d["hopf_points"][0]["proof"] = proof
    with pytest.raises(InputError):
        verify(d)


NEAR_END = Model.ode(["x", "y"], ["(a - 7/5)*(x - a) - y - (x - a)*((x - a)**2 + y**2)",
                                  "(x - a) + (a - 7/5)*y - y*((x - a)**2 + y**2)"], "a",
                     range=["0", "13999999999999999/10000000000000000"], name="near_end")


def test_prove_does_not_list_an_out_of_range_candidate_on_a_complete_branch():
    """The only crossing is at a* = 7/5 exactly, 1e-16 ABOVE the range end. The branch record keeps
    the candidate's index, but the summary and the report list only PROVED points on a branch proved
    complete and name the candidate not proved apart (true count in the range: 0)."""
    from symhopf.api import summary
    from symhopf.derive import derive
    from symhopf.report import render_report
    res = symhopf.prove(NEAR_END)
    c = json.loads(res.to_json())
    b = c["branches"][0]
    assert b["completeness"]["proved"]
    assert [c["hopf_points"][i]["status"] for i in b["hopf_points"]] == ["not_proved"]
    assert "  branch 0 (curve): 0 proved Hopf point(s), 1 candidate(s) not proved; " in summary(res)
    item = render_report(res, NEAR_END, derive(NEAR_END)).split("\\item Branch 0 (curve), ")[1]
    assert item.startswith("with no proved Hopf point (candidate not proved: $H_{1}$):\nproved complete: "
                           "the proved Hopf points listed are all the points of this branch")


def _q(x) -> str:
    return f"{x.numerator}/{x.denominator}"


def test_verify_rejects_a_double_hopf_point_at_tiny_scale():
    """FALSE HOPF POINT ACCEPTED. The model (accepted by the parser: s = 2^-996 ~ 1.5e-300 is within
    its 1e-300..1e300 limits) is two decoupled planar systems scaled by s,
        x1' = s((a - 1/10) x1 - y1 - x1^3),   y1' = s(x1 + (a - 1/10) y1 - y1^3),
        x2' = s((a - 1/10) x2 - 2 y2 - x2^3), y2' = s(2 x2 + (a - 1/10) y2 - y2^3).
    At a = 1/10, x = 0, Df = s blockdiag([[0,-1],[1,0]], [[0,-2],[2,0]]) has eigenvalues +-i s AND
    +-2i s: a double Hopf point, so hypothesis 3 (no other eigenvalue on the imaginary axis) is false.
    A certificate claiming a Hopf point there (omega = s, mu' = s, l1 = -3/2) passes `symhopf verify`
    (exit 0, "constant branch: one verified eigen-decomposition ..."). Cause: theorems.diagonalise
    converts ball bounds to Python floats (`_bound`: float(abs(M[i,j]).upper()); r_j:
    float(Q[j,j].real.rad()) ...): the ~1e-341 radii underflow to 0.0 (and subnormals lose their
    relative accuracy, which UP = 1 + 1e-9 does not cover), so every disc radius is 0 while A0's
    entries carry radii ~4.6e-341; the real parts of the two pairs then differ by rounding noise and
    `spectrum` 'proves' them off the axis."""
    s = Fraction(1, 2 ** 996)
    e = Fraction(1, 10 ** 6)
    d = cert("brusselator")
    data = {"name": "dhs1", "search": {"range": ["-1/2", "1/3"]},
            "system": {"variables": ["x1", "y1", "x2", "y2"], "parameter": "a", "constants": {"s": _q(s)},
                       "rhs": ["s*((a - 1/10)*x1 - y1 - x1**3)", "s*(x1 + (a - 1/10)*y1 - y1**3)",
                               "s*((a - 1/10)*x2 - 2*y2 - x2**3)", "s*(2*x2 + (a - 1/10)*y2 - y2**3)"]}}
    d.update(model="dhs1", parameter="a", range=[-0.5, 1 / 3], range_exact=["-1/2", "1/3"])
    d["embedded_model"]["data"] = data
    rehash(d)
    p = d["hopf_points"][0]
    p.update(status="proved", parameter=[_q(Fraction(1, 10) - e), _q(Fraction(1, 10) + e)],
             omega=[_q(s * (1 - e)), _q(s * (1 + e))], x=[["0", "0"]] * 4,
             first_lyapunov=["-1.6", "-1.4"], transversality=[_q(s * (1 - e)), _q(s * (1 + e))],
             criticality="supercritical", other_eigenvalues_real_part_max=None, start=None)
    p["proof"]["precision_bits"] = 212   # the checker then works at 2*212+32 bits
    d["branches"] = [{"id": 0, "kind": "constant", "hopf_points": [0],
                      "completeness": {"proved": False, "reason": "", "rests_on": {}}}]
    v = verify(d)
    assert not v.ok, v.verified


def test_verify_checks_a_stated_other_eigenvalue_enclosure_when_there_is_none():
    """Brusselator (n = 2): the certificate states other_eigenvalues_real_part_max = [5, 6], i.e. that
    Df has another eigenvalue with real part in [5, 6] (the equilibrium would be unstable on both
    sides). There is none; `spectrum` skips the check when the list of other eigenvalues is empty,
    and verify exits 0."""
    d = cert("brusselator")
    d["hopf_points"][0]["other_eigenvalues_real_part_max"] = ["5", "6"]
    assert not verify(d).ok


def test_verify_checks_the_normalisation_it_reads_l1_under():
    """Lorenz: 'normalisation' rewritten to another convention (MatCont's omega*l1), l1 numbers left
    as Kuznetsov's: the certificate now claims MatCont's coefficient is 2.655e-4 (it is omega*l1 =
    2.5555e-3). verify ignores the key and exits 0."""
    d = cert("lorenz")
    d["normalisation"] = "matcont: l1 = omega * (Kuznetsov l1)"
    assert not verify(d).ok


def test_verify_rejects_l1_nonzero_for_a_degenerate_hopf_point_at_tiny_scale():
    """FALSE NON-DEGENERACY ACCEPTED. x' = s(a x - y + x^2 + x y + x^3/3), y' = s(x + a y + x^2),
    s = 2^-996 (within the parser's limits). At a* = 0, x* = 0: omega = s, mu' = s, and Kuznetsov's
    l1 is EXACTLY 0 for every s > 0 (exact SymPy evaluation of hopf-math.md's formula: q = (1, -i)/sqrt 2,
    p = q; the cubic term x^3/3 cancels the quadratic terms' contribution). Hypothesis 5 fails: a
    degenerate (Bautin) point. A certificate stating l1 in [-1, -1e-1000], 'supercritical', with
    precision_bits 212 passes verify (exit 0); the checker's own "enclosure" of l1 is the point
    [-4.66e-25, -4.66e-25]. Same cause as the double Hopf test: the float bounds of
    theorems.diagonalise / Eigen.right / Eigen.left / Eigen.solve (r_j, r_j/gap, g, tau ...) underflow
    to 0 at this scale, so q and p are taken as exact eigenvectors when they are only ~1e-32 accurate."""
    s = Fraction(1, 2 ** 996)
    e = Fraction(1, 10 ** 6)
    d = cert("brusselator")
    data = {"name": "bautin_tiny", "search": {"range": ["-1/2", "1/3"]},
            "system": {"variables": ["x", "y"], "parameter": "a", "constants": {"s": _q(s)},
                       "rhs": ["s*(a*x - y + x**2 + x*y + x**3/3)", "s*(x + a*y + x**2)"]}}
    d.update(model="bautin_tiny", parameter="a", range=[-0.5, 1 / 3], range_exact=["-1/2", "1/3"])
    d["embedded_model"]["data"] = data
    rehash(d)
    p = d["hopf_points"][0]
    p.update(status="proved", parameter=[_q(-e), _q(e)], omega=[_q(s * (1 - e)), _q(s * (1 + e))],
             x=[["0", "0"], ["0", "0"]], first_lyapunov=["-1", "-1e-1000"],
             transversality=[_q(s * (1 - e)), _q(s * (1 + e))], criticality="supercritical",
             other_eigenvalues_real_part_max=None, start=None)
    p["proof"]["precision_bits"] = 212
    d["branches"] = [{"id": 0, "kind": "constant", "hopf_points": [0],
                      "completeness": {"proved": False, "reason": "", "rests_on": {}}}]
    v = verify(d)
    assert not v.ok, v.verified

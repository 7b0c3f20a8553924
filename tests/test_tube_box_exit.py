"""Completeness within the search box for branches that leave it (proof/tube.py: box exits), and the
mirror-image reuse of a tube for odd systems (Lemma M). Ground truth: the branches are explicit curves,
evaluated with mpmath at 50 digits, and the Hopf parameters are exact."""
from dataclasses import replace
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

from symhopf.api import prove, summary
from symhopf.certificate import PointRecord
from symhopf.checker import verify
from symhopf.derive import derive
from symhopf.model import Model
from symhopf.proof.completeness import ProvedHopf, check_branch
from symhopf.proof.hopf import prove_candidate
from symhopf.report import render_report
from symhopf.search import find_candidates
from symhopf.system import System

mp.mp.dps = 50
BOX = (-10, 10)
BUMP = "9*exp(-((a - 4/5)/(1/20))**2)"


def block(h: str) -> list[str]:
    """A planar block with the equilibrium u = v = 0, eigenvalues a - h +- i: one Hopf point, at a = h."""
    return [f"(a - {h})*u - v - u*(u**2 + v**2)", f"u + (a - {h})*v - v*(u**2 + v**2)"]


def blowup(h: str, bump: str = "0") -> Model:
    """The branch u = v = 0, y = bump(a) + 1/(a - 1/2): it leaves the box [-10, 10]^3 through y = 10 near
    a = 0.6 and runs off to infinity at a = 1/2 (the float continuation stops at |y| = 15)."""
    return Model.ode(["u", "v", "y"], block(h) + [f"(a - 1/2)*(y - ({bump})) - 1"], "a", range=["0.55", "1"],
                     search={"box": list(BOX)})


def mpf(v) -> mp.mpf:
    """50-digit value of a Fraction, a float or a decimal string."""
    q = Fraction(v) if not isinstance(v, str) else Fraction(v)
    return mp.mpf(q.numerator) / q.denominator


def y_true(a, bump: bool = False):
    a = mpf(a)
    return (9 * mp.exp(-((a - mp.mpf(4) / 5) * 20) ** 2) if bump else 0) + 1 / (a - mp.mpf(1) / 2)


def branch_record(cert):
    (b,) = cert.branches
    return b["completeness"]


def assert_exits_outside(ends, coordinate: int, point) -> None:
    """Every box exit recorded is a true point of the branch strictly outside the box, through its face."""
    for e in ends:
        if e["kind"] != "box exit":
            continue
        assert e["coordinate"] == coordinate
        face = Fraction(e["face"])
        assert face == (BOX[1] if e["side"] > 0 else BOX[0])
        for a in e["a"]:
            v = point(a)
            assert (v > mpf(face)) if e["side"] > 0 else (v < mpf(face))


def test_exit_with_a_hopf_point_just_inside_the_face():
    h = Fraction(601, 1000)                  # y* = 1/0.101 = 9.90..., inside the box
    assert y_true(h) < 10
    cert = prove(blowup("601/1000"), global_budget=0)
    c = branch_record(cert)
    assert c["proved"], c["reason"]
    assert [e["kind"] for e in c["ends"]].count("box exit") == 1
    assert_exits_outside(c["ends"], 2, y_true)
    assert "within the search box (it leaves the box at a ~ 0.6 through the face y = 10)" in c["reason"]
    line = [s for s in summary(cert).splitlines() if "branch 0" in s][0]
    assert line.endswith("list of proved Hopf points proved complete for this branch in the range, within the search "
                         "box (it leaves the box at a ~ 0.6 through the face y = 10)")
    assert c["within_box"] == [["-10", "10"]] * 3
    p = cert.hopf_points[0]
    assert p.status == "proved" and Fraction(p.parameter[0]) <= h <= Fraction(p.parameter[1])
    checked = verify(cert)
    assert not checked.failures
    assert ("branch 0: completeness (no Hopf point in the range, within the search box (it leaves the box at "
            "a ~ 0.6 through the face y = 10), but the proved ones listed)") in checked.unchecked
    m = blowup("601/1000")
    tex = render_report(cert, m, derive(m))
    assert ("all the points of this branch with parameter in the range, within the search box (it leaves the box "
            "at a \\textasciitilde{} 0.6 through the face y = 10), at which") in tex


def test_hopf_point_just_outside_the_face_is_not_claimed():
    h = Fraction(599, 1000)                  # y* = 1/0.099 = 10.10..., outside the box
    assert y_true(h) > 10
    s = System.from_model(blowup("599/1000"))
    res = find_candidates(s)
    (br,) = res.branches
    (cand,) = res.candidates
    pr = prove_candidate(s, cand)
    assert pr.proved, pr.reason
    r = PointRecord.from_proof(pr)
    assert Fraction(r.parameter[0]) <= h <= Fraction(r.parameter[1])
    point = ProvedHopf(a=tuple(r.parameter), omega=tuple(r.omega), x=[tuple(t) for t in r.x])
    box = ([Fraction(BOX[0])] * 3, [Fraction(BOX[1])] * 3)
    out = check_branch(s, br, [point], box=box)
    assert out.proved, out.reason
    assert out.crossings == []               # not claimed: it is not in the box
    assert "lie strictly outside the search box" in out.reason
    assert_exits_outside(out.ends, 2, y_true)
    # without the box, as before: the float arc stops inside the range, not proved
    bare = check_branch(s, br, [point])
    assert not bare.proved and bare.reason.startswith("the search's float branch stops inside the range")


def test_reentry_is_refused():
    """y leaves the box over the bump near a = 0.8 and re-enters: the float arc, and the branch's record,
    hold both stretches in the box while a tube from the range end a = 1 covers only the first; the check
    refuses the branch (with the Hopf point on either stretch), never claims it within the box."""
    assert y_true("0.8", True) > 10 and y_true("0.65", True) < 10 and y_true("0.95", True) < 10
    for h in ("95/100", "13/20"):
        cert = prove(blowup(h, BUMP), global_budget=0)
        c = branch_record(cert)
        assert cert.hopf_points[0].status == "proved"
        assert not c["proved"]
        assert "leaves the search box and comes back into it" in c["reason"], c["reason"]
        assert "within_box" not in c


def test_grazing_the_face_from_inside_is_not_an_exit():
    """y = 10 - 40 (a - 4/5)^2 touches the face y = 10 at a = 4/5 from inside; z leaves through z = 10 at
    a = 0.6. Forcing a float point of the arc just past y = 10 at the touching point must not produce an
    exit there: the exit needs a slice proved strictly outside."""
    m = Model.ode(["u", "v", "y", "z"], block("95/100") + ["10 - 40*(a - 4/5)**2 - y", "(a - 1/2)*z - 1"], "a",
                  range=["0.55", "1"], search={"box": list(BOX)})
    s = System.from_model(m)
    res = find_candidates(s)
    (br,) = res.branches
    proved = []
    for cand in res.candidates:
        pr = prove_candidate(s, cand)
        assert pr.proved, pr.reason
        r = PointRecord.from_proof(pr)
        proved.append(ProvedHopf(a=tuple(r.parameter), omega=tuple(r.omega), x=[tuple(t) for t in r.x]))
    box = ([Fraction(BOX[0])] * 4, [Fraction(BOX[1])] * 4)
    out = check_branch(s, br, proved, box=box)
    assert out.proved, out.reason
    assert_exits_outside(out.ends, 3, lambda a: 1 / (mpf(a) - mpf('1/2')))
    assert len(out.crossings) == 1 and out.crossings[0][0] <= 0.95 <= out.crossings[0][1]
    # the float point nearest the touching point pushed just outside the face
    x = np.array(br.x, float)
    k = int(np.argmin(np.abs(np.asarray(br.a) - 0.8)))
    x[k, 2] = 10 + 1e-9
    forced = check_branch(s, replace(br, x=x), proved, box=box)
    assert not forced.proved
    assert ("is not proved to lie outside the search box" in forced.reason
            or "float Newton failed where the branch leaves the search box" in forced.reason
            or "leaves the search box and comes back into it" in forced.reason), forced.reason


def test_float_arc_stopping_inside_the_box_is_still_not_proved():
    """A float continuation that stops inside the box (a fold it fails at, a Newton failure): not proved,
    with today's reason, box or no box."""
    s = System.from_model(blowup("95/100"))
    (br,) = find_candidates(s).branches
    idx = np.nonzero((br.x[:, 2] > 3) & (br.x[:, 2] < 9))[0]      # a stretch inside the box
    k0, k1 = int(idx[0]), int(idx[-1]) + 1
    assert k1 - k0 >= 3
    cut = replace(br, x=br.x[k0:k1], a=br.a[k0:k1], tangents=br.tangents[k0:k1])
    assert np.all(np.abs(cut.x) <= 10)
    box = ([Fraction(BOX[0])] * 3, [Fraction(BOX[1])] * 3)
    for b in (box, None):
        out = check_branch(s, cut, [], box=b)
        assert not out.proved
        assert out.reason.startswith("the search's float branch stops inside the range (at a = ")


def pitchfork(h: str = "4/5") -> System:
    """Odd: y = 0 and y = +-sqrt(a - 1/2) (mirror images), each with one Hopf point at a = h."""
    return System.from_model(Model.ode(["u", "v", "y"], block(h) + ["(a - 1/2)*y - y**3"], "a",
                                       range=["0.6", "1"]))


@pytest.fixture(scope="module")
def mirrored():
    s = pitchfork()
    res = find_candidates(s)
    pts = {}
    for cand in res.candidates:
        pr = prove_candidate(s, cand)
        assert pr.proved, pr.reason
        r = PointRecord.from_proof(pr)
        pts.setdefault(cand.branch, []).append(
            ProvedHopf(a=tuple(r.parameter), omega=tuple(r.omega), x=[tuple(t) for t in r.x]))
    ys = {b.id: float(np.mean(np.asarray(b.x)[:, 2])) for b in res.branches}
    up = next(b for b in res.branches if ys[b.id] > 0.1)
    down = next(b for b in res.branches if ys[b.id] < -0.1)
    return s, up, down, pts


def test_mirror_image_reuses_the_tube_and_agrees_with_the_full_check(mirrored):
    s, up, down, pts = mirrored
    r_up = check_branch(s, up, pts[up.id])
    assert r_up.proved, r_up.reason
    full = check_branch(s, down, pts[down.id])
    reused = check_branch(s, down, pts[down.id], earlier=[(up, r_up)])
    assert full.proved and reused.proved, (full.reason, reused.reason)
    assert "mirror image" in reused.reason and reused.pieces == 0
    assert len(full.crossings) == len(reused.crossings) == 1
    lo, hi = reused.crossings[0]
    assert lo <= 0.8 <= hi


def test_mirror_image_needs_every_hopf_piece_matched(mirrored):
    """The mirror branch with its proved point withheld, or given the other branch's point: not proved."""
    s, up, down, pts = mirrored
    r_up = check_branch(s, up, pts[up.id])
    out = check_branch(s, down, [], earlier=[(up, r_up)])
    assert not out.proved and "unmatched zero" in out.reason
    wrong = check_branch(s, down, pts[up.id], earlier=[(up, r_up)])   # x-enclosure of the other branch
    assert not wrong.proved

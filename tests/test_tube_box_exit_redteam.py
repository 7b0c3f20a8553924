"""Red team of the box-exit completeness claims and Lemma M (proof/tube.py): systems built so that a false
"proved complete ... within the search box" would show. Ground truth: the branches are explicit curves and
the eigenvalues are evaluated with mpmath at 50 digits (or are exact)."""
from fractions import Fraction

import mpmath as mp
import pytest

from symhopf.api import prove, summary
from symhopf.checker import verify
from symhopf.derive import derive
from symhopf.model import Model
from symhopf.report import render_report

mp.mp.dps = 50
BUMP = "9*exp(-((a - 4/5)/(1/20))**2)"


def mpf(v) -> mp.mpf:
    q = Fraction(v)
    return mp.mpf(q.numerator) / q.denominator


def block(h: str, w: str = "1", names: tuple[str, str] = ("u", "v"), cubic: bool = True) -> list[str]:
    """A planar block at u = v = 0 with eigenvalues a - h +- i w; l1 = 0 exactly when not ``cubic``."""
    u, v = names
    r = f"({u}**2 + {v}**2)"
    return [f"(a - {h})*{u} - {w}*{v}" + (f" - {u}*{r}" if cubic else ""),
            f"{w}*{u} + (a - {h})*{v}" + (f" - {v}*{r}" if cubic else "")]


def y_bump(a) -> mp.mpf:
    """y(a) on the branch u = v = p = q = 0 of ``reentry_model``."""
    a = mpf(a)
    return 9 * mp.exp(-((a - mp.mpf(4) / 5) * 20) ** 2) + 1 / (a - mp.mpf(1) / 2)


def reentry_model() -> Model:
    """One float branch u = v = p = q = 0, y = bump(a) + 1/(a - 1/2), a in [0.55, 1], box [-10, 10]^5:
    from a = 1 it leaves the box over the bump (a ~ 0.826), re-enters (a ~ 0.77) and leaves again near
    a = 0.6. Hopf points: a = 95/100 (block (u, v), l1 = -2: proved) on the first stretch and a = 13/20
    (block (p, q), linear: l1 = 0, eigenvalues exactly +-2i, so the candidate is *not proved*) on the
    re-entering stretch, inside the box (y ~ 6.67)."""
    return Model.ode(["u", "v", "p", "q", "y"],
                     block("95/100") + block("13/20", "2", ("p", "q"), cubic=False)
                     + [f"(a - 1/2)*(y - ({BUMP})) - 1"],
                     "a", range=["0.55", "1"], search={"box": [-10, 10]})


def jacobian(a) -> mp.matrix:
    """Df at the branch point over a (50 digits): block diagonal, the y row d/dy = a - 1/2."""
    a = mpf(a)
    J = mp.zeros(5, 5)
    J[0, 0], J[0, 1], J[1, 0], J[1, 1] = a - mp.mpf("0.95"), -1, 1, a - mp.mpf("0.95")
    J[2, 2], J[2, 3], J[3, 2], J[3, 3] = a - mpf("13/20"), -2, 2, a - mpf("13/20")
    J[4, 4] = a - mp.mpf(1) / 2
    return J


@pytest.fixture(scope="module")
def reentry():
    m = reentry_model()
    return m, prove(m, global_budget=0)


def test_unproved_hopf_point_on_the_reentering_stretch_is_not_claimed_absent(reentry):
    m, cert = reentry
    (b,) = cert.branches
    c = b["completeness"]
    # ground truth: candidate 0 is a true point with eigenvalues +-2i on branch 0, in the box and the range
    (i0,) = [i for i in b["hopf_points"] if cert.hopf_points[i].status != "proved"]
    p = cert.hopf_points[i0]
    h = Fraction(13, 20)
    assert Fraction(p.parameter[0]) <= h <= Fraction(p.parameter[1])
    assert 0 < y_bump(h) < 10 and b["a_interval"][0] < float(h) < b["a_interval"][1]
    ev = mp.eig(jacobian(h))[0]
    assert any(abs(mp.re(e)) < mp.mpf(10) ** -45 and abs(mp.im(e) - 2) < mp.mpf(10) ** -45 for e in ev)
    # the branch leaves the box over the bump and comes back before a = 13/20 (50-digit truth)
    assert y_bump("0.8") > 10 and y_bump("0.75") < 10
    # what the prover says must then not claim every Hopf point of branch 0 in the box is a proved one
    # (a fix may refuse the claim, or qualify it: the arc re-enters the box, candidate i0 is not covered)
    line = [s for s in summary(cert).splitlines() if "branch 0" in s][0]
    qualified = "re-enter" in line or "not covered" in line
    assert not c["proved"] or qualified, line
    tex = render_report(cert, m, derive(m))
    assert not c["proved"] or "re-enter" in tex or "not covered" in tex


def test_reentry_is_refused_with_its_reason(reentry):
    """The float arc leaves the box over the bump (a ~ 0.826) and comes back (50-digit truth above): the
    check refuses the branch (its record holds both stretches), says why, and verify agrees."""
    m, cert = reentry
    (b,) = cert.branches
    c = b["completeness"]
    assert not c["proved"]
    assert "comes back into it" in c["reason"], c["reason"]
    proved = [cert.hopf_points[i] for i in b["hopf_points"] if cert.hopf_points[i].status == "proved"]
    assert len(proved) == 1
    assert Fraction(proved[0].parameter[0]) <= Fraction(95, 100) <= Fraction(proved[0].parameter[1])
    assert not verify(cert).failures
    assert "within the search box" not in render_report(cert, m, derive(m))


def ode3(h: str, last: str, rng: list[str], box: list) -> Model:
    """The block (u, v) with one Hopf point at a = h (l1 = -2) and a scalar equation for y."""
    return Model.ode(["u", "v", "y"], block(h) + [last], "a", range=rng, search={"box": box})


def ends_of(cert, bid: int = 0) -> list[dict]:
    return cert.branches[bid]["completeness"].get("ends") or []


def check_exit(e: dict, y, face: Fraction, side: int) -> None:
    """A box exit record: face and side as expected, and the branch point over both ends of its
    a-enclosure (50 digits) strictly beyond that face."""
    assert e["kind"] == "box exit" and e["coordinate"] == 2 and e["side"] == side
    assert Fraction(e["face"]) == face
    for a in e["a"]:
        v = y(Fraction(a))
        assert v > mpf(face) if side > 0 else v < mpf(face)


def test_both_ends_box_exits():
    """y = (1/4) / ((a - 1/2)(19/20 - a)) runs off to infinity at both ends of the range [0.52, 0.93]; it
    is in [-10, 10] exactly for a in [(29/20 - r)/2, (29/20 + r)/2], r = sqrt(41/400). Both ends must be
    box exits beyond those roots, and the one Hopf point (a = 7/10, y = 400/81) the only crossing."""
    cert = prove(ode3("7/10", "(a - 1/2)*(19/20 - a)*y - 1/4", ["0.52", "0.93"], [-10, 10]), global_budget=0)
    c = cert.branches[0]["completeness"]
    assert c["proved"], c["reason"]

    def y(a):
        a = mpf(a)
        return mp.mpf(1) / 4 / ((a - mp.mpf(1) / 2) * (mp.mpf(19) / 20 - a))
    r = mp.sqrt(mp.mpf(41) / 400)
    lo, hi = (mp.mpf(29) / 20 - r) / 2, (mp.mpf(29) / 20 + r) / 2
    e0, e1 = c["ends"]
    for e in (e0, e1):
        check_exit(e, y, Fraction(10), 1)
    assert {mpf(e0["a"][1]) < lo, mpf(e1["a"][0]) > hi} == {True} or \
        {mpf(e1["a"][1]) < lo, mpf(e0["a"][0]) > hi} == {True}
    assert c["within_box"] == [["-10", "10"]] * 3
    line = [s for s in summary(cert).splitlines() if "branch 0" in s][0]
    assert line.count("through the face y = 10") == 2 and "within the search box" in line
    (p,) = cert.hopf_points
    assert p.status == "proved" and Fraction(p.parameter[0]) <= Fraction(7, 10) <= Fraction(p.parameter[1])
    assert any("within the search box" in u for u in verify(cert).unchecked)


def test_asymmetric_box_exit_through_the_lower_face():
    """y = -1/(a - 1/2) leaves the box [-4, 10]^3 through y = -4 at a = 3/4 (exactly); the Hopf point at
    a = 9/10 (y = -5/2) is the crossing."""
    cert = prove(ode3("9/10", "(a - 1/2)*y + 1", ["0.55", "1"], [-4, 10]), global_budget=0)
    c = cert.branches[0]["completeness"]
    assert c["proved"], c["reason"]
    start, ex = c["ends"]
    assert start == {"kind": "range end", "a": "1"}
    check_exit(ex, lambda a: -1 / (mpf(a) - mp.mpf(1) / 2), Fraction(-4), -1)
    assert ex["a"][1] < 0.75
    assert c["within_box"] == [["-4", "10"]] * 3


def test_decimal_box_face_is_recorded_as_the_face_actually_used():
    """A box [-0.3, 0.3] (exactly 3/10 in the model file's decimal) reaches the prover as binary floats:
    the record must name the face it proved the exit against, and the exit must be beyond *that* face
    (the claim is within the binary box, slightly smaller than [-3/10, 3/10]; see the report)."""
    cert = prove(ode3("95/100", "(a - 1/2)*y - 1/10", ["0.55", "1"], [-0.3, 0.3]), global_budget=0)
    c = cert.branches[0]["completeness"]
    assert c["proved"], c["reason"]
    (ex,) = [e for e in c["ends"] if e["kind"] == "box exit"]
    face = Fraction(ex["face"])
    assert [[str(-face), str(face)]] * 3 == c["within_box"]
    assert face == Fraction(0.3) and face < Fraction(3, 10)       # the binary float, not 3/10
    check_exit(ex, lambda a: mp.mpf(1) / 10 / (mpf(a) - mp.mpf(1) / 2), face, 1)
    assert mp.mpf(1) / 10 / (mpf(ex["a"][1]) - mp.mpf(1) / 2) > mpf(Fraction(3, 10))   # beyond 3/10 too


def test_hopf_point_1e12_inside_the_exit_face_is_a_crossing():
    """Hopf point at y* = 10 - 10^-12 (inside the box), just before the exit through y = 10."""
    h = Fraction(1, 2) + 1 / (10 - Fraction(1, 10 ** 12))
    cert = prove(ode3("(1/2 + 1/(10 - 1/10**12))", "(a - 1/2)*y - 1", ["0.55", "1"], [-10, 10]),
                 global_budget=0)
    c = cert.branches[0]["completeness"]
    assert c["proved"], c["reason"]
    (p,) = cert.hopf_points
    assert p.status == "proved" and Fraction(p.parameter[0]) <= h <= Fraction(p.parameter[1])
    assert mpf(p.x[2][1]) < 10                                         # enclosed inside the box
    assert c["rests_on"]["proved_hopf_points"] == [0] and "1 crossing(s)" in c["reason"]
    check_exit(c["ends"][1], lambda a: 1 / (mpf(a) - mp.mpf(1) / 2), Fraction(10), 1)


def test_hopf_point_1e12_outside_the_exit_face_reason():
    """red17i #3: a proved Hopf point 1e-12 outside the face (y* = 10 + 1e-12) lies on the covered arc (which
    runs to y ~ 10 + 2e-5): it is skipped as strictly outside the box, its zero of g is unmatched, and the
    reason must say that this point *is* that zero (not "no proved Hopf point accounts for it")."""
    h = Fraction(1, 2) + 1 / (10 + Fraction(1, 10 ** 12))
    cert = prove(ode3("(1/2 + 1/(10 + 1/10**12))", "(a - 1/2)*y - 1", ["0.55", "1"], [-10, 10]),
                 global_budget=0)
    c = cert.branches[0]["completeness"]
    (p,) = cert.hopf_points
    assert p.status == "proved" and Fraction(p.parameter[0]) <= h <= Fraction(p.parameter[1])
    assert mpf(p.x[2][0]) > 10                                         # strictly outside, exactly
    # never a false "proved": the point is outside the box, so either not proved or proved without it
    assert not c["proved"], c["reason"]
    assert "unmatched zero" in c["reason"], c["reason"]
    lo, hi = (float(v) for v in c["reason"].split("a in [")[1].split("]")[0].split(", "))
    assert lo <= float(h) <= hi                                        # the zero the point accounts for
    assert "no proved Hopf point of this branch accounts for it" not in c["reason"], c["reason"]
    assert "it is proved Hopf point 0, which lies on this piece's arc but strictly outside the search box" \
        in c["reason"], c["reason"]


def odd_model(box: list) -> Model:
    """Odd: y = 0 and y = +-1/sqrt(a - 1/2) (mirror images, off to infinity at a = 1/2), each with one Hopf
    point at a = 7/10; in the box [-5, 5] the +- branches end at a = 1/2 + 1/25 (exactly)."""
    return ode3("7/10", "(a - 1/2)*y**3 - y", ["0.505", "1"], box)


@pytest.mark.parametrize("box", [[-5, 5], [-5, 6]])
def test_mirror_with_box_exits(box):
    """Lemma M with box exits: for the symmetric box the mirror branch reuses the tube and its exit is the
    mirrored face; for an asymmetric box it must not (its own tube: the exits differ, y = 6 at 1/2 + 1/36)."""
    cert = prove(odd_model(box), global_budget=0)
    moving = [b for b in cert.branches if b["completeness"].get("ends")
              and any(e["kind"] == "box exit" for e in b["completeness"]["ends"])]
    assert len(moving) == 2
    for b in moving:
        c = b["completeness"]
        assert c["proved"], c["reason"]
        (ex,) = [e for e in c["ends"] if e["kind"] == "box exit"]
        s = ex["side"]
        face = Fraction(box[1] if s > 0 else box[0])
        check_exit(ex, lambda a, s=s: s / mp.sqrt(mpf(a) - mp.mpf(1) / 2), face, s)
        assert mpf(ex["a"][1]) < mp.mpf(1) / 2 + 1 / mpf(face) ** 2
        (i,) = b["hopf_points"]
        p = cert.hopf_points[i]
        assert p.status == "proved" and Fraction(p.parameter[0]) <= Fraction(7, 10) <= Fraction(p.parameter[1])
        assert mpf(p.x[2][0]) * s > 0          # the Hopf point's y on this branch's side
    mirrored = [b for b in moving if "Lemma M" in b["completeness"]["reason"]]
    assert len(mirrored) == (1 if box[0] == -box[1] else 0)


def test_sweep_table_does_not_call_a_box_exit_branch_plainly_complete():
    import json

    from symhopf.sweep_items import model_row
    from symhopf.sweep_table import summary as sweep_summary
    cert = prove(ode3("9/10", "(a - 1/2)*y + 1", ["0.55", "1"], [-4, 10]), global_budget=0)
    c = cert.branches[0]["completeness"]
    assert c["proved"] and "within_box" in c          # complete only within the search box
    d = json.loads(cert.to_json())
    row = model_row(d, {"model": "m", "n": 3, "seed": 0, "weights": None, "status": "done", "seconds": 1.0,
                        "reason": ""})
    text = sweep_summary([], [row])
    assert not row["branches_complete"] or "within the search box" in text, text


def test_points_named_outside_the_box_are_the_certificates_points_outside_it():
    cert = prove(ode3("53/100", "(a - 1/2)*y**3 - y", ["0.505", "1"], [-5, 5]), global_budget=0)
    named = 0
    for b in cert.branches:
        reason = b["completeness"]["reason"]
        if "lie strictly outside the search box" not in reason:
            continue
        idx = [int(s) for s in reason.split("proved point(s) [")[1].split("]")[0].split(", ")]
        for i in idx:
            named += 1
            p = cert.hopf_points[i]
            lo, hi = mpf(p.x[2][0]), mpf(p.x[2][1])
            assert i in b["hopf_points"] and (lo > 5 or hi < -5), (b["id"], i, p.x[2])
    assert named == 2
    ys = sorted(mpf(p.x[2][0]) for p in cert.hopf_points)       # ground truth: y = 0, +-1/sqrt(3/100)
    assert abs(ys[1]) < 1e-10 and abs(ys[2] - 1 / mp.sqrt(mp.mpf(3) / 100)) < 1e-10


def test_closed_branch_poking_out_of_the_box_is_covered_whole():
    """The closed curve 25 (a - 3/4)^2 + y^2/144 = 1 pokes out of [-10, 10] at top and bottom (|y| <= 12 < 15:
    the float continuation closes it): no box exit, the whole loop is covered, and both Hopf points at
    a = 4/5, y = +-12 sqrt(15/16) (outside the box) are crossings; no 'within the search box'."""
    cert = prove(ode3("4/5", "25*(a - 3/4)**2 + y**2/144 - 1", ["0.5", "1"], [-10, 10]), global_budget=0)
    (b,) = cert.branches
    c = b["completeness"]
    assert b["kind"] == "closed" and c["proved"], c["reason"]
    assert "ends" not in c and "within_box" not in c and "within the search box" not in summary(cert)
    assert c["reason"].startswith("2 crossing(s) on the branch in the range, all proved Hopf points")
    y = 12 * mp.sqrt(mp.mpf(15) / 16)
    ys = sorted(mpf(p.x[2][0]) for p in cert.hopf_points)
    assert len(ys) == 2 and abs(ys[0] + y) < 1e-12 and abs(ys[1] - y) < 1e-12
    for p in cert.hopf_points:
        assert p.status == "proved" and Fraction(p.parameter[0]) <= Fraction(4, 5) <= Fraction(p.parameter[1])


def test_arc_starting_at_a_range_end_outside_the_box():
    """y = 30 (a - 11/20) - 1/(a - 1/2): at the range end a = 1, y = 23/2 is outside the box [-10, 10] (but
    inside 1.5 times it, so the float arc starts there); it enters through y = 10 and leaves through y = -10,
    then runs off to -infinity. Both ends are box exits (the range end is not in the box), each a-enclosure
    a true point strictly beyond its face; the one Hopf point (a = 4/5, y = 25/6) is the crossing."""
    cert = prove(ode3("4/5", "(a - 1/2)*(y - 30*(a - 11/20)) + 1", ["0.55", "1"], [-10, 10]), global_budget=0)
    c = cert.branches[0]["completeness"]
    assert c["proved"], c["reason"]

    def y(a):
        a = a if isinstance(a, mp.mpf) else mpf(a)
        return 30 * (a - mp.mpf(11) / 20) - 1 / (a - mp.mpf(1) / 2)
    assert y(1) > 10
    top, bottom = sorted(c["ends"], key=lambda e: -e["side"])
    check_exit(top, y, Fraction(10), 1)
    check_exit(bottom, y, Fraction(-10), -1)
    assert mp.findroot(lambda a: y(a) - 10, 0.95) < mpf(top["a"][0])      # past the entry, towards a = 1
    assert mp.findroot(lambda a: y(a) + 10, 0.59) > mpf(bottom["a"][1])   # past the exit, towards a = 1/2
    (p,) = cert.hopf_points
    assert p.status == "proved" and Fraction(p.parameter[0]) <= Fraction(4, 5) <= Fraction(p.parameter[1])
    assert "1 crossing(s)" in c["reason"]

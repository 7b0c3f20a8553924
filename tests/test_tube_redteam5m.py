"""Red team (session 5, s5march): the branch check's float routing (warm-started float points, float
zeros of g) next to a second branch, and the reasons it gives.

Ground truth independent of the code under test: SymPy (exact eigenvalues along the branches, which
are straight lines here) and exact Fractions."""
from fractions import Fraction

import pytest
import sympy as sp

from symhopf.api import prove
from symhopf.model import Model

DELTA = Fraction(9, 1000)


def two_branches() -> Model:
    """u, v: a Hopf block whose eigenvalues are (y - 1/2) +- i; y' = -(y - a)(y - a + 9/1000): two parallel
    branches y = a (Hopf point at a = 1/2) and y = a - 9/1000 (Hopf point at a = 509/1000), u = v = 0."""
    return Model.ode(["u", "v", "y"], [
        "(y - 1/2)*u - v - u*(u**2 + v**2)",
        "u + (y - 1/2)*v - v*(u**2 + v**2)",
        "-(y - a)*(y - a - 1/1000) - y/100 + a/100",
    ], "a", range=["0", "1"])


def g_zeros_on_branch(model: Model, shift: Fraction) -> list[sp.Rational]:
    """Exact zeros in [0, 1] of g = det(2 Df (.) I) = prod_{i<j} (l_i + l_j) on the branch u = v = 0,
    y = a - shift (SymPy: the eigenvalues of the exact Jacobian there)."""
    a = sp.Symbol("a", real=True)
    syms = {s.name: s for e in model.rhs for s in e.free_symbols}
    X = [syms["u"], syms["v"], syms["y"]]
    J = sp.Matrix(model.rhs).jacobian(X)
    at = {syms["u"]: 0, syms["v"]: 0, syms["y"]: a - sp.Rational(shift.numerator, shift.denominator),
          syms["a"]: a}
    ev = list(J.subs(at).eigenvals(multiple=True))
    g = sp.expand(sp.prod([ev[i] + ev[j] for i in range(3) for j in range(i)]))
    return sorted(r for r in sp.solve(sp.simplify(g), a) if r.is_real and 0 <= r <= 1)


@pytest.fixture(scope="module")
def two_cert():
    return prove(two_branches(), global_budget=0)


def test_two_branches_ground_truth():
    m = two_branches()
    assert g_zeros_on_branch(m, Fraction(0)) == [sp.Rational(1, 2)]
    assert g_zeros_on_branch(m, DELTA) == [sp.Rational(509, 1000)]


def _branch_with(cert, a: Fraction) -> dict:
    (i,) = [i for i, p in enumerate(cert.hopf_points)
            if p.status == "proved" and Fraction(p.parameter[0]) <= a <= Fraction(p.parameter[1])]
    (b,) = [b for b in cert.branches if i in b["hopf_points"]]
    return b


def test_each_branch_claims_only_its_own_hopf_point(two_cert):
    """Never a false "complete": a branch proved complete lists exactly its true Hopf point (a piece or a
    link built on the neighbouring branch 9/1000 away must be refused by the rigorous tests)."""
    for a_true in (Fraction(1, 2), Fraction(509, 1000)):
        b = _branch_with(two_cert, a_true)
        c = b["completeness"]
        if c["proved"]:
            listed = [two_cert.hopf_points[i] for i in b["hopf_points"]]
            assert len(listed) == 1
            p = listed[0]
            assert Fraction(p.parameter[0]) <= a_true <= Fraction(p.parameter[1])


def test_unmatched_zero_reason_names_the_proved_point_it_is(two_cert):
    """The only zero of g on this branch in [0, 1] is a = 509/1000 (SymPy, above), a proved point of this
    branch: the reason must not deny that the point accounts for the zero (false before s5march 145f79e:
    'no proved Hopf point of this branch accounts for it')."""
    b = _branch_with(two_cert, Fraction(509, 1000))
    c = b["completeness"]
    reason = c["reason"]
    if not c["proved"] and "unmatched zero" in reason and "a in [" in reason:
        lo, hi = (Fraction(v) for v in reason.split("a in [")[1].split("]")[0].split(", "))
        if lo <= Fraction(509, 1000) <= hi:
            assert "no proved Hopf point of this branch" not in reason, reason
            assert "proved Hopf point 1" in reason, reason


@pytest.mark.xfail(strict=True, reason=(
    "lost completeness (not a soundness defect): on the branch y = a - 9/1000 the float zero of g is bisected "
    "with float Newton that lands on the other branch y = a (tube.MovingBranchCheck._float_zeros: the "
    "chord midpoint's y is kept while a moves by up to the float points' gap, 0.14 here), so it is put at "
    "a = 0.5 (the other branch's crossing) and left unmatched; the unmatched Hopf piece [0.49, 0.51], built "
    "on the right branch, proves exactly one zero of g there and its region holds this branch's proved "
    "point (a = 509/1000): that zero is accounted for, yet the check fails instead of matching them"))
def test_branch_next_to_a_branch_is_proved_complete(two_cert):
    b = _branch_with(two_cert, Fraction(509, 1000))
    assert b["completeness"]["proved"], b["completeness"]["reason"]


def odd_model(box: list) -> Model:
    """Odd: y = 0 and y = +-1/sqrt(a - 1/2) (mirror images, off to infinity at a = 1/2), u, v a Hopf block
    at a = 7/10 (l1 = -2)."""
    return Model.ode(["u", "v", "y"], ["(a - 7/10)*u - v - u*(u**2 + v**2)", "u + (a - 7/10)*v - v*(u**2 + v**2)",
                                       "(a - 1/2)*y**3 - y"], "a", range=["0.505", "1"], search={"box": box})


def test_mirror_refused_for_a_box_symmetric_only_in_floats():
    """The box [-5, 5 + 10^-20]: its floats are +-5 (symmetric), the box written is not. Lemma M (mirror
    image of a tube, exits mirrored) needs X = -X exactly: each moving branch gets its own tube, and its
    exit face is the face written (exact), never the mirror of the other one."""
    hi = Fraction(5) + Fraction(1, 10 ** 20)
    assert float(hi) == 5.0
    cert = prove(odd_model(["-5", "5.00000000000000000001"]), global_budget=0)
    assert cert.search["box"][1][2] == str(hi)
    moving = [b for b in cert.branches if any(e["kind"] == "box exit" for e in b["completeness"].get("ends") or [])]
    assert len(moving) == 2
    for b in moving:
        c = b["completeness"]
        assert c["proved"], c["reason"]
        assert "Lemma M" not in c["reason"], c["reason"]
        (ex,) = [e for e in c["ends"] if e["kind"] == "box exit"]
        assert Fraction(ex["face"]) == (hi if ex["side"] > 0 else Fraction(-5))
        for a in ex["a"]:                                  # the branch point strictly beyond the face (exact)
            y2 = 1 / (Fraction(a) - Fraction(1, 2))        # y^2 on the branch
            assert y2 > (hi if ex["side"] > 0 else Fraction(5)) ** 2


def graze_model(s: str) -> Model:
    """u, v: a Hopf block at a = 3/5 (l1 = -2); y = 1/10 + s - (a - 3/5)^2 touches the face y = 1/10 at the
    Hopf point's a (from inside for s < 0, exactly for s = 0, poking out by s > 0); w = 1/(100 (a - 1/2))
    leaves the box through w = 1 at a = 51/100 (the float arc stops past 1.5 times the box)."""
    return Model.ode(["u", "v", "y", "w"], [
        "(a - 3/5)*u - v - u*(u**2 + v**2)", "u + (a - 3/5)*v - v*(u**2 + v**2)",
        f"-(y - 1/10 - ({s}) + (a - 3/5)**2)", "(a - 1/2)*w - 1/100"], "a", range=["0.503", "1"],
        search={"box": [["-1", "1"], ["-1", "1"], ["-1", "0.1"], ["-1", "1"]]})


@pytest.mark.parametrize("s", ["0", "-1/10**17", "1/10**17", "-1/10**10"])
def test_branch_grazing_the_face_lists_its_hopf_point(s):
    """A branch touching the face y = 1/10 (float 1/10 + 5.6e-18) within 1e-17 or 1e-10 from inside (or
    exactly), its Hopf point there: in the closed box, so a claim within the box must list it, proved."""
    cert = prove(graze_model(s), global_budget=0)
    (b,) = cert.branches
    c = b["completeness"]
    if c["proved"]:
        (i,) = b["hopf_points"]
        p = cert.hopf_points[i]
        assert p.status == "proved" and Fraction(p.parameter[0]) <= Fraction(3, 5) <= Fraction(p.parameter[1])
        y = Fraction(1, 10) + Fraction(sp.Rational(sp.sympify(s)).p, sp.Rational(sp.sympify(s)).q)
        assert Fraction(p.x[2][0]) <= y <= Fraction(p.x[2][1])
        (ex,) = [e for e in c["ends"] if e["kind"] == "box exit"]
        assert ex["coordinate"] == 3 and Fraction(ex["face"]) == 1 and ex["side"] == 1
    elif s == "0" or s.startswith("-"):
        pytest.fail(f"a branch inside the box, its Hopf point proved, is not proved complete: {c['reason']}")


def test_poke_out_of_the_box_mid_arc_reason():
    """The branch pokes 1e-6 out of the face y = 1/10 mid-arc, its Hopf point there: the reason must not
    say the point is where the tube runs past the exit face (it is far from the exit)."""
    cert = prove(graze_model("1/10**6"), global_budget=0)
    (b,) = cert.branches
    c = b["completeness"]
    (p,) = cert.hopf_points
    assert p.status == "proved" and Fraction(p.x[2][0]) > Fraction(1, 10)   # strictly outside, exactly
    assert c["proved"] or "runs a little past the face where the branch leaves the box" not in c["reason"], \
        c["reason"]


# ---- the link between consecutive pieces: when may the thin Krawczyk test be skipped?

def _link_calls(P, Q, x=Fraction(1, 2)) -> list:
    """Run MovingBranchCheck._link on P, Q (n = 1, chart a) with a stub whose thin test records its calls
    and returns the exact point (x, t)."""
    from types import SimpleNamespace

    from flint import arb

    from symhopf.proof.krawczyk_tube import Tube
    from symhopf.proof.tube import MovingBranchCheck

    calls = []

    def thin(p, run, t):
        calls.append((p, t))
        return [arb(x.numerator) / x.denominator, arb(t.numerator) / t.denominator]
    stub = SimpleNamespace(tube=SimpleNamespace(full=lambda k, T, U: Tube.full(None, k, T, U)), _thin=thin,
                           _cname=lambda k: "a")
    stub._slice = lambda p, t: MovingBranchCheck._slice(stub, p, t)
    stub._on = lambda Z0, p, strict: MovingBranchCheck._on(stub, Z0, p, strict)
    MovingBranchCheck._link(stub, P, Q, None, None)
    return calls


def _piece(lo, hi, xlo, xhi, slant=None):
    from symhopf.proof.krawczyk_tube import Piece
    from symhopf.runtime.arbtools import hull
    return Piece(1, Fraction(lo), Fraction(hi), 1, [hull(Fraction(xlo), Fraction(xhi))],
                 [hull(Fraction(xlo), Fraction(xhi))], slant=slant)


def test_link_skipped_only_when_a_slice_lies_in_the_other_region():
    """Skipping the thin test is sound only when one piece's slice at the shared t lies in the other's
    region (then the point of that piece at t is in both). Regions that only touch, or overlap without
    containing a slice, must get the thin test."""
    from flint import arb

    from symhopf.proof.krawczyk_tube import Slant
    P = _piece(0, 1, 0, 1)
    assert _link_calls(P, _piece(1, 2, Fraction(-1, 10), Fraction(11, 10))) == []        # P's slice inside Q's
    assert _link_calls(P, _piece(1, 2, Fraction(1, 10), Fraction(9, 10))) == []          # Q's slice inside P's
    assert len(_link_calls(P, _piece(1, 2, 1, 2), x=Fraction(1))) == 1                    # they only touch (x = 1)
    assert len(_link_calls(P, _piece(1, 2, Fraction(1, 2), Fraction(3, 2)), x=Fraction(3, 4))) == 1   # overlap only
    assert len(_link_calls(P, _piece(Fraction(1, 2), 2, Fraction(-1), 2))) == 2          # chart change: both ends
    # a slanted Q: at t = 1 its region is x in 1/2 + (t - 1) * 10 + [-1, 1] = [-1/2, 3/2], holding P's slice
    slant = Slant(1.0, [0.5], [10.0], [arb(0, 1)])
    assert _link_calls(P, _piece(1, 2, -100, 100, slant=slant)) == []
    # slanted the other way round: at t = 1, x in 5 + [-1, 1], which misses P's slice [0, 1]: thin test
    far = Slant(1.0, [5.0], [10.0], [arb(0, 1)])
    from symhopf.proof.branch_runs import Fail
    with pytest.raises(Fail, match="do not overlap"):
        _link_calls(P, _piece(1, 2, -100, 100, slant=far))                                 # (1/2, 1) not in Q


def test_curved_branches_1e3_apart_each_lists_its_own_two_points():
    """y = s(a) = 4a(1 - a) and y = s(a) - 1/1000 (curvature 8: the float points' linear interpolation is off
    by more than the gap between the branches, so a float Newton or a warm start may land on the other
    one). Exact Hopf points: s(a) = 1/2 on the first, s(a) = 1/2 + 1/1000 on the second, a = (1 +- r)/2 with
    r = sqrt(1/2) and sqrt(1/2 - 1/1000). A branch proved complete lists exactly the two points of one
    curve (enclosures checked with 50-digit roots)."""
    import mpmath
    m = Model.ode(["u", "v", "y"], ["(y - 1/2)*u - v - u*(u**2 + v**2)", "u + (y - 1/2)*v - v*(u**2 + v**2)",
                                    "-(y - 4*a*(1 - a))*(y - 4*a*(1 - a) + 1/1000)"], "a", range=["0", "1"])
    cert = prove(m, global_budget=0)
    with mpmath.workdps(50):
        curves = [[(1 - r) / 2, (1 + r) / 2] for r in (mpmath.sqrt(mpmath.mpf(1) / 2),
                                                     mpmath.sqrt(mpmath.mpf(1) / 2 - mpmath.mpf(1) / 1000))]

        def holds(p, a) -> bool:
            return mpmath.mpf(p.parameter[0]) <= a <= mpmath.mpf(p.parameter[1])
        complete = [b for b in cert.branches if b["completeness"]["proved"]]
        assert complete
        for b in complete:
            pts = [cert.hopf_points[i] for i in b["hopf_points"]]
            assert all(p.status == "proved" for p in pts)
            assert any(len(pts) == 2 and all(any(holds(p, a) for p in pts) for a in cv) for cv in curves), \
                [p.parameter for p in pts]


def parallel(delta: str) -> Model:
    """Branches y = a (Hopf point at a = 1/2) and y = a - delta (Hopf point at a = 1/2 + delta), u = v = 0;
    on each, g = det(2 Df (.) I) has exactly that one zero in [0, 1] (2 (y - 1/2) = 0; the other pair sums
    (y - 1/2 + lambda_y) +- i are never 0)."""
    return Model.ode(["u", "v", "y"], ["(y - 1/2)*u - v - u*(u**2 + v**2)", "u + (y - 1/2)*v - v*(u**2 + v**2)",
                                       f"-(y - a)*(y - a + {delta})"], "a", range=["0", "1"])


@pytest.mark.xfail(strict=True, reason=(
    "lost completeness (pre-existing): on the branch y = a - 3/100 the float zero of g is bisected with float "
    "Newton at fixed a that converges to the other branch y = a, so it is placed at a = 0.5, where this "
    "branch's g has no zero (its only zero is a = 53/100, a proved point); no piece isolates a zero there and "
    "the branch is not proved complete. (The reason used to say 'unmatched zero ... no proved Hopf point of "
    "this branch accounts for it', a false sentence: it now says a float sign change is not matched)"))
def test_no_unmatched_zero_claimed_where_the_branch_has_none():
    m = parallel("3/100")
    assert g_zeros_on_branch(m, Fraction(3, 100)) == [sp.Rational(53, 100)]      # SymPy ground truth
    cert = prove(m, global_budget=0)
    b = _branch_with(cert, Fraction(53, 100))
    c = b["completeness"]
    reason = c["reason"]
    if not c["proved"] and "unmatched zero" in reason and "near a = " in reason:
        where = Fraction(reason.split("near a = ")[1].split(" ")[0])
        assert abs(where - Fraction(53, 100)) < Fraction(1, 100), reason   # a zero this branch has
    assert c["proved"], reason


def test_off_box_skips_only_points_strictly_outside_the_exact_box():
    """A proved point is skipped as outside the box only when its exact enclosure lies strictly beyond a
    face (x coordinates; a is not a box coordinate): touching or straddling the decimal face 1/10 (whose
    float is above it) is in the box."""
    from types import SimpleNamespace

    from symhopf.proof.tube import MovingBranchCheck
    tenth = Fraction(1, 10)
    stub = SimpleNamespace(box=([Fraction(-1), Fraction(-7, 10)], [Fraction(1), tenth]))

    def off(ylo, yhi, alo=Fraction(0), ahi=Fraction(0)):
        return MovingBranchCheck._off_box(stub, [Fraction(0), Fraction(ylo), alo], [Fraction(0), Fraction(yhi), ahi])
    assert not off(tenth, tenth)                                   # on the face
    assert not off(tenth - Fraction(1, 10 ** 30), tenth + Fraction(1, 10 ** 30))   # straddling it
    assert not off(Fraction(0.1) - Fraction(1, 10 ** 17), Fraction(0.1))           # reaches past its float
    assert off(tenth + Fraction(1, 10 ** 30), tenth + Fraction(1, 10 ** 29))       # strictly beyond (exact)
    assert not off(Fraction(-7, 10), Fraction(-7, 10))             # on the lower face
    assert off(Fraction(-7, 10) - Fraction(1, 10 ** 30), Fraction(-7, 10) - Fraction(1, 10 ** 31))
    assert not off(0, 0, Fraction(5), Fraction(6))                 # a is not a box coordinate


@pytest.mark.xfail(strict=True, reason=(
    "lost completeness (pre-existing, search): the isola (a - 1/2)^2 + y^2 = 1/16 is recorded as 4 closed "
    "branches (Continuer.on_branch does not recognise the second equilibrium at a seed parameter as a point of "
    "the closed branch already found), its two Hopf points are given to two of the copies, and each copy's "
    "check then meets the other point's zero of g: 'unmatched zero ... no proved Hopf point of this branch "
    "accounts for it' on all 4 (the zero is the proved point recorded for another copy of the same curve)"))
def test_isola_recorded_once_and_proved_complete():
    m = Model.ode(["u", "v", "y"], ["(y - 1/10)*u - v - u*(u**2 + v**2)", "u + (y - 1/10)*v - v*(u**2 + v**2)",
                                    "1/16 - (a - 1/2)**2 - y**2"], "a", range=["0", "1"])
    cert = prove(m, global_budget=0)
    r = sp.sqrt(sp.Rational(1, 16) - sp.Rational(1, 100))            # Hopf points: y = 1/10, a = 1/2 +- r
    truth = [sp.Rational(1, 2) - r, sp.Rational(1, 2) + r]
    assert len(cert.hopf_points) == 2 and all(p.status == "proved" for p in cert.hopf_points)
    complete = [b for b in cert.branches if b["completeness"]["proved"]]
    assert complete, [b["completeness"]["reason"] for b in cert.branches]
    for b in complete:
        pts = [cert.hopf_points[i] for i in b["hopf_points"]]
        assert len(pts) == 2 and all(any(Fraction(p.parameter[0]) <= Fraction(str(sp.N(t, 30))) <= Fraction(p.parameter[1])
                                         for p in pts) for t in truth)


@pytest.mark.parametrize("e", [6, 8, 10])
def test_two_hopf_points_1e_minus_e_apart_never_claimed_as_one(e):
    """mu = 10^e (y - 1/2)(y - 1/2 - 10^-e) on the branch y = a: Hopf points at a = 1/2 and 1/2 + 10^-e
    exactly (mu' = -+1). The float zeros of g are bisected only to 1e-12 of the span and Hopf pieces are at
    least 1e-9 wide: whatever the search finds, a branch proved complete lists both points, proved."""
    mu = f"(10**{e})*(y - 1/2)*(y - 1/2 - 1/10**{e})"
    m = Model.ode(["u", "v", "y"], [f"({mu})*u - v - u*(u**2 + v**2)", f"u + ({mu})*v - v*(u**2 + v**2)", "a - y"],
                  "a", range=["0", "1"])
    cert = prove(m, global_budget=0)
    (b,) = cert.branches
    if b["completeness"]["proved"]:
        pts = [cert.hopf_points[i] for i in b["hopf_points"]]
        for a in (Fraction(1, 2), Fraction(1, 2) + Fraction(1, 10 ** e)):
            assert any(p.status == "proved" and Fraction(p.parameter[0]) <= a <= Fraction(p.parameter[1]) for p in pts)

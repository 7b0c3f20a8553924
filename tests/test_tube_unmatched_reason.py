"""The reason given for an unmatched zero of g (proof/tube.py ``_unaccounted``) must be true: when a proved
Hopf point lies on the isolating piece's arc (its enclosure in the piece's region, so it is the piece's one
zero of g), the reason names it and never says that no proved point accounts for the zero."""
from fractions import Fraction

from test_proof_completeness_moving import brusselator, proved_points
from symhopf.proof.tube import MovingBranchCheck, check_moving_branch
from symhopf.runtime.arbtools import fraction


def test_unmatched_reason_names_a_proved_point_on_the_piece():
    s = brusselator()
    res, proved = proved_points(s)
    (br,) = res.branches
    rng = (Fraction(3, 2), Fraction(5, 2))
    out = check_moving_branch(s, br, proved, rng)
    assert out.proved, out.reason
    (hp,) = [p for p in out.tube if p.kind == "hopf"]          # the piece holding the point b = 2
    (q,) = proved
    box = ([fraction(lo) for lo, _ in q.x] + [fraction(q.a[0])], [fraction(hi) for _, hi in q.x] + [fraction(q.a[1])])
    chk = MovingBranchCheck(s, br, proved, rng, 128)
    assert chk._inside(hp, *box)
    said = chk._unaccounted(hp, {0: box})
    assert "is proved Hopf point 0" in said and "no proved Hopf point" not in said
    # the same point outside the box (skipped as strictly outside): named as such
    chk.outside, chk._outside_boxes = [0], [(0, *box)]
    said = chk._unaccounted(hp, {})
    assert "it is proved Hopf point 0, which lies on this piece's arc but strictly outside" in said
    # adversarial: a piece that does not hold the point (the plain piece at the range's start) names none
    first = out.tube[0]
    assert first.kind == "plain" and not chk._inside(first, *box)
    said = chk._unaccounted(first, {0: box})
    assert "no proved Hopf point of this branch in the search box accounts for it" in said
    chk.outside, chk._outside_boxes = [], []
    assert chk._unaccounted(first, {0: box}) == "no proved Hopf point of this branch accounts for it"
    assert chk._unaccounted(None, {0: box}) == "no proved Hopf point of this branch accounts for it"

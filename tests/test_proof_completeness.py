"""Rigorous completeness of the Hopf list on a constant branch (4-neuron asymmetric net)."""

from test_search_systems import W4, lorenz, net
from symhopf.search import find_candidates
from symhopf.proof.completeness import ProvedHopf, check_branch



def _proved(c, r=1e-12):
    return ProvedHopf((c.a - r, c.a + r), (c.omega - 1e-9, c.omega + 1e-9), [(v - 1e-9, v + 1e-9) for v in c.x])


def test_completeness_proved_on_4_neuron_asymmetric_net():
    s = net("asymmetric", W4, (-1, 1))
    res = find_candidates(s)
    out = check_branch(s, res.branches[0], [_proved(c) for c in res.candidates])
    assert out.proved, out.reason
    assert len(out.crossings) == 2
    for (lo, hi), c in zip(out.crossings, res.candidates):
        assert lo <= c.a + 1e-15 and c.a - 1e-15 <= hi and hi - lo < 1e-12


def test_completeness_fails_when_a_hopf_point_is_missing_or_unmatched():
    s = net("asymmetric", W4, (-1, 1))
    res = find_candidates(s)
    out = check_branch(s, res.branches[0], [_proved(res.candidates[0])])
    assert not out.proved and "matches no proved Hopf point" in out.reason
    wide = ProvedHopf((-1, 1))  # one wide enclosure cannot account for two crossings
    out = check_branch(s, res.branches[0], [wide])
    assert not out.proved and "several crossings" in out.reason


def test_completeness_with_no_crossing_in_range_and_exact_range_ends():
    s = net("asymmetric", W4, ("1/2", 1))
    res = find_candidates(s)
    assert res.candidates == []
    out = check_branch(s, res.branches[0], [])
    assert out.proved and out.crossings == []


def test_moving_branch_without_its_hopf_point_reported_not_proved():
    s = lorenz()
    res = find_candidates(s)
    br = res.branches[res.candidates[0].branch]  # moving branch: tube + bialternate (proof/tube.py)
    out = check_branch(s, br, [])
    assert not out.proved and "unmatched zero" in out.reason

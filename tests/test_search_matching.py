"""The greedy eigenvalue matching (strict mutual pairs, then pair by pair) against the plain greedy loop."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symhopf.search.continuation import eig_movement
from symhopf.search.matching import greedy_match


def reference(U0, U1):
    """Closest pairs first over all pairs (the definition)."""
    D = np.abs(U0[:, None] - U1[None, :])
    used0, used1, out = set(), set(), set()
    for flat in np.argsort(D, axis=None, kind="stable"):
        i, j = divmod(int(flat), len(U1))
        if i not in used0 and j not in used1:
            used0.add(i), used1.add(j), out.add((i, j))
    return out


def pairs(U0, U1):
    i, j = greedy_match(U0, U1)
    assert len(i) == min(len(U0), len(U1)) and len(set(i.tolist())) == len(i) and len(set(j.tolist())) == len(j)
    return set(zip(i.tolist(), j.tolist()))


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("move", [1e-3, 0.1, 0.5, 3.0])
def test_matches_reference_on_perturbed_spectra(seed, move):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 40))
    U0 = rng.normal(size=m) + 1j * rng.normal(size=m)
    U1 = U0 + move * (rng.normal(size=m) + 1j * rng.normal(size=m))
    U1 = U1[rng.permutation(m)]
    assert pairs(U0, U1) == reference(U0, U1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.complex_numbers(max_magnitude=4, allow_nan=False, allow_infinity=False), min_size=0, max_size=9),
       st.lists(st.complex_numbers(max_magnitude=4, allow_nan=False, allow_infinity=False), min_size=0, max_size=9))
def test_unequal_lengths_and_clusters(a, b):
    """Lists of different lengths, near-coincident values: the same pairs as the definition, except
    where two candidate pairs have exactly the same distance (then both matchings are greedy)."""
    U0, U1 = np.array(a, complex), np.array(b, complex)
    D = np.abs(U0[:, None] - U1[None, :])
    got, ref = pairs(U0, U1), reference(U0, U1)
    if len(np.unique(D)) == D.size:
        assert got == ref
    else:   # ties: the same multiset of matched distances up to the tie order
        assert len(got) == len(ref)


def test_crossing_pairs_not_matched_to_the_nearest_row_alone():
    """Row 0's nearest is column 0, but column 0 is nearer to row 1: greedy gives (1, 0), (0, 1)."""
    U0, U1 = np.array([0.0, 1.0]), np.array([0.6, 2.0])
    assert pairs(U0, U1) == {(1, 0), (0, 1)} == reference(U0, U1)
    assert eig_movement(U0, U1) == pytest.approx(2.0)

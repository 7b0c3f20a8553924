"""Search on RNNs: biased leaky net against a brute-force scan, asymmetric nets (n = 4, 20, 400),
and the trained 10-neuron neural ODE."""
from pathlib import Path

import numpy as np
import pytest

from test_search_systems import B3, W3, W4, net, random_asymmetric
from symhopf.model import Model
from symhopf.search import find_candidates
from symhopf.search.continuation import Continuer
from symhopf.search.detect import BranchScanner
from symhopf.system import System

TRAINED = Path("/work/shared/data/trained_node10.toml")


def brute_force_leaky_hopf(W, b, a_grid, seeds_per_axis=5):
    """Independent scan: all equilibria on a dense grid (vectorised plain Newton from a seed
    lattice), then sign changes of the complex pair's real part between nearest equilibria."""
    n = len(b)
    r = np.abs(W).sum(1) + np.abs(a_grid).max() + np.abs(b)
    axes = [np.linspace(-ri, ri, seeds_per_axis) for ri in r]
    S = np.stack(np.meshgrid(*axes), -1).reshape(-1, n)
    X = np.broadcast_to(S, (len(a_grid), len(S), n)).copy()
    M = W[None] + a_grid[:, None, None] * np.eye(n)
    for _ in range(40):
        t = np.tanh(X)
        F = -X + np.einsum("aij,asj->asi", M, t) + b
        J = -np.eye(n) + M[:, None] * (1 - t**2)[:, :, None, :]
        X = X - np.linalg.solve(J, F[..., None])[..., 0]
    t = np.tanh(X)
    F = -X + np.einsum("aij,asj->asi", M, t) + b
    found = []
    for k, a in enumerate(a_grid):
        eq = []
        for x in X[k][np.linalg.norm(F[k], axis=1) < 1e-10]:
            if all(np.linalg.norm(x - y) > 1e-6 for y in eq):
                eq.append(x)
        found.append(eq)

    def pair_re(x, a):
        ev = np.linalg.eigvals(-np.eye(n) + (W + a * np.eye(n)) * (1 - np.tanh(x) ** 2))
        up = ev[ev.imag > 0]
        return up[0].real if len(up) else None

    hopf = []
    for k in range(len(a_grid) - 1):
        for x in found[k]:
            if not found[k + 1]:
                continue
            y = min(found[k + 1], key=lambda y: np.linalg.norm(y - x))
            if np.linalg.norm(y - x) > 0.05:
                continue
            r0, r1 = pair_re(x, a_grid[k]), pair_re(y, a_grid[k + 1])
            if r0 is not None and r1 is not None and (r0 >= 0) != (r1 >= 0):
                hopf.append((0.5 * (a_grid[k] + a_grid[k + 1]), x))
    return hopf


def test_biased_leaky_net_matches_brute_force_scan():
    a_range = (-1.0, 1.5)
    res = find_candidates(net("leaky", W3, a_range, B3))
    grid = np.linspace(*a_range, 501)
    scan = brute_force_leaky_hopf(W3, B3, grid)
    h = grid[1] - grid[0]
    assert len(res.candidates) == len(scan) == 3
    for a, x in scan:  # each scan crossing is one candidate (same grid cell, nearby equilibrium)
        c = min(res.candidates, key=lambda c: np.linalg.norm(c.x - x))
        assert abs(c.a - a) <= h and np.linalg.norm(c.x - x) < 0.1
    assert len({id(min(res.candidates, key=lambda c: np.linalg.norm(c.x - x))) for _, x in scan}) == 3
    # x' = -x + (W + aI) tanh(x) + b: the candidates are on two different branches, one with a fold
    assert len({c.branch for c in res.candidates}) == 2
    assert sum(len(b.folds) for b in res.branches) >= 1


def test_asymmetric_n4_crossings_are_shifted_eigenvalues():
    res = find_candidates(net("asymmetric", W4, (-1, 1)))
    ev = np.linalg.eigvals(W4)
    expected = sorted(-e.real for e in ev if e.imag > 0 and abs(e.real) <= 1)
    assert len(expected) == 2
    assert np.allclose([c.a for c in res.candidates], expected, atol=1e-13)
    for c in res.candidates:
        assert np.min(np.abs(ev - (-c.a + 1j * c.omega))) < 1e-13
    assert len(res.branches) == 1 and res.branches[0].constant


def test_continuation_path_finds_many_crossings_per_step():
    """The general scanner (no shift shortcut) on the trivial branch of an n = 20 net."""
    W = random_asymmetric(20, seed=3)
    s = net("asymmetric", W, ("-3/2", "3/2"))
    cont = Continuer(s.flt, 20, (-1.5, 1.5))
    br = cont.branch(np.zeros(20), -1.5, 0)
    scanner = BranchScanner(s.flt, cont)
    got = sorted(c.a for c in scanner.scan(br))
    ev = np.linalg.eigvals(W)
    expected = sorted(-e.real for e in ev if e.imag > 0 and abs(e.real) <= 1.5)
    assert len(expected) >= 8 and np.allclose(got, expected, atol=1e-10)


def test_n400_all_crossings():
    W = random_asymmetric(400)
    res = find_candidates(net("asymmetric", W, ("-3/10", "3/10")))
    ev = np.linalg.eigvals(W)
    expected = np.sort([-e.real for e in ev if e.imag > 0 and abs(e.real) <= 0.3])
    assert len(expected) == 200 and len(res.candidates) == 200
    assert np.allclose([c.a for c in res.candidates], expected, atol=1e-12)


@pytest.mark.skipif(not TRAINED.exists(), reason="shared data not available")
def test_trained_node10_five_close_hopf_points():
    s = System.from_model(Model.from_toml(TRAINED))
    res = find_candidates(s)
    assert len(res.candidates) == 5 and not res.warnings
    assert res.candidates[-1].a - res.candidates[0].a < 2.1e-4
    for c in res.candidates:
        assert np.linalg.norm(s.flt.f(c.x, c.a)) < 1e-12
        assert np.linalg.norm(s.flt.Df(c.x, c.a) @ c.q - 1j * c.omega * c.q) < 1e-10

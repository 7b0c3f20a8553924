"""branch_runs._runs: a coordinate constant up to float noise along the float arc is never a chart.

On an invariant plane (RG-flow: x0 = x1 = 0) the float points' flat coordinate is rounding noise, and so is
its component of the scaled float tangent (scaled by its span, about 1e-9, that noise can be large): chosen
as a chart, the run's points do not move in it and the tube's J_u (the other columns of Jz) is singular, so
the check fails. Here the float tangents are given a large noise component in the invariant coordinate x
(with the same sign as the noise in the points), which without the rule makes x the best chart."""
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from symhopf.model import Model
from symhopf.proof import branch_runs
from symhopf.proof.tube import MovingBranchCheck, check_moving_branch
from symhopf.search import find_candidates
from symhopf.system import System

RANGE = ("0", "1")


@pytest.fixture(scope="module")
def invariant():
    """x = 0 is invariant (x' = -x); on it y = a: one moving branch, no Hopf point."""
    s = System.from_model(Model.ode(["x", "y"], ["-x", "a - y"], "a", range=list(RANGE)))
    (br,) = find_candidates(s).branches
    x = np.array(br.x, float)
    assert np.all(x[:, 0] == 0) and len(x) >= 5
    x[:, 0] = np.arange(len(x)) * 1e-20 * np.sign(br.a[-1] - br.a[0])   # float noise, moving with the arc
    return s, replace(br, x=x)


@pytest.fixture
def noisy_tangent(monkeypatch):
    """Float tangents whose x component is noise of size 0.99 (the sign of the points' noise)."""
    orig = branch_runs.FloatRuns._tangent

    def tangent(self, z, span):
        t = orig(self, z, span)
        t = t * np.sign(t[2]) * 0.1          # the branch moves with a (arc order: a increasing)
        t[0] = 0.99
        return t / np.linalg.norm(t)
    monkeypatch.setattr(branch_runs.FloatRuns, "_tangent", tangent)


def test_flat_coordinate_is_never_a_chart(invariant, noisy_tangent):
    s, br = invariant
    chk = MovingBranchCheck(s, br, [], RANGE, 128)
    Z, closed = chk._arc()
    runs = chk._runs(chk._cut(Z, closed), closed)
    assert all(r.k != 0 for r in runs), [r.k for r in runs]


def test_branch_on_an_invariant_plane_is_proved_complete(invariant, noisy_tangent):
    s, br = invariant
    out = check_moving_branch(s, br, [], (Fraction(0), Fraction(1)))
    assert out.proved, out.reason
    assert out.crossings == [] and "charts a" in out.reason and "x0" not in out.reason

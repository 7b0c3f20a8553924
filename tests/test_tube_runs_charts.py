"""branch_runs._runs: the chart of each run (float routing only; the tube proves what it covers).

A coordinate constant up to float noise is never a chart. On an invariant plane (RG-flow: x0 = x1 = 0) the float points' flat coordinate is rounding noise, and so is
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


def exit_model() -> System:
    """y = 1/(a - 1/2) for a in [0.55, 1] (w = 0): it leaves the box [-10, 10]^2 through y = 10 at a = 0.6,
    steeply (dy/da = -100 there)."""
    return System.from_model(Model.ode(["y", "w"], ["(a - 1/2)*y - 1", "-w"], "a", range=["0.55", "1"],
                                       search={"box": [-10, 10]}))


def test_every_float_tangent_is_oriented_along_the_arc_the_last_one_too():
    """The chart of the end segment at a box exit (not forced to be a) needs the last point's tangent
    oriented too (it was compared with a zero chord, so its sign was the SVD's)."""
    s = exit_model()
    (br,) = find_candidates(s).branches
    box = ([Fraction(-10)] * 2, [Fraction(10)] * 2)
    chk = MovingBranchCheck(s, br, [], ("0.55", "1"), 128, box=box)
    Z, closed = chk._arc()
    Z = chk._cut(Z, closed)
    assert chk.ends[1] == (0, 1)                          # cut just past y = 10
    span = np.ptp(Z, axis=0) + 1e-9
    span[-1] = 0.45
    for sign in (1, -1):                                  # whatever sign the SVD returns
        orig = branch_runs.FloatRuns._tangent
        chk._tangent = lambda z, sp, sign=sign: sign * orig(chk, z, sp)
        tang = chk._oriented_tangents(Z, span)
        chords = np.diff(Z, axis=0) / span
        assert all(t @ c > 0 for t, c in zip(tang[:-1], chords))
        assert tang[-1] @ chords[-1] > 0
        runs = chk._runs(Z, closed)
        assert runs[-1].k == 0, [r.k for r in runs]      # the steep exit segment in chart y, not a
    del chk._tangent
    out = check_moving_branch(s, br, [], (Fraction(11, 20), Fraction(1)), box=box)
    assert out.proved, out.reason
    assert out.ends[1]["kind"] == "box exit" and out.ends[1]["coordinate"] == 0

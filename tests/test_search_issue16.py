"""Issue 16, the float search: every branch and every crossing of the issue's cases is found."""
from pathlib import Path

import numpy as np
import pytest

from symhopf.model import Model
from symhopf.search import find_candidates
from symhopf.search.symmetry import is_odd
from symhopf.system import System

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def ode(variables, rhs, rng, **kw) -> System:
    return System.from_model(Model.ode(variables=variables, rhs=rhs, parameter="a",
                                       range=[str(v) for v in rng], **kw))


def test_sin_parameter_has_63_hopf_points():
    """y' = -x + sin(a) y - y^3: Hopf exactly where sin(a) = 0, i.e. a = k pi, |k| <= 31."""
    r = find_candidates(ode(["x", "y"], ["y", "-x + sin(a)*y - y**3"], (-100, 100)))
    a = np.array([c.a for c in r.candidates])
    assert len(a) == 63
    assert np.allclose(a, np.pi * np.arange(-31, 32), atol=1e-9)


@pytest.mark.parametrize("gap", ["1/1000", "1/1000000"])
def test_two_close_hopf_points_both_found(gap):
    """Re lambda = (a^2 - gap^2)/2: two Hopf points at a = +-gap."""
    r = find_candidates(ode(["x", "y"], ["y", f"-x + (a**2 - ({gap})**2)*y - y**3"], (-1, 1)))
    g = float(eval(gap))
    assert sorted(c.a for c in r.candidates) == pytest.approx([-g, g], rel=1e-6)


def test_isola_mid_range_is_found():
    """x^2 + (a - 1/4)^2 = 9/400 (a closed branch for a in (0.1, 0.4)), pair (x - 1/20) +- i:
    Hopf at a = 1/4 +- sqrt(0.02)."""
    r = find_candidates(ode(["x", "y", "z"], ["9/400 - (a-1/4)**2 - x**2", "y*(x - 1/20) - z", "z*(x - 1/20) + y"],
                            (-1, 1)))
    assert len(r.branches) == 1 and r.branches[0].closed
    assert sorted(c.a for c in r.candidates) == pytest.approx([0.25 - 0.02**0.5, 0.25 + 0.02**0.5], rel=1e-9)


def test_equilibria_outside_the_box_are_rejected_unless_the_box_holds_them():
    """Equilibria are kept in the [search] box, or in the default box [-10, 10] widened by twice its
    width on each side ([-50, 50]); one at x = 20 is found, one at x = 60 only with a box holding it."""
    rhs = ["a*(x-60) - y - (x-60)**3", "(x-60) + a*y - y**3"]   # the only equilibrium: (60, 0)
    assert find_candidates(ode(["x", "y"], rhs, (-1, 1))).branches == []
    assert len(find_candidates(ode(["x", "y"], rhs, (-1, 1), search={"box": [-70, 70]})).candidates) == 1
    rhs = [r.replace("60", "20") for r in rhs]
    assert find_candidates(ode(["x", "y"], rhs, (-1, 1), search={"box": [-10, 10]})).branches == []
    r = find_candidates(ode(["x", "y"], rhs, (-1, 1)))
    assert len(r.candidates) == 1 and r.candidates[0].a == pytest.approx(0, abs=1e-12)
    assert r.candidates[0].x == pytest.approx([20, 0])


def test_rgflows_two_hopf_points_mirrored():
    """MatCont's HomoclinicRGflows system (odd): Hopf at M = 0.674705 and its mirror point."""
    s = System.from_model(Model.from_toml(EXAMPLES / "rgflows_matcont.toml"))
    assert is_odd(s.model)
    r = find_candidates(s)
    assert [round(c.a, 6) for c in r.candidates] == [0.674705, 0.674705]
    x0, x1 = (c.x for c in r.candidates)
    assert np.allclose(x0, -x1, atol=1e-8) and np.abs(x0).max() > 1e-3
    assert r.sought["odd_symmetry_mirrored"] is True


def test_oddness_is_verified_symbolically():
    W = np.array([[0.2, 1.0], [-1.0, 0.1]])
    assert is_odd(Model.rnn("leaky", weights=W, range=[0, 1]))
    assert not is_odd(Model.rnn("leaky", weights=W, bias=[0, 1e-3], range=[0, 1]))
    assert not is_odd(Model.rnn("leaky", weights=W, activation="tanh(z) + z**2", range=[0, 1]))
    assert is_odd(Model.ode(["x", "y"], ["sin(x) - y**3", "a*x"], "a", range=[0, 1]))
    assert not is_odd(Model.ode(["x", "y"], ["cos(x) - y", "a*x"], "a", range=[0, 1]))


def test_odd_leaky_net_every_branch_mirrored():
    rng = np.random.default_rng(3)
    R = rng.normal(size=(5, 5))
    r = find_candidates(System.from_model(Model.rnn("leaky", weights=R - R.T + 0.2 * np.eye(5), range=[-3, 3])))
    for c in r.candidates:
        assert any(abs(d.a - c.a) < 1e-9 and np.allclose(d.x, -c.x, atol=1e-8) for d in r.candidates)


def test_search_is_deterministic():
    s = ode(["x", "y"], ["a - x**2 + y", "x - y + a*y - y**3"], (-1, 1))
    r1, r2 = find_candidates(s), find_candidates(s)
    assert [c.a for c in r1.candidates] == [c.a for c in r2.candidates]
    assert [b.n_points for b in r1.branches] == [b.n_points for b in r2.branches]

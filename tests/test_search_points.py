"""The float search's faster paths give what the plain ones give: the generated ODE code evaluated at
many points at once (FloatBase.f_points / Df_points), the multi-start Newton run side by side
(newton_equilibria), on_branch's cached chords, is_odd (exact expansion), formula numbers sliced
from the source, and the cached srepr of structure_key."""
import ast

import numpy as np
import pytest
import sympy as sp

from symhopf.model import Model
from symhopf.parsing import _Translator
from symhopf.runtime.floats import mat
from symhopf.search.equilibria import (STACK_MAX_N, StackedPoints, newton_equilibria, newton_equilibrium,
                                      points_evaluator)
from symhopf.search.maps import FixedPoints
from symhopf.search.symmetry import is_odd
from symhopf.system import System

RNG = np.random.default_rng(5)


def ode(variables, rhs, rng=("0", "1"), **kw) -> System:
    return System.from_model(Model.ode(variables, rhs, "a", range=list(rng), **kw))


def test_mat_scalars_and_points():
    assert mat(2, 1, [1, 2]).dtype == float and mat(1, 2, [1, 2j]).dtype == complex
    m = mat(2, 2, [np.float64(1.5), 0, np.array([1.0, 2.0, 3.0]), -1])
    assert m.shape == (2, 2, 3) and m[0, 1].tolist() == [0, 0, 0] and m[1, 0].tolist() == [1, 2, 3]


@pytest.mark.parametrize("rhs", [
    ["a*x - y - x*(x**2 + y**2)", "x + a*y - y*(x**2 + y**2)"],
    ["exp(-x**2)*sin(a*y) - x/(1 + y**2)", "-y + tanh(x)**3 + erf(x*y)"],
    ["-x + 2*y", "3*x - a*y"],                       # a constant Df row, an a-dependent one
    ["-x + 2*y", "3*x - 4*y"],                       # every Df entry constant
])
def test_points_agree_with_f_and_Df(rhs):
    s = ode(["x", "y"], rhs)
    X = RNG.uniform(-3, 3, (17, 2))
    F, D = s.flt.f_points(X, 0.7), s.flt.Df_points(X, 0.7)
    assert s.flt.pointwise
    assert F.shape == (17, 2) and D.shape == (17, 2, 2)
    for x, fx, dx in zip(X, F, D):
        assert np.allclose(fx, s.flt.f(x, 0.7), rtol=1e-14, atol=1e-300)
        assert np.allclose(dx, s.flt.Df(x, 0.7), rtol=1e-14, atol=1e-300)


def test_points_check_clears_pointwise_for_a_net():
    """A net's generated code is matrix code, not entrywise: forced ``pointwise``, the first check fails
    and the rows are evaluated one by one, with the right values."""
    s = System.from_model(Model.rnn("leaky", weights=[[0.5, -2.0, 0.1], [2.0, 0.5, 0.3], [0.2, -0.4, 0.1]],
                                    bias=[0.1, -0.2, 0.05], parameter="alpha", range=[0, 2]))
    assert not s.flt.pointwise
    s.flt.pointwise = True
    X = RNG.uniform(-1, 1, (12, 3))
    F = s.flt.f_points(X, 1.0)
    assert not s.flt.pointwise
    assert np.array_equal(F, [s.flt.f(x, 1.0) for x in X])


@pytest.mark.parametrize("rhs", [
    ["a*x - y - x*(x**2 + y**2)", "x + a*y - y*(x**2 + y**2)"],      # one equilibrium, Newton from far
    ["x**3 - x - a", "-y + x**2"],                                       # three, and singular Df on x^2 = 1/3
    ["x**2 + 1", "y"],                                                   # none: every start fails
    ["tanh(10*x) - a*x", "-y"],                                          # flat tanh: zero rows, damped steps
])
def test_newton_side_by_side_equals_one_by_one(rhs):
    s = ode(["x", "y"], rhs)
    X = np.vstack([RNG.uniform(-10, 10, (60, 2)), [[1 / np.sqrt(3), 0.0], [0.0, 0.0], [1e9, 0.0]]])
    together = newton_equilibria(s.flt, X, 0.25)
    alone = [newton_equilibrium(s.flt, x, 0.25) for x in X]
    assert [y is None for y in together] == [y is None for y in alone]
    for y, z in zip(together, alone):
        if y is not None:
            assert np.allclose(y, z, rtol=1e-9, atol=1e-12)
            assert np.linalg.norm(s.flt.f(y, 0.25)) <= 1e-10


def test_fixed_points_never_side_by_side():
    """G = F - x forwards other attributes to F: its Newton must not use F's f_points."""
    s = ode(["x"], ["a*x*(1 - x)"], rng=("0.5", "1.5"), map=True)
    G = FixedPoints(s.flt)
    assert s.flt.pointwise and not G.pointwise
    X = RNG.uniform(0.05, 0.95, (20, 1))
    limits = newton_equilibria(G, X, 1.2)
    assert all(y is not None and min(abs(y[0]), abs(y[0] - (1 - 1 / 1.2))) < 1e-9 for y in limits)


def test_odd_precheck_agrees_with_expansion():
    assert is_odd(Model.ode(["x", "y"], ["a*x - y**3", "sin(x) - a*y"], "a", range=[0, 1]))
    assert not is_odd(Model.ode(["x", "y"], ["a*x - y**3", "sin(x) - a*y + 1/10**30"], "a", range=[0, 1]))
    assert not is_odd(Model.ode(["x", "y"], ["a*x - y**2", "x"], "a", range=[0, 1]))
    assert not is_odd(Model.ode(["x"], ["a*x + a - 1/2"], "a", range=[0, 1]))   # f(-x) + f(x) = 2a - 1
    # singular at the check's point (a = 3/7, x = 4/9): decided by the expansion
    assert is_odd(Model.ode(["x"], ["x/(x**2 - 16/81)"], "a", range=[0, 1]))
    assert not is_odd(Model.ode(["x"], ["1/(x - 4/9) + a"], "a", range=[0, 1]))


@pytest.mark.parametrize("text", ["1.5*x + 2.25e-3", "x*0.1 + 3", "(1/8)*x**(-2)*(96*x**2 + 0.125)",
                                  "\u00b5 + 0.25*x", "x + 1_000.5", "(x +\n 0.5)"])
def test_number_literals_sliced_as_the_source(text):
    tr = _Translator(text, {}, "t")
    for node in ast.walk(ast.parse(text, mode="eval")):
        if isinstance(node, ast.Constant):
            assert tr.source(node) == ast.get_source_segment(text, node)


def test_structure_key_cached_srepr_is_the_srepr():
    m = Model.ode(["x", "y"], ["a*x - y", "x + 0.5*a*y"], "a", range=[0, 1])
    key = m.structure_key()
    assert key == m.structure_key() and all(sp.srepr(e) in key for e in m.rhs)
    m2 = Model.ode(["x", "y"], ["a*x - y", "x + 0.25*a*y"], "a", range=[0, 1])
    assert m2.structure_key() != key


EXAMPLES = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples"


def _net_systems():
    yield System.from_model(Model.from_toml(EXAMPLES / "paper_multilayer.toml"))      # three layers, W_k + a I
    yield System.from_model(Model.from_toml(EXAMPLES / "gru2.toml"))                  # formula: gates, products
    yield System.from_model(Model.from_toml(EXAMPLES / "mlp_ode.toml"))               # hidden layer 4 wide, n = 2
    yield System.from_model(Model.rnn("leaky", weights=[[0.5, -2.0, 0.1], [2.0, 0.5, 0.3], [0.2, -0.4, 0.1]],
                                      bias=[0.1, -0.2, 0.05], parameter="alpha", range=[0, 2]))


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_stacked_points_agree_with_f_and_Df(k):
    """A network model's matrix code evaluated on a stack of points: the same f and Df, point by point."""
    s = list(_net_systems())[k]
    sp_ = points_evaluator(s.flt, s.n)
    assert isinstance(sp_, StackedPoints)
    X = RNG.uniform(-3, 3, (23, s.n))
    assert sp_.check(X, 0.7)
    F, D = sp_.f_points(X, 0.7), sp_.Df_points(X, 0.7)
    assert F.shape == (23, s.n) and D.shape == (23, s.n, s.n)
    for x, fx, dx in zip(X, F, D):
        assert np.allclose(fx, s.flt.f(x, 0.7), rtol=1e-13, atol=1e-15)
        assert np.allclose(dx, s.flt.Df(x, 0.7), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_stacked_newton_equals_one_by_one(k):
    s = list(_net_systems())[k]
    X = np.vstack([RNG.uniform(-2, 2, (60, s.n)), np.zeros((1, s.n)), np.full((1, s.n), 1e9)])
    for a in (0.3, 1.1):
        together = newton_equilibria(s.flt, X, a)
        alone = [newton_equilibrium(s.flt, x, a) for x in X]
        assert [y is None for y in together] == [y is None for y in alone]
        assert any(y is not None for y in together)
        for y, z in zip(together, alone):
            if y is not None:
                assert np.allclose(y, z, rtol=1e-9, atol=1e-12)
                assert np.linalg.norm(s.flt.f(y, a)) <= 1e-10 * (1 + np.linalg.norm(y))


class _Reducing:
    """A float evaluator (FloatBase's API) whose code sums over its argument: right on one column
    ``x`` (n, 1), wrong on a stack (k, n, 1), where the sum runs over every point."""

    def __init__(self, n: int):
        self.n, self.eye = n, np.eye(n)

    def _f(self, x, a):
        return a * x - np.sum(x) * 0.1 - x ** 3

    def _Df_apply(self, x, a, u):
        return (a - 3 * x ** 2) * np.asarray(u) - 0.1 * np.ones((self.n, 1)) @ np.ones((1, self.n)) @ np.asarray(u)

    def f(self, x, a):
        return self._f(np.asarray(x).reshape(self.n, 1), a)[:, 0]

    def Df(self, x, a):
        return self._Df_apply(np.asarray(x).reshape(self.n, 1), a, self.eye)


def test_stacked_check_refuses_code_that_does_not_broadcast():
    """A reduction over the variables mixes the points of a stack: the first-use check refuses it, Newton
    runs one by one and finds what it finds one by one."""
    flt = _Reducing(3)
    X = RNG.uniform(-2, 2, (30, 3))
    assert not StackedPoints(flt).check(X, 0.5)
    together = newton_equilibria(flt, X, 0.5)
    assert points_evaluator(flt, 3) is None                   # the verdict is kept
    alone = [newton_equilibrium(flt, x, 0.5) for x in X]
    assert all((y is None and z is None) or np.array_equal(y, z) for y, z in zip(together, alone))
    assert sum(y is not None for y in together) > 0


def test_no_stack_for_fixed_points_or_large_n():
    s = System.from_model(Model.from_toml(EXAMPLES / "elman3.toml"))     # a map: G = F - x
    assert points_evaluator(FixedPoints(s.flt), s.n) is None
    assert points_evaluator(s.flt, STACK_MAX_N + 1) is None


def test_stacked_search_equals_one_by_one_bitwise(monkeypatch):
    """The multilayer demo's search with its Newton starts stacked gives bitwise the candidates and branch
    points of the one-by-one search (a new equilibrium is taken from newton_equilibrium again), so the tube
    downstream sees the same branch."""
    import symhopf.search.equilibria as eq
    from symhopf.search import find_candidates
    s = list(_net_systems())[0]
    fast = find_candidates(s)
    monkeypatch.setattr(eq, "STACK_MAX_N", 0)
    assert eq.points_evaluator(s.flt, s.n) is None
    slow = find_candidates(s)
    assert len(fast.candidates) == len(slow.candidates) == 3
    for c, d in zip(fast.candidates, slow.candidates):
        assert c.a == d.a and c.omega == d.omega and np.array_equal(c.x, d.x)
    assert [b.n_points for b in fast.branches] == [b.n_points for b in slow.branches]
    for b, e in zip(fast.branches, slow.branches):
        assert np.array_equal(b.x, e.x) and np.array_equal(b.a, e.a)

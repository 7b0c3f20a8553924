"""Systems used by the search tests, built with the real Model/System (helpers, one sanity test)."""
import numpy as np

from symhopf.model import Model
from symhopf.system import System

W3 = np.array([[0.5, -2.0, 0.5], [2.0, 0.5, 0.3], [-0.4, 0.2, 1.8]])
B3 = np.array([0.3, -0.2, 0.1])
W4 = np.array([[0.1, 1.4, -0.6, -1.6], [-1.3, 0.2, 0.5, 0.4], [0.7, -0.4, -0.2, 1.2], [1.5, -0.3, -1.1, 0.05]])


def lorenz(rho_range=(20, 30)) -> System:
    """Lorenz, sigma = 10, beta = 8/3, parameter rho."""
    return System.from_model(Model.ode(
        variables=["x", "y", "z"], rhs=["sigma*(y - x)", "x*(rho - z) - y", "x*y - beta*z"],
        parameter="rho", constants={"sigma": 10, "beta": "8/3"}, range=list(rho_range)))


def fold_rotation() -> System:
    """u' = a - u^2 + 3/10 v, v' = (u - 1/2) v - w, w' = v + (u - 1/2) w, a in [-1/2, 1].

    Equilibria (+-sqrt(a), 0, 0): one branch with a fold at a = 0; eigenvalues -2u and
    (u - 1/2) +- i, so one Hopf point, at a = 1/4 on the upper part u = 1/2.
    """
    return System.from_model(Model.ode(
        variables=["u", "v", "w"], rhs=["a - u**2 + 3/10*v", "(u - 1/2)*v - w", "v + (u - 1/2)*w"],
        parameter="a", range=["-1/2", 1]))


def net(architecture: str, W: np.ndarray, a_range, b: np.ndarray | None = None) -> System:
    """x' = tanh((W + a I) x + b) ("asymmetric") or -x + (W + a I) tanh(x) + b ("leaky")."""
    return System.from_model(Model.rnn(architecture, weights=W, bias=b, range=list(a_range)))


def random_asymmetric(n: int, seed: int = 80) -> np.ndarray:
    """W = R1 - R1^T + 0.1 R2, R1, R2 ~ N(0, 1) from numpy default_rng(seed)."""
    rng = np.random.default_rng(seed)
    R1, R2 = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    return R1 - R1.T + 0.1 * R2


def test_builders_give_the_textbook_equilibria():
    rho = 470 / 19
    x = np.sqrt(8 / 3 * (rho - 1))
    assert np.linalg.norm(lorenz().flt.f(np.array([x, x, rho - 1]), rho)) < 1e-12
    assert np.linalg.norm(fold_rotation().flt.f(np.array([0.5, 0, 0]), 0.25)) == 0

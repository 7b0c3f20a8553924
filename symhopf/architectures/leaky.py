"""Leaky (Hopfield-type) RNN: x' = -x + (W + a E) s(x) + b."""
import numpy as np

from .base import RNNArchitecture


def equilibrium_bound(data: dict[str, np.ndarray], amax: float, sbound: float) -> np.ndarray:
    """x* = (W + a E) s(x*) + b gives |x*_i| <= sum_j (|W_ij| + amax |E_ij|) sup|s| + |b_i|."""
    return (np.abs(data["W"]) + amax * np.abs(data["E"])).sum(axis=1) * sbound + np.abs(data["b"])


ARCHITECTURE = RNNArchitecture(
    name="leaky",
    summary="x' = -x + (W + a E) act(x) + b",
    formula_template="-x + M*s(x) + b",
    equilibrium_bound=equilibrium_bound,
)

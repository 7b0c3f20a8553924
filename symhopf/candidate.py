"""A Hopf candidate: what the float search hands to the prover (nothing in it is trusted)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Candidate:
    """Approximate Hopf point: f(x, a) ~ 0, Df(x, a) q ~ i*omega*q, omega > 0.

    ``branch`` numbers the equilibrium branch the candidate was found on (-1: unknown).
    """

    x: np.ndarray
    a: float
    omega: float
    q: np.ndarray
    branch: int = -1

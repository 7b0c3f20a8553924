"""Leaky (Hopfield-type) RNN: x' = -x + (W + a E) s(x) + b."""
from .base import RNNArchitecture

ARCHITECTURE = RNNArchitecture(
    name="leaky",
    summary="x' = -x + (W + a E) act(x) + b",
    formula_template="-x + {M} @ s({inner}) + {b}",
)

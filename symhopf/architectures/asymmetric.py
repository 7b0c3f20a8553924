"""The paper's AsymmetricRNN: x' = s((W + a E) x + b) (E = I by default)."""
from .base import RNNArchitecture

ARCHITECTURE = RNNArchitecture(
    name="asymmetric",
    summary="x' = act((W + a E) x + b)",
    formula_template="s({M} @ {inner} + {b})",
)

"""Multilayer net: x' = s(W_L(a) ... s(W_1(a) x + b_1) ... + b_L), W_k(a) = W_k + a E_k."""
from .base import RNNArchitecture

ARCHITECTURE = RNNArchitecture(
    name="multilayer",
    summary="x' = act(W_L(a) ... act(W_1(a) x + b_1) ... + b_L)",
    formula_template="s({M} @ {inner} + {b})",
    layered=True,
)

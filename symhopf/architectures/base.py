"""An RNN architecture is data: a vector formula that the derivation reads.

The formula is written with SymPy matrix syntax in the state ``x`` and, per
layer k (suffix "" for single-layer nets), the parameter-dependent weight
``Mk = Wk + a Ek`` and the bias ``bk``; ``s(...)`` applies the activation
entrywise. Nothing else in symhopf looks at an architecture's name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

#: (float weights by name, max |a| over the range, sup |s|) -> componentwise bound on |x*|
EquilibriumBound = Callable[[dict[str, np.ndarray], float, float], np.ndarray]


@dataclass(frozen=True)
class RNNArchitecture:
    """A family of vector fields ``x' = F(x; W_k + a E_k, b_k)``."""

    name: str
    summary: str
    formula_template: str
    layered: bool = False
    equilibrium_bound: EquilibriumBound | None = None

    def formula(self, layers: int = 1) -> str:
        """The vector formula for ``layers`` layers (``layered`` families only take > 1)."""
        if not self.layered:
            return self.formula_template
        inner = "x"
        for k in range(1, layers + 1):
            inner = self.formula_template.format(M=f"M{k}", b=f"b{k}", inner=inner)
        return inner

    def suffixes(self, layers: int = 1) -> list[str]:
        return [str(k) for k in range(1, layers + 1)] if self.layered else [""]

"""A preset architecture is a vector formula with named data.

The formula is written in the formula language of :mod:`symhopf.formula` (the same one a
model file's ``[rnn] formula`` uses) with the placeholders ``{a}`` (the parameter) and, per
layer k (suffix "" for single-layer nets), ``{Mk}`` for ``(Wk + a*Ek)`` and ``{bk}`` for the
bias; ``s(...)`` is the activation. Nothing in symhopf looks at a preset's name after the
model is built: the derivation, the generated code and the proofs see the formula only.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RNNArchitecture:
    """A family of vector fields ``x' = F(x; W_k + a E_k, b_k)``."""

    name: str
    summary: str
    formula_template: str
    layered: bool = False

    def formula(self, layers: int, parameter: str, identity: dict[str, bool]) -> str:
        """The formula for ``layers`` layers with parameter ``parameter``; ``identity[suffix]``:
        the direction E of that layer is I (then the formula says I, not E)."""
        def weight(s: str) -> str:
            return f"(W{s} + {parameter}*{'I' if identity[s] else 'E' + s})"

        if not self.layered:
            return self.formula_template.format(M=weight(""), b="b", inner="x")
        inner = "x"
        for s in self.suffixes(layers):
            inner = self.formula_template.format(M=weight(s), b="b" + s, inner=inner)
        return inner

    def suffixes(self, layers: int = 1) -> list[str]:
        return [str(k) for k in range(1, layers + 1)] if self.layered else [""]

"""System: a model together with its loaded generated prover module.

This is all the search and proof stages see (docs/internals.md): float64
evaluators for the numerical work and ball evaluators, per working precision,
for the rigorous work. Nothing here depends on the architecture.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

from flint import ctx

from .codegen import load_module
from .model import Model


class System:
    """``flt``: float64 evaluator; ``ball(prec)``: ball evaluator at ``prec`` bits."""

    def __init__(self, model: Model, module: ModuleType):
        self.model = model
        self.module = module
        self.n = model.n
        self.flt = module.FloatSystem(model.float_data())
        self._balls: dict[int, object] = {}

    @classmethod
    def from_model(cls, model: Model, module: ModuleType | None = None) -> "System":
        return cls(model, module or load_module(model))

    def ball(self, prec: int):
        """The ball evaluator with data converted at ``prec`` bits (call it inside ``ctx.workprec(prec)``)."""
        if prec not in self._balls:
            with ctx.workprec(prec):
                self._balls[prec] = self.module.BallSystem(self.model.ball_data())
        return self._balls[prec]


def load(model: Model | str | Path) -> System:
    """The System of a Model or of a model file."""
    if not isinstance(model, Model):
        model = Model.from_toml(model)
    return System.from_model(model)

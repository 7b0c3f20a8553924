"""System: a model together with its loaded generated prover module.

This is all the search and proof stages see (docs/internals.md): float64
evaluators for the numerical work and ball evaluators, per working precision,
for the rigorous work. Nothing here depends on the architecture.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

import numpy as np
from flint import arb_mat, ctx

from .codegen import load_module
from .model import Model
from .runtime.npball import exact_floats, register


class System:
    """``flt``: float64 evaluator; ``ball(prec)``: ball evaluator at ``prec`` bits."""

    def __init__(self, model: Model, module: ModuleType):
        self.model = model
        self.module = module
        self.n = model.n
        self.flt = module.FloatSystem(model.float_data())
        # the ODE template's float code is scalar formulas of the unpacked variables: it takes many points
        # at once (FloatBase.pointwise; checked against f on first use)
        self.flt.pointwise = model.kind == "ode"
        self._balls: dict[int, object] = {}

    @classmethod
    def from_model(cls, model: Model, module: ModuleType | None = None) -> "System":
        return cls(model, module or load_module(model))

    def ball(self, prec: int):
        """The ball evaluator with data converted at ``prec`` bits (call it inside ``ctx.workprec(prec)``)."""
        if prec not in self._balls:
            data = _BallData(self.model, prec)
            self._balls[prec] = self.module.BallSystem(data)
            _register_floats(self.model, data.converted)
        return self._balls[prec]


class _BallData(Mapping):
    """``model.ball_data()`` at ``prec`` bits, each array converted when the evaluator first reads it: an
    array the generated code does not keep (e.g. the identity ``E`` of ``a E``, applied as ``Eye``) is
    never converted (an n x n conversion costs ~0.2 s at n = 1000)."""

    def __init__(self, model: Model, prec: int):
        self.model, self.prec = model, prec
        self.keys_ = list({**model.data, **model.derived})
        self.converted: dict = {}

    def __getitem__(self, key: str):
        if key not in self.converted:
            with ctx.workprec(self.prec):
                self.converted[key] = self.model.ball_array(key)
        return self.converted[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_)

    def __len__(self) -> int:
        return len(self.keys_)


def _register_floats(model: Model, data: dict) -> None:
    """Each ball matrix converted from an array of binary floats holds exactly those floats (radius 0;
    ``ExactArray.to_arb_mat``): the numpy ball products use the floats themselves, with the radii that
    ``as_nball`` would give (``npball.register``, ``npball.exact_floats``: the same results whether or
    not the registration is still cached), instead of converting the n^2 balls back one by one."""
    arrays = {**model.data, **model.derived}   # the keys of ``ball_data`` (derived: precomputed matrices)
    for key, A in data.items():
        arr = arrays[key]
        if isinstance(A, arb_mat) and arr.exact is None and arr.values.size == A.nrows() * A.ncols():
            register(A, exact_floats(np.asarray(arr.values, dtype=float).reshape(A.nrows(), A.ncols())))


def load(model: Model | str | Path) -> System:
    """The System of a Model or of a model file."""
    if not isinstance(model, Model):
        model = Model.from_toml(model)
    return System.from_model(model)

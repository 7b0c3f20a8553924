"""Regenerate examples/paper_multilayer.toml (seeded, so the file is reproducible).

The paper's 3-layer experiment (Kuehn & Queirolo, arXiv 2202.05073) uses MATLAB randn
weights that cannot be reproduced; here each layer k = 1, 2, 3 of the [6, 6, 6] tanh net
gets W_k = 0.6 (R1 - R1^T + 0.1 R2) and b_k = 0.2 N(0, 1) from numpy default_rng(SEED),
rounded to 3 decimals and written inline, so the model file is exactly what is proved.
The parameter enters every layer as W_k + alpha I (the default parameter_direction).

    python examples/make_examples.py          # rewrites examples/paper_multilayer.toml
    python examples/make_examples.py --check  # also lists the Hopf candidates (floats)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SEED = 11
WIDTH = 6
LAYERS = 3
SCALE = 0.6
PERTURBATION = 0.1
BIAS_SCALE = 0.2
DECIMALS = 3
RANGE = (-1, 1)
HERE = Path(__file__).resolve().parent


def multilayer_layers(seed: int = SEED) -> list[dict[str, list[str]]]:
    """Per layer: weights and bias as decimal strings (exact in the model file)."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(LAYERS):
        r1 = rng.standard_normal((WIDTH, WIDTH))
        r2 = rng.standard_normal((WIDTH, WIDTH))
        W = np.round(SCALE * (r1 - r1.T + PERTURBATION * r2), DECIMALS)
        b = np.round(BIAS_SCALE * rng.standard_normal(WIDTH), DECIMALS)
        layers.append({"weights": [[_dec(v) for v in row] for row in W], "bias": [_dec(v) for v in b]})
    return layers


def _dec(v: float) -> str:
    s = f"{v:.{DECIMALS}f}"
    return "0.0" if s in ("-0.000", "0.000") else s


def multilayer_toml(seed: int = SEED) -> str:
    lines = [
        "# Paper (Kuehn & Queirolo, arXiv 2202.05073): the 3-layer [6, 6, 6] tanh net, parameter on every layer (W_k + alpha I).",
        "# MATLAB's randn streams cannot be reproduced: weights come from numpy default_rng("
        f"{seed}) via examples/make_examples.py (do not edit by hand).",
        'name = "paper-multilayer"',
        "",
        "[rnn]",
        'architecture = "multilayer"',
        'activation = "tanh"',
        'parameter = "alpha"',
    ]
    for k, layer in enumerate(multilayer_layers(seed), 1):
        rows = ",\n  ".join("[" + ", ".join(f"{v:>6}" for v in row) + "]" for row in layer["weights"])
        lines += ["", f"[[rnn.layers]]   # layer {k}", f"weights = [\n  {rows},\n]",
                  "bias = [" + ", ".join(layer["bias"]) + "]"]
    lines += ["", "[search]", f"range = [{RANGE[0]}, {RANGE[1]}]", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = HERE / "paper_multilayer.toml"
    path.write_text(multilayer_toml())
    print(path)
    if "--check" in argv:
        from symhopf.model import Model
        from symhopf.search import find_candidates
        from symhopf.system import System

        res = find_candidates(System.from_model(Model.from_toml(path)))
        for c in res.candidates:
            print(f"  candidate alpha = {c.a:.6f}  omega = {c.omega:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Neimark-Sacker bench (issue 20): Elman nets x' = tanh(a W x), W = round(N(0, 1/n), 3) (seed 1), range [0.5, 1.5].

``.venv/bin/python bench/maps.py [n ...]`` prints: NS points found on all branches, proved, those at x = 0,
prove wall time, and the float64 floor (numpy eig of W: the zero branch's NS parameters 1/|lambda|).
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from symhopf.api import prove
from symhopf.model import Model


def model(n: int, directory: Path) -> tuple[Model, np.ndarray]:
    W = np.round(np.random.default_rng(1).normal(size=(n, n)) / np.sqrt(n), 3)
    text = "[" + ", ".join("[" + ", ".join(f"{v:.3f}" for v in r) + "]" for r in W) + "]"
    path = directory / f"elman{n}.toml"
    path.write_text(f'name = "elman{n}"\n[rnn]\nformula = "tanh(a * (W @ x))"\nparameter = "a"\ntime = "discrete"\n'
                    f'[rnn.data]\nW = {text}\n[search]\nrange = [0.5, 1.5]\nbox = [-1, 1]\n')
    return Model.from_toml(path), W


def main(sizes: list[int]) -> None:
    print("| n | found | proved | at x = 0 (float floor count) | prove (s) | float (s) | ratio |")
    print("|---|-------|--------|------------------------------|-----------|-----------|-------|")
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            m, W = model(n, Path(d))
            t0 = time.perf_counter()
            cert = prove(m)
            t1 = time.perf_counter()
            lam = np.linalg.eigvals(W)
            floor = [1 / abs(v) for v in lam if v.imag > 1e-12 and 0.5 < 1 / abs(v) < 1.5]
            t2 = time.perf_counter()
            proved = [p for p in cert.hopf_points if p.status == "proved"]
            zero = [p for p in proved if all(float(e[0]) <= 0 <= float(e[1]) for e in p.x)]
            print(f"| {n} | {len(cert.hopf_points)} | {len(proved)} | {len(zero)} ({len(floor)}) | {t1 - t0:.2f} | "
                  f"{t2 - t1:.4f} | {(t1 - t0) / (t2 - t1):.0f}x |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 50])

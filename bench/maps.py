"""Neimark-Sacker bench (issue 20): Elman nets x' = tanh(a W x), W = round(N(0, 1/n), 3) (seed 1), range [0.5, 1.5].

``.venv/bin/python bench/maps.py [n ...]``: ``symhopf.api.prove`` (search, every branch found, certificate
records): NS points found on all branches, proved, those at x = 0, prove wall time, and the float64 floor
(numpy eig of W: the zero branch's NS parameters 1/|lambda|).

``.venv/bin/python bench/maps.py --zero-branch [n ...]``: the family proof of the zero branch alone
(symhopf/proof/ns_family.py: structure checks, one verified diagonalisation, every NS point, completeness,
certificate records), one BLAS thread, against the float floor of the same job measured in the same run
(numpy eigvals of W, the crossings 1/|lambda| in the range, theta = arg lambda, float d at x = 0 from numpy
eigenvectors: d = Re(conj(mu) l C(v, v, conj v) / (l v |v|^2)) / 2, C(u, v, w) = -2 (aWu)(aWv)(aWw)).
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from symhopf.api import prove
from symhopf.certificate import PointRecord
from symhopf.model import Model
from symhopf.parallel import blas_threads
from symhopf.proof import ns_family
from symhopf.system import System


def model(n: int, directory: Path) -> tuple[Model, np.ndarray]:
    W = np.round(np.random.default_rng(1).normal(size=(n, n)) / np.sqrt(n), 3)
    text = "[" + ", ".join("[" + ", ".join(f"{v:.3f}" for v in r) + "]" for r in W) + "]"
    path = directory / f"elman{n}.toml"
    path.write_text(f'name = "elman{n}"\n[rnn]\nformula = "tanh(a * (W @ x))"\nparameter = "a"\ntime = "discrete"\n'
                    f'[rnn.data]\nW = {text}\n[search]\nrange = [0.5, 1.5]\nbox = [-1, 1]\n')
    return Model.from_toml(path), W


def float_floor(W: np.ndarray, lo: float, hi: float) -> list[tuple[float, float, float]]:
    """(a, theta, d) of every crossing of the zero branch in [lo, hi], in float64 (module docstring)."""
    lam, V = np.linalg.eig(W)
    L = np.linalg.inv(V)
    k = np.nonzero((lam.imag > 0) & (1 / np.abs(lam) >= lo) & (1 / np.abs(lam) <= hi))[0]
    a = 1 / np.abs(lam[k])
    v, l, mu = V[:, k], L[k, :].T, a * lam[k]
    Wv = (W @ v) * a
    C = -2 * Wv * Wv * np.conj(Wv)
    d = np.real(np.conj(mu) * np.sum(l * C, axis=0) / (np.sum(l * v, axis=0) * np.sum(np.abs(v) ** 2, axis=0))) / 2
    return list(zip(a, np.angle(mu), d))


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


def zero_branch(sizes: list[int]) -> None:
    print("| n | NS points | proved | complete | family (s) | of it: structure + diagonalisation (s) | "
          "float floor (s) | float count | ratio |")
    print("|---|-----------|--------|----------|------------|------|-----------------|-------------|-------|")
    with tempfile.TemporaryDirectory() as d, blas_threads(1):
        for n in sizes:
            m, W = model(n, Path(d))
            system = System.from_model(m)
            system.ball(53), system.ball(106)           # the weights as balls: model loading, not the proof
            t0 = time.perf_counter()
            br = ns_family.structure(system, np.zeros(n), m.range)
            t1 = time.perf_counter()
            out = ns_family.prove_branch(system, br)
            records = [PointRecord.from_ns_proof(p) for p in out.points]
            t2 = time.perf_counter()
            floor = float_floor(W, 0.5, 1.5)
            t3 = time.perf_counter()
            print(f"| {n} | {len(records)} | {sum(r.status == 'proved' for r in records)} | "
                  f"{'yes' if out.completeness['proved'] else 'no'} | {t2 - t0:.2f} | {t1 - t0:.2f} | {t3 - t2:.4f} | "
                  f"{len(floor)} | {(t2 - t0) / (t3 - t2):.0f}x |")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--zero-branch"]:
        zero_branch([int(a) for a in args[1:]] or [50, 400])
    else:
        main([int(a) for a in args] or [10, 50])

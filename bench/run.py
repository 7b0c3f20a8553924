"""symhopf benchmark: one table (workload, Hopf points found/proved, wall time, peak memory, ratio).

Each workload runs in its own child process (``python bench/run.py --one NAME``) so that its
peak memory is its own: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child (peak
resident set size, includes the Python interpreter and libraries). ``prove`` is the wall time
of ``symhopf.api.prove(model)`` (search, all proofs, completeness); ``process`` adds start-up
and imports (what ``symhopf prove`` costs). ``float`` is a float64 numpy baseline run in the
same process on the same net: eig of the Jacobian + l1 of every Hopf point by the float
formula (hopf-math.md, solves through the float eigen-decomposition); ratio = prove / float.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402

WORKLOADS = ["asym50", "asym100", "asym200", "asym400", "asym1000", "leaky10", "leaky50", "derive200"]


def _asym(n: int):
    from symhopf.model import Model, random_weights
    W = random_weights(n, 80, "0.1")
    ev = np.linalg.eigvals(W)
    lo, hi = -ev.real.max() - 0.01, -ev.real.min() + 0.01
    return Model.rnn("asymmetric", weights=W, parameter="alpha", range=[round(lo, 3), round(hi, 3)], name=f"asym{n}")


def _leaky(n: int):
    """Leaky tanh net with bias; the range is centred on the first complex crossing of the branch
    continued (float Newton) from x = 0, so that Hopf points exist in it."""
    from symhopf.model import Model
    from symhopf.search.equilibria import newton_equilibrium
    from symhopf.system import System
    rng = np.random.default_rng(80)
    W = 2.0 * rng.standard_normal((n, n)) / np.sqrt(n)
    b = 0.1 * rng.standard_normal(n)
    a0 = 1 - np.linalg.eigvals(W).real.max()
    probe = System.from_model(Model.rnn("leaky", weights=W, bias=b, parameter="alpha", range=[a0 - 1, a0 + 1]))
    x, prev, centre = np.zeros(n), None, a0
    for a in np.linspace(a0 - 1, a0 + 1, 201):
        y = newton_equilibrium(probe.flt, x, a)
        if y is None:
            break
        x = y
        ev = np.linalg.eigvals(probe.flt.Df(x, a))
        k = int(np.argmax(np.where(ev.imag > 0, ev.real, -np.inf)))
        if prev is not None and prev < 0 <= ev[k].real:
            centre = a
            break
        prev = ev[k].real
    return Model.rnn("leaky", weights=W, bias=b, parameter="alpha",
                     range=[round(centre - 0.1, 3), round(centre + 0.1, 3)], name=f"leaky{n}")


def float_baseline(system, search) -> float:
    """eig + l1 of every candidate by the float formula (full formula, float solves)."""
    t = time.perf_counter()
    flt = system.flt
    for br in search.branches:
        mine = [c for c in search.candidates if c.branch == br.id]
        if br.constant:
            x0, a0 = br.x[0], float(br.a[0])
            lam, V = np.linalg.eig(flt.Df(x0, a0))
            Y = np.linalg.inv(V)
            for k in np.nonzero(lam.imag > 0)[0]:
                a = a0 - lam[k].real / br.shift
                if not br.a.min() <= a <= br.a.max():
                    continue
                s = (a - a0) * br.shift
                w = lam[k].imag
                q = V[:, k] / np.linalg.norm(V[:, k])
                u = Y[k] / (Y[k] @ q)
                sol = lambda z, y: V @ ((Y @ y) / (z - s - lam))
                b11, b20 = flt.B(x0, a, q, np.stack([q.conj(), q], 1)).T
                h11 = -sol(0, b11)
                h20 = sol(2j * w, b20)
                val = u @ flt.C(x0, a, q, q, q.conj()) - 2 * u @ flt.B(x0, a, q, h11) + u @ flt.B(x0, a, q.conj(), h20)
                _ = val.real / (2 * w)
        else:
            for c in mine:
                A = flt.Df(c.x, c.a)
                lam, V = np.linalg.eig(A)
                k = int(np.argmin(np.abs(lam - 1j * c.omega)))
                q = V[:, k] / np.linalg.norm(V[:, k])
                u = np.linalg.inv(V)[k]
                u = u / (u @ q)
                w = lam[k].imag
                h11 = -np.linalg.solve(A, flt.B(c.x, c.a, q, q.conj()))
                h20 = np.linalg.solve(2j * w * np.eye(len(q)) - A, flt.B(c.x, c.a, q, q))
                val = u @ flt.C(c.x, c.a, q, q, q.conj()) - 2 * u @ flt.B(c.x, c.a, q, h11) + u @ flt.B(c.x, c.a, q.conj(), h20)
                _ = val.real / (2 * w)
    return time.perf_counter() - t


def one(name: str) -> dict:
    from symhopf.api import prove
    from symhopf.search import find_candidates
    from symhopf.system import System
    if name.startswith("derive"):
        n = int(name[6:])
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["SYMHOPF_CACHE"] = tmp
            t = time.perf_counter()
            System.from_model(_asym(n))
            dt = time.perf_counter() - t
        return {"found": "-", "proved": "-", "prove": dt, "float": None}
    model = _asym(int(name[4:])) if name.startswith("asym") else _leaky(int(name[5:]))
    t = time.perf_counter()
    cert = prove(model)
    dt = time.perf_counter() - t
    system = System.from_model(model)
    search = find_candidates(system, a_range=tuple(float(v) for v in model.range))
    fl = float_baseline(system, search)
    pts = cert.hopf_points
    complete = all(b["completeness"]["proved"] for b in cert.branches)
    return {"found": len(pts), "proved": sum(p.status == "proved" for p in pts), "prove": dt, "float": fl,
            "complete": complete,
            "reasons": sorted({p.reason for p in pts if p.status != "proved"})[:3]}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        res = one(sys.argv[2])
        res["process"] = time.perf_counter() - T_START
        res["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(res))
        return
    names = sys.argv[1:] or WORKLOADS
    rows = []
    head = f"| {'workload':<10} | found | proved | complete | prove (s) | process (s) | peak RSS (MB) | float (s) | ratio |"
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for name in names:
        out = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True)
        line = [l for l in out.stdout.splitlines() if l.startswith("RESULT ")]
        if not line:
            print(f"| {name:<10} | failed: {out.stderr.strip().splitlines()[-1:]} |")
            continue
        r = json.loads(line[0][7:])
        fl = r["float"]
        ratio = f"{r['prove'] / fl:.0f}x" if fl else "-"
        comp = {True: "yes", False: "no"}.get(r.get("complete"), "-")
        print(f"| {name:<10} | {r['found']:>5} | {r['proved']:>6} | {comp:>8} | {r['prove']:>9.2f} | "
              f"{r['process']:>11.2f} | {r['maxrss_mb']:>13.0f} | {fl if fl is None else round(fl, 3)!s:>9} | {ratio:>5} |",
              flush=True)
        if r.get("reasons"):
            rows.append(f"  {name}: not proved because: {'; '.join(r['reasons'])}")
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()

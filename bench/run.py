"""symhopf benchmark: one table (workload, Hopf points found/proved, wall time, peak memory, ratio).

Each workload runs in its own child process (``python bench/run.py --one NAME``) so that its
peak memory is its own: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child (peak
resident set size, includes the Python interpreter and libraries) and, as "workers", the largest
peak of the forked worker processes (``RUSAGE_CHILDREN``; they run at the same time as the
parent, so the machine's peak is at most parent + 2 x workers). ``prove`` is the wall time
of ``symhopf.api.prove(model)`` (search, all proofs, completeness); ``process`` adds start-up,
imports and building the model (what ``symhopf prove`` costs, without writing its outputs).
``float`` is a float64 numpy baseline run afterwards in the same process on the same net (one
BLAS thread, as prove): for the asymmetric nets plain numpy from W (eig of W and l1 of every
crossing by the float formula, all points in one product: ``asym_baseline``), for the leaky
nets eig + full float l1 per candidate through the float evaluator (``float_baseline``);
ratio = prove / float. ``cpu`` is the CPU time of ``prove`` (``time.process_time`` of the child, all its
threads, plus its finished worker processes: the number to compare when the shared machine is loaded);
``complete`` is "yes" when every branch found has its list of Hopf points proved complete, else "no k/m"
(k of the m branches proved complete; "-": no branch); ``pieces`` sums the tube pieces of the branches' completeness checks ("-": no tube ran);
``load`` is the 1-minute load average when the row started (for the asymmetric nets a note gives the
float floor's CPU seconds and both ratios to two decimals: on the loaded machine the cpu ratio is the steadier); a note under the table splits ``cpu`` by
stage (search, Hopf proofs, completeness, global) from ``prove``'s progress reports. ``WORKLOADS`` is what ``make bench`` runs;
the ``SLOW`` ones run by name only.
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

#: what ``make bench`` runs (about ten minutes in all on the 2-core machine, leaky200 six of them)
WORKLOADS = ["asym50", "asym100", "asym200", "asym400", "asym1000", "leaky10", "leaky50", "leaky100", "leaky200",
             "derive200", "derivegru200", "gru2", "multilayer", "rgflows", "sir"]
#: run by name only (``python bench/run.py asym4000``): asym2000/4000 do not fit CI (memory)
SLOW = ["asym2000", "asym4000"]
#: workloads read from examples/ (model file)
TOML = {"gru2": "gru2.toml", "multilayer": "paper_multilayer.toml", "rgflows": "rgflows_matcont.toml",
        "sir": "sir_hospital_beds.toml"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRU = "(1 - sigmoid(Wz @ x + bz)) * (tanh(a * (Wh @ x) + bh) - x)"


def _gru(n: int):
    """The GRU-like formula of examples/gru2.toml with n neurons (numpy seed 80, N(0, 1/n) weights)."""
    from symhopf.model import Model
    rng = np.random.default_rng(80)
    data = {"Wz": rng.standard_normal((n, n)) / np.sqrt(n), "bz": rng.standard_normal(n) / 10,
            "Wh": rng.standard_normal((n, n)) / np.sqrt(n), "bh": rng.standard_normal(n) / 10}
    return Model.from_formula(GRU, data, parameter="a", range=[0.1, 3], name=f"gru{n}")


def _asym(n: int):
    from symhopf.model import Model, random_weights
    W = random_weights(n, 80, "0.1")
    ev = np.linalg.eigvals(W)
    lo, hi = -ev.real.max() - 0.01, -ev.real.min() + 0.01
    return Model.rnn("asymmetric", weights=W, parameter="alpha", range=[round(lo, 3), round(hi, 3)], name=f"asym{n}")


def _leaky(n: int):
    """Leaky tanh net with bias (numpy seed 80, W ~ 2 N(0,1)/sqrt(n), b ~ 0.1 N(0,1)); the range is
    [a - 0.1, a + 0.1] around the first Hopf candidate the float search finds in [a0 - 2, a0 + 2]
    (a0 = 1 - max Re eig W, where the origin of the unbiased net loses stability), so that the
    range holds Hopf points (setup, not timed; CPU 21 s at n = 100, 49 s at n = 200 on the loaded 2-core
    machine)."""
    from symhopf.model import Model
    from symhopf.search import find_candidates
    from symhopf.system import System
    rng = np.random.default_rng(80)
    W = 2.0 * rng.standard_normal((n, n)) / np.sqrt(n)
    b = 0.1 * rng.standard_normal(n)
    a0 = 1 - np.linalg.eigvals(W).real.max()
    probe = System.from_model(Model.rnn("leaky", weights=W, bias=b, parameter="alpha", range=[a0 - 2, a0 + 2]))
    cands = find_candidates(probe).candidates
    centre = cands[0].a if cands else a0
    return Model.rnn("leaky", weights=W, bias=b, parameter="alpha",
                     range=[round(centre - 0.1, 3), round(centre + 0.1, 3)], name=f"leaky{n}")


def asym_baseline(W: np.ndarray, a_range) -> tuple[float, int]:
    """Plain numpy floor for x' = tanh((W + a I) x) on its branch x = 0: eig(W), and for every pair
    crossing in the range (a_k = -Re lambda_k, omega_k = Im lambda_k) l1 by the float formula. At
    x = 0, B = 0, so l1 = Re <p, C(q, q, conj q)> / (2 omega) with C = s3(0) (Mq) o (Mq) o (M conj q),
    M = W + a_k I, s3(0) = tanh'''(0) = -2; q, p from the eigenvectors and their inverse
    (<q, q> = <p, q> = 1). All points at once: one matrix product W Q."""
    t = time.perf_counter()
    lam, V = np.linalg.eig(W)
    Y = np.linalg.inv(V)
    a = -lam.real
    k = np.nonzero((lam.imag > 0) & (a >= float(a_range[0])) & (a <= float(a_range[1])))[0]
    Q = V[:, k] / np.linalg.norm(V[:, k], axis=0)
    Ut = Y[k] / np.sum(Y[k] * Q.T, axis=1)[:, None]           # rows u_k = conj(p_k), u_k^T q_k = 1
    MQ = W @ Q + Q * a[k][None, :]
    C = -2.0 * MQ * MQ * MQ.conj()
    l1 = np.sum(Ut * C.T, axis=1).real / (2 * lam.imag[k])
    assert np.all(np.isfinite(l1))
    return time.perf_counter() - t, len(k)


def float_baseline(system, search) -> float:
    """Per candidate (moving branches): eig + l1 by the full float formula (float solves)."""
    t = time.perf_counter()
    flt = system.flt
    for c in search.candidates:
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


def _cpu() -> float:
    """CPU seconds of this process (all its threads, BLAS included) and of its finished children."""
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


class StageClock:
    """``prove``'s progress callback: CPU seconds (:func:`_cpu`) from the first report of each stage
    (search, Hopf proofs, completeness of each branch, global: the check that no branch was missed)
    to the next."""

    NAMES = {"branches": "search", "detection": "search", "proofs": "Hopf proofs", "completeness": "completeness"}

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self._stage, self._t = None, _cpu()

    def __call__(self, stage: str, fraction: float) -> None:
        name = self.NAMES.get(stage.split(" ")[0], stage.split(" ")[0])
        if name != self._stage:
            self.stop()
            self._stage = name

    def stop(self) -> None:
        now = _cpu()
        if self._stage is not None:
            self.cpu[self._stage] = self.cpu.get(self._stage, 0.0) + now - self._t
        self._t = now


def one(name: str) -> dict:
    from symhopf.api import prove
    from symhopf.parallel import blas_threads
    from symhopf.system import System
    if name.startswith("derive"):
        gru = name.startswith("derivegru")
        n = int(name[9:] if gru else name[6:])
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["SYMHOPF_CACHE"] = tmp
            t = time.perf_counter()
            System.from_model(_gru(n) if gru else _asym(n))      # model, derive, generate, load
            dt = time.perf_counter() - t
        return {"found": "-", "proved": "-", "prove": dt, "float": None, "process": time.perf_counter() - T_START}
    if name in TOML:
        from symhopf.model import Model
        model = Model.from_toml(os.path.join(ROOT, "examples", TOML[name]))
    else:
        model = _asym(int(name[4:])) if name.startswith("asym") else _leaky(int(name[5:]))
    stages = StageClock()
    t, cpu = time.perf_counter(), _cpu()
    cert = prove(model, progress=stages)
    dt, cpu = time.perf_counter() - t, _cpu() - cpu
    stages.stop()
    process = time.perf_counter() - T_START            # imports + model + prove: what `symhopf prove` costs
    fcpu = _cpu()
    with blas_threads(1):                              # as in prove: fastest for these sizes
        if name.startswith("asym"):
            from symhopf.model import random_weights
            fl, _ = asym_baseline(random_weights(int(name[4:]), 80, "0.1"), model.range)
        else:
            from symhopf.search import find_candidates
            system = System.from_model(model)
            search = find_candidates(system, a_range=tuple(float(v) for v in model.range))
            fl = float_baseline(system, search) if search.candidates else None
    fcpu = _cpu() - fcpu
    pts = cert.hopf_points
    # complete: every branch found has its list of Hopf points proved complete (None: no branch found)
    complete = all(b["completeness"]["proved"] for b in cert.branches) if cert.branches else None
    pieces = [b["completeness"].get("pieces") for b in cert.branches]
    return {"found": len(pts), "proved": sum(p.status == "proved" for p in pts), "prove": dt, "float": fl,
            "complete": complete, "process": process, "cpu": cpu, "branches": len(cert.branches),
            "branches_complete": sum(bool(b["completeness"]["proved"]) for b in cert.branches),
            "pieces": sum(k for k in pieces if k) if any(k is not None for k in pieces) else None,
            "stages": stages.cpu, "float_cpu": fcpu if name.startswith("asym") else None,
            "reasons": sorted({p.reason for p in pts if p.status != "proved"})[:3]
            + [f"completeness: {b['completeness']['reason']}" for b in cert.branches if not b["completeness"]["proved"]][:2]}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        res = one(sys.argv[2])
        res["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        res["workers_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print("RESULT " + json.dumps(res))
        return
    names = sys.argv[1:] or WORKLOADS
    rows = []
    head = (f"| {'workload':<10} | found | proved | complete | pieces | prove (s) | cpu (s) | process (s) "
            f"| peak RSS (MB) | workers (MB) | float (s) | ratio | load |")
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for name in names:
        load = os.getloadavg()[0]
        out = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True)
        line = [l for l in out.stdout.splitlines() if l.startswith("RESULT ")]
        if not line:
            print(f"| {name:<10} | failed: {out.stderr.strip().splitlines()[-1:]} |")
            continue
        r = json.loads(line[0][7:])
        fl = r["float"]
        ratio = f"{r['prove'] / fl:.0f}x" if fl and r["found"] not in (0, "-") else "-"
        comp = {True: "yes", False: f"no {r.get('branches_complete')}/{r.get('branches')}"}.get(r.get("complete"), "-")
        pieces = "-" if r.get("pieces") is None else r["pieces"]
        cpu = "-" if r.get("cpu") is None else f"{r['cpu']:.2f}"
        print(f"| {name:<10} | {r['found']:>5} | {r['proved']:>6} | {comp:>8} | {pieces!s:>6} | {r['prove']:>9.2f} "
              f"| {cpu:>7} | {r['process']:>11.2f} | {r['maxrss_mb']:>13.0f} | {r.get('workers_mb', 0):>12.0f} "
              f"| {fl if fl is None else round(fl, 3)!s:>9} | {ratio:>5} | {load:>4.1f} |",
              flush=True)
        if r.get("float_cpu") and r.get("cpu") and r["found"] not in (0, "-"):
            rows.append(f"  {name} float floor cpu {r['float_cpu']:.2f} s: cpu ratio {r['cpu'] / r['float_cpu']:.2f}x, "
                        f"wall ratio {r['prove'] / fl:.2f}x")
        if r.get("stages"):
            rows.append(f"  {name} cpu (s) by stage: " + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()))
        if r.get("reasons"):
            rows.append(f"  {name}: {'; '.join(r['reasons'])}")
    for r in rows:
        print(r)
    if not sys.argv[1:]:
        print(f"  not run by default (slow): {', '.join(SLOW)}; run one by name: python bench/run.py {SLOW[0]}")


if __name__ == "__main__":
    main()

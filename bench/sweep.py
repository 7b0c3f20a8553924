"""Sweep benchmark: ``symhopf sweep`` of random asymmetric nets, in this process versus on Dask.

``python bench/sweep.py [COUNT] [N] [WORKERS...]`` (default 200 nets of n = 50, workers 1 and 2):
for each worker count, the wall time of the command ``symhopf sweep TEMPLATE --seeds 0:COUNT
--n N --out DIR --workers W --quiet`` into a fresh directory (``--workers 1``: no Dask, one
process; more: a Dask LocalCluster of W worker processes on 127.0.0.1, its start-up included),
then of the same command again (everything finished: the resume path). The template is
``random = {n = N, seed = S, perturbation = 0.1}`` with range [-0.5, 0.5].
"""
from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = """name = "bench-sweep"
[rnn]
architecture = "asymmetric"
activation = "tanh"
random = { n = 50, seed = 0, perturbation = 0.1 }
parameter = "alpha"
[search]
range = [-0.5, 0.5]
"""


def run(template: Path, out: Path, count: int, n: int, workers: int) -> float:
    symhopf = str(Path(sys.executable).with_name("symhopf"))
    t0 = time.perf_counter()
    subprocess.run([symhopf, "sweep", str(template), "--seeds", f"0:{count}", "--n", str(n), "--out", str(out),
                    "--workers", str(workers), "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    count = args[0] if args else 200
    n = args[1] if len(args) > 1 else 50
    workers = args[2:] or [1, 2]
    print("| nets | n | workers | sweep (s) | rerun (s) | points | proved | failed |")
    print("|------|---|---------|-----------|-----------|--------|--------|--------|")
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.toml"
        template.write_text(TEMPLATE)
        for k, w in enumerate(workers):
            out = Path(tmp) / f"out{k}"
            first = run(template, out, count, n, w)
            again = run(template, out, count, n, w)
            with open(out / "models.csv", newline="") as fh:
                models = list(csv.DictReader(fh))
            points = sum(int(m["points"] or 0) for m in models)
            proved = sum(int(m["proved"] or 0) for m in models)
            failed = sum(m["status"] != "done" for m in models)
            print(f"| {count} | {n} | {w} | {first:.1f} | {again:.1f} | {points} | {proved} | {failed} |")


if __name__ == "__main__":
    main()

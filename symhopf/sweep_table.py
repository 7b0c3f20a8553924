"""The tables, summary and figure of a sweep (floats for reading, not proofs).

``points.csv``: a row per Hopf point (:data:`~symhopf.sweep_items.POINT_COLUMNS`);
``models.csv``: a row per item (:data:`~symhopf.sweep_items.MODEL_COLUMNS`), failed
items included with their reason; Parquet twins when pyarrow is installed. The
``*_lo``/``*_hi`` columns are the certificate's enclosures verbatim; ``parameter``,
``omega``, ``l1``, ``mu_prime`` are their midpoints as floats (for statistics).
"""
from __future__ import annotations

import csv
import importlib.util
import math
import statistics
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import InputError
from .sweep_items import MODEL_COLUMNS, POINT_COLUMNS, write_atomic

_INT = {"n", "seed", "point", "points", "proved", "not_proved", "supercritical", "subcritical", "branches"}
_FLOAT = {"parameter", "omega", "l1", "mu_prime", "time"}
_BOOL = {"branches_complete"}


def write_tables(records: Sequence[dict], out: str | Path) -> tuple[list[dict], list[dict]]:
    """Write ``points.csv`` and ``models.csv`` (and ``.parquet`` with pyarrow); return their rows."""
    out = Path(out)
    points = [r for rec in records for r in rec["rows"]]
    models = [rec["row"] for rec in records]
    for name, rows, columns in (("points", points, POINT_COLUMNS), ("models", models, MODEL_COLUMNS)):
        write_atomic(out / f"{name}.csv", _csv_text(rows, columns))
        if importlib.util.find_spec("pyarrow") is not None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            tmp = out / f".{name}.parquet.tmp"
            pq.write_table(pa.Table.from_pylist(rows, schema=_schema(pa, columns)), tmp)
            tmp.replace(out / f"{name}.parquet")
    return points, models


def _csv_text(rows: Sequence[dict], columns: Sequence[str]) -> str:
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: "" if r.get(c) is None else r[c] for c in columns})
    return buf.getvalue()


def _schema(pa: Any, columns: Sequence[str]) -> Any:
    kind = {c: pa.int64() for c in _INT} | {c: pa.float64() for c in _FLOAT} | {c: pa.bool_() for c in _BOOL}
    return pa.schema([(c, kind.get(c, pa.string())) for c in columns])


def read_tables(out: str | Path) -> tuple[list[dict], list[dict]]:
    """The rows of ``out/points.csv`` and ``out/models.csv``, typed as :func:`write_tables` made them."""
    tables = []
    for name in ("points", "models"):
        path = Path(out) / f"{name}.csv"
        try:
            with open(path, newline="") as fh:
                tables.append([{k: _typed(k, v) for k, v in row.items()} for row in csv.DictReader(fh)])
        except OSError:
            raise InputError(f"{path}: no sweep table here (run `symhopf sweep MODEL... --out {out}` first)") from None
    return tables[0], tables[1]


def _typed(column: str, value: str) -> Any:
    if value == "":
        return None
    if column in _INT:
        return int(value)
    if column in _FLOAT:
        return float(value)
    if column in _BOOL:
        return value == "True"
    return value


def as_frame(rows: list[dict], columns: Sequence[str] = POINT_COLUMNS):
    """A pandas DataFrame of the rows when pandas is installed, else the rows themselves."""
    if importlib.util.find_spec("pandas") is None:
        return rows
    import pandas as pd

    return pd.DataFrame(rows, columns=list(columns))


def aggregates(points: Sequence[dict], models: Sequence[dict]) -> list[dict]:
    """Per size n (and ``"all"``): items, failed, Hopf points, proved, supercritical fraction
    of the proved, l1 median of the proved, items whose branches are all proved complete, time."""
    sizes = sorted({m["n"] for m in models if m["n"] is not None})
    one_size = len(sizes) == 1 and all(m["n"] is not None for m in models)
    groups: list[Any] = sizes if one_size else [*sizes, "all"]
    result = []
    for g in groups:
        ms = [m for m in models if g == "all" or m["n"] == g]
        ps = [p for p in points if g == "all" or p["n"] == g]
        proved = [p for p in ps if p["status"] == "proved"]
        sup = sum(p["criticality"] == "supercritical" for p in proved)
        l1 = [p["l1"] for p in proved if p["l1"] is not None]
        times = [m["time"] for m in ms if m["time"] is not None]
        result.append({"n": g, "models": len(ms), "failed": sum(m["status"] != "done" for m in ms),
                       "points": len(ps), "proved": len(proved),
                       "supercritical_fraction": sup / len(proved) if proved else math.nan,
                       "l1_median": statistics.median(l1) if l1 else math.nan,
                       "branches_complete": sum(bool(m["branches_complete"]) for m in ms),
                       "time": sum(times)})
    return result


def summary(points: Sequence[dict], models: Sequence[dict], out: str | Path | None = None) -> str:
    """The aggregates as a table, then the failed items with their reasons."""
    head = f"{'n':>6} {'models':>7} {'failed':>6} {'points':>7} {'proved':>7} {'super':>6} " \
           f"{'l1 median':>11} {'complete':>8} {'time (s)':>9}"
    lines = [f"sweep{f' {out}' if out is not None else ''}: {len(models)} model(s), "
             f"{len(points)} Hopf point(s)", head]
    for a in aggregates(points, models):
        sup = "-" if math.isnan(a["supercritical_fraction"]) else f"{a['supercritical_fraction']:.0%}"
        l1 = "-" if math.isnan(a["l1_median"]) else f"{a['l1_median']:.4g}"
        lines.append(f"{a['n']!s:>6} {a['models']:>7} {a['failed']:>6} {a['points']:>7} {a['proved']:>7} "
                     f"{sup:>6} {l1:>11} {a['branches_complete']:>8} {a['time']:>9.2f}")
    lines.append("(super: supercritical share of the proved points; l1: midpoints of the proved "
                 "enclosures; complete: models whose branches found all have their Hopf list proved complete; "
                 "time: sum of the models' proof times)")
    failed = [m for m in models if m["status"] != "done"]
    for m in failed:
        lines.append(f"  failed {m['model']}: {m['reason']}")
    return "\n".join(lines)


def write_figure(points: Sequence[dict], models: Sequence[dict], out: str | Path) -> Path | None:
    """``out/sweep.png``: a histogram of l1 (proved points, one colour per n) and the
    supercritical share of the proved points against n. None without matplotlib."""
    if importlib.util.find_spec("matplotlib") is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [a for a in aggregates(points, models) if a["n"] != "all"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    proved = [p for p in points if p["status"] == "proved" and p["l1"] is not None]
    bins = np.histogram_bin_edges([p["l1"] for p in proved] or [0.0], bins=30)   # shared by every n
    for a in rows:
        l1 = [p["l1"] for p in proved if p["n"] == a["n"]]
        if l1:
            left.hist(l1, bins=bins, alpha=0.6, label=f"n = {a['n']}")
    left.set_xlabel("first Lyapunov coefficient l1 (midpoint)")
    left.set_ylabel("proved Hopf points")
    if rows:
        left.legend()
    shown = [a for a in rows if not math.isnan(a["supercritical_fraction"])]
    right.plot([a["n"] for a in shown], [a["supercritical_fraction"] for a in shown], "o-")
    right.set_xlabel("n")
    right.set_ylabel("supercritical fraction of proved points")
    right.set_ylim(-0.05, 1.05)
    fig.tight_layout()
    path = Path(out) / "sweep.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

"""One item of a sweep: which model it is, and the work of proving it (no Dask here).

An item is a model file, optionally with overrides that make it one member of a
family: a template's ``[rnn] random`` size and seed (``--n``, ``--seeds``) or a
weights file that replaces the template's weights (``--weights DIR``). The model of
an item is therefore exactly the model file a user could write by hand (the template
with ``random = {n = N, seed = S, ...}``, or with ``weights_file = "<file>"``), and
:func:`run_item` proves it with :func:`symhopf.api.prove`, as ``symhopf prove`` does,
writing the certificate ``<out>/<stem>.json`` (the text ``symhopf prove --json``
writes) atomically, then its record ``<out>/items/<stem>.json`` (status, reason,
wall time, table rows). A failure of any kind becomes a record with the reason.

Resuming: an item is finished when its certificate and a record with status
``done`` and the same input key exist; the key is the SHA-256 of the symhopf version,
the model file's bytes, the overrides and the overriding weights file's bytes.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
import tomllib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

from . import __version__
from .errors import InputError

#: weight files picked up from a ``--weights DIR`` (the reader of ``[rnn] weights_file``)
WEIGHT_SUFFIXES = (".npz",)

#: columns of the per-point table (``points.csv``); ``*_lo``/``*_hi`` are the certificate's
#: enclosures verbatim, the bare column is their midpoint as a float (a summary, not a bound)
POINT_COLUMNS = ["model", "n", "seed", "weights", "point", "status", "criticality",
                 "parameter", "parameter_lo", "parameter_hi", "omega", "omega_lo", "omega_hi",
                 "l1", "l1_lo", "l1_hi", "mu_prime", "mu_prime_lo", "mu_prime_hi", "time", "reason"]
#: columns of the per-model table (``models.csv``)
MODEL_COLUMNS = ["model", "name", "n", "seed", "weights", "status", "points", "proved", "not_proved",
                 "supercritical", "subcritical", "branches", "branches_complete", "time", "reason"]
#: certificate keys behind the point columns (interface.md)
_ENCLOSURES = {"parameter": "parameter", "omega": "omega", "l1": "first_lyapunov",
               "mu_prime": "transversality"}

# python-flint's working precision is global to a process: one proof at a time per process
_PROVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Item:
    """A model file (absolute path) and the overrides that make it one member of a sweep."""

    stem: str                       # the output name: <out>/<stem>.json
    path: str
    n: int | None = None            # [rnn] random.n
    seed: int | None = None         # [rnn] random.seed
    weights_file: str | None = None  # replaces [rnn] weights / weights_file / random

    @property
    def overridden(self) -> bool:
        return self.n is not None or self.seed is not None or self.weights_file is not None

    def model(self):
        """The item's :class:`~symhopf.model.Model` (InputError when the model is bad)."""
        from .model import Model

        if not self.overridden:
            return Model.from_toml(self.path)
        doc = read_toml(self.path)
        rnn = doc.get("rnn")
        if not isinstance(rnn, dict):
            raise InputError(f"{self.path}: a template needs an [rnn] table")
        if self.weights_file is not None:
            for key in ("weights", "weights_file", "random"):
                rnn.pop(key, None)
            rnn["weights_file"] = self.weights_file
        if self.n is not None or self.seed is not None:
            if not isinstance(rnn.get("random"), dict):
                raise InputError(f"{self.path}: --seeds/--n need a template with [rnn] random = {{...}}")
            rnn["random"] = {**rnn["random"], "n": self.n, "seed": self.seed}
        return Model.from_dict(doc, base_dir=Path(self.path).parent, default_name=Path(self.path).stem)

    def key(self) -> str:
        """SHA-256 of what fixes the item's certificate (version, model file, overrides, weights file)."""
        h = hashlib.sha256(__version__.encode())
        for part in (self.path, self.weights_file):
            h.update(b"\0")
            with contextlib.suppress(OSError):
                h.update(Path(part).read_bytes() if part else b"")
        h.update(json.dumps([self.n, self.seed]).encode())
        return h.hexdigest()


def read_toml(path: str | Path) -> dict:
    """A template's TOML document with exact decimals (``0.1`` is Decimal('0.1')); InputError
    if unreadable (a missing file, malformed TOML, not UTF-8, nested too deeply, ...)."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh, parse_float=Decimal)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, RecursionError) as exc:   # TOMLDecodeError and UnicodeDecodeError are ValueErrors
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(f"{path}: not a readable TOML file: {detail}") from None


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def certificate_path(out: str | Path, item: Item) -> Path:
    return Path(out) / f"{item.stem}.json"


def record_path(out: str | Path, item: Item) -> Path:
    return Path(out) / "items" / f"{item.stem}.json"


def finished_record(item: Item, out: str | Path, key: str | None = None) -> dict | None:
    """The stored record of ``item`` (marked ``resumed``) when it is finished with the same
    input key, else None."""
    if not certificate_path(out, item).exists():
        return None
    try:
        record = json.loads(record_path(out, item).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("status") != "done" or record.get("key") != (key or item.key()):
        return None
    return {**record, "resumed": True}


@contextlib.contextmanager
def _inner_workers(k: int | None) -> Iterator[None]:
    """Run a block with ``SYMHOPF_WORKERS=k`` (the proof's own process pool), then restore it."""
    if k is None:
        yield
        return
    old = os.environ.get("SYMHOPF_WORKERS")
    os.environ["SYMHOPF_WORKERS"] = str(k)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SYMHOPF_WORKERS", None)
        else:
            os.environ["SYMHOPF_WORKERS"] = old


def run_item(item: Item, out: str | Path, inner_workers: int | None = None) -> dict:
    """Prove ``item`` unless finished; write its certificate and record; return the record.
    A failed item has no certificate (one left by an earlier run of other input is removed).

    The record: ``model`` (the stem), ``status`` (``done`` or ``failed``), ``reason``,
    ``seconds`` (wall time of the proof), ``resumed`` (finished by an earlier run),
    ``key``, ``rows`` (the point rows) and ``row`` (the model row). Never raises for a
    bad model or a failed proof. ``inner_workers``: processes the proof itself may use
    (1 inside a Dask worker, whose cores are the cluster's to share).
    """
    out = Path(out)
    key = item.key()
    done = finished_record(item, out, key)
    if done is not None:
        return done
    record = new_record(item, key)
    record_path(out, item).parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        with _PROVE_LOCK, _inner_workers(inner_workers):
            from .api import prove

            model = item.model()
            record["n"] = model.n
            cert = prove(model)
        text = cert.to_json() + "\n"          # what `symhopf prove --json` writes
        record["seconds"] = round(time.perf_counter() - t0, 6)
        write_atomic(certificate_path(out, item), text)
        record["status"] = "done"
        rows, row = rows_from_certificate(json.loads(text), record)
    except Exception as exc:  # a failed item is recorded, never the end of the sweep
        message = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
        record.update(status="failed", reason=message.splitlines()[0] if message else type(exc).__name__)
        rows, row = [], None
        with contextlib.suppress(FileNotFoundError):   # a certificate left from other input
            certificate_path(out, item).unlink()
    if record["seconds"] is None:
        record["seconds"] = round(time.perf_counter() - t0, 6)
    record["rows"] = rows
    record["row"] = row if row is not None else model_row(None, record)
    write_atomic(record_path(out, item), json.dumps(record, indent=1) + "\n")
    return {**record, "resumed": False}


def new_record(item: Item, key: str = "") -> dict[str, Any]:
    """A record of ``item`` that is failed until the proof succeeds (no rows yet)."""
    return {"model": item.stem, "status": "failed", "reason": "", "seconds": None, "key": key,
            "n": item.n, "seed": item.seed,
            "weights": Path(item.weights_file).name if item.weights_file else None}


def failed_record(item: Item, reason: str) -> dict[str, Any]:
    """The record of an item whose task died outside :func:`run_item` (e.g. a killed worker)."""
    record = {**new_record(item), "reason": reason, "rows": [], "resumed": False}
    record["row"] = model_row(None, record)
    return record


def _mid(pair: list[str] | None) -> float | None:
    if not pair:
        return None
    return float((Fraction(Decimal(pair[0])) + Fraction(Decimal(pair[1]))) / 2)


def rows_from_certificate(cert: dict, record: dict) -> tuple[list[dict], dict]:
    """The point rows and the model row of a certificate (JSON keys of interface.md)."""
    rows = []
    for i, p in enumerate(cert.get("hopf_points", [])):
        row = {"model": record["model"], "n": record["n"], "seed": record["seed"], "weights": record["weights"],
               "point": i, "status": p.get("status"), "criticality": p.get("criticality"),
               "time": p.get("time_seconds"), "reason": p.get("reason") or ""}
        for col, key in _ENCLOSURES.items():
            pair = p.get(key)
            row[col] = _mid(pair)
            row[col + "_lo"], row[col + "_hi"] = (pair[0], pair[1]) if pair else (None, None)
        rows.append({c: row[c] for c in POINT_COLUMNS})
    return rows, model_row(cert, record)


def model_row(cert: dict | None, record: dict) -> dict:
    """Counts per model; ``branches_complete``: every branch found has its Hopf list proved
    complete in the whole range (a statement about the branches found, not about every equilibrium;
    a branch proved complete only within the search box, up to where it leaves it, does not count)."""
    points = (cert or {}).get("hopf_points", [])
    branches = (cert or {}).get("branches", [])
    row = {"model": record["model"], "name": (cert or {}).get("model"), "n": record["n"],
           "seed": record["seed"], "weights": record["weights"], "status": record["status"],
           "points": len(points) if cert else None,
           "proved": sum(p.get("status") == "proved" for p in points) if cert else None,
           "not_proved": sum(p.get("status") != "proved" for p in points) if cert else None,
           "supercritical": sum(p.get("criticality") == "supercritical" for p in points) if cert else None,
           "subcritical": sum(p.get("criticality") == "subcritical" for p in points) if cert else None,
           "branches": len(branches) if cert else None,
           "branches_complete": (bool(branches) and all(b.get("completeness", {}).get("proved") is True
                                                        and "within_box" not in b.get("completeness", {})
                                                        for b in branches)) if cert else None,
           "time": record["seconds"], "reason": record["reason"]}
    return row


"""``symhopf sweep``: the items of a sweep and where they run (this process or Dask).

:func:`items` turns the command's inputs into :class:`~symhopf.sweep_items.Item` s:
model files (paths, globs, directories of ``*.toml``), or templates expanded over
``--n`` sizes and ``--seeds`` (their ``[rnn] random`` table), or one template over a
directory of weight files. :func:`execute` runs :func:`~symhopf.sweep_items.run_item`
on each, in this process (``workers=1``) or on Dask: a local cluster of worker
processes on 127.0.0.1 (one thread each) or an existing cluster at ``scheduler``.
The per-item work knows nothing of Dask; Dask is only the executor.
"""
from __future__ import annotations

import contextlib
import glob
import importlib.util
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .errors import InputError
from .sweep_items import WEIGHT_SUFFIXES, Item, failed_record, finished_record, read_toml, run_item


def parse_seeds(text: str) -> list[int]:
    """``A:B`` -> seeds A, ..., B-1 (a Python range); ``S`` -> [S]."""
    try:
        if ":" in text:
            a, b = (int(v) for v in text.split(":"))
        else:
            a = int(text)
            b = a + 1
    except ValueError:
        raise InputError(f"--seeds: expected A:B or a seed, got {text!r}") from None
    if a < 0 or b <= a:
        raise InputError(f"--seeds: expected 0 <= A < B, got {text!r}")
    return list(range(a, b))


def parse_sizes(text: str) -> list[int]:
    """``N1,N2,...`` -> sizes (each an integer >= 2)."""
    try:
        sizes = [int(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"--n: expected N1,N2,... (integers), got {text!r}") from None
    if any(n < 2 for n in sizes):
        raise InputError(f"--n: every size must be >= 2, got {text!r}")
    return sizes


def model_files(models: Sequence[str | Path]) -> list[Path]:
    """Model files from paths, glob patterns and directories (their ``*.toml``), in order, once each."""
    found: dict[Path, None] = {}
    for m in models:
        m = str(m)
        if Path(m).is_dir():
            paths = sorted(Path(m).glob("*.toml"))
        elif Path(m).exists() or not glob.has_magic(m):
            paths = [Path(m)]
        else:
            paths = sorted(Path(p) for p in glob.glob(m))
        if not paths:
            raise InputError(f"{m}: no model files match")
        found.update(dict.fromkeys(p.absolute() for p in paths))   # names as given (a link keeps its name)
    return list(found)


def items(models: Sequence[str | Path], seeds: Sequence[int] | None = None, sizes: Sequence[int] | None = None,
          weights: str | Path | None = None) -> list[Item]:
    """The sweep's items; stems (output names) must be distinct. A bad model file is an item
    (it fails when run); a bad template or option is bad input (InputError)."""
    files = model_files(models)
    if weights is not None and (seeds or sizes):
        raise InputError("--weights: give either --weights or --seeds/--n, not both")
    if weights is not None:
        out = [Item(f"{f.stem}-{w.stem}", str(f), weights_file=str(w))
               for f in files for w in _weight_files(weights, f)]
    elif seeds or sizes:
        out = [it for f in files for it in _family(f, seeds, sizes)]
    else:
        out = [Item(f.stem, str(f)) for f in files]
    stems: dict[str, Item] = {}
    for it in out:
        if it.stem in stems:
            raise InputError(f"{stems[it.stem].path} and {it.path}: both would write {it.stem}.json; "
                             "sweep them into different --out directories")
        stems[it.stem] = it
    return out


def _template_rnn(path: Path, what: str) -> dict:
    rnn = read_toml(path).get("rnn")
    if not isinstance(rnn, dict):
        raise InputError(f"{path}: {what} needs a template with an [rnn] table")
    return rnn


def _family(path: Path, seeds: Sequence[int] | None, sizes: Sequence[int] | None) -> list[Item]:
    """The template's members: every size times every seed (defaults: the template's own)."""
    random = _template_rnn(path, "--seeds/--n").get("random")
    if not isinstance(random, dict):
        raise InputError(f"{path}: --seeds/--n need a template with [rnn] random = {{n = ..., seed = ...}}")
    seeds = list(seeds) if seeds else [random.get("seed")]
    sizes = list(sizes) if sizes else [random.get("n")]
    for what, values in (("seed", seeds), ("n", sizes)):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise InputError(f"{path}: [rnn] random.{what}: expected an integer (or give --{what}s)"
                             if what == "seed" else f"{path}: [rnn] random.n: expected an integer (or give --n)")
    return [Item(f"{path.stem}-n{n}-s{s}", str(path), n=n, seed=s) for n in sizes for s in seeds]


def _weight_files(weights: str | Path, template: Path) -> list[Path]:
    _template_rnn(template, "--weights")
    d = Path(weights)
    if not d.is_dir():
        raise InputError(f"--weights {weights}: not a directory")
    files = sorted(p.absolute() for p in d.iterdir() if p.suffix in WEIGHT_SUFFIXES and p.is_file())
    if not files:
        raise InputError(f"--weights {weights}: no weight files ({', '.join(WEIGHT_SUFFIXES)})")
    return files


def dask_available() -> bool:
    return importlib.util.find_spec("distributed") is not None


def execute(todo: Sequence[Item], out: str | Path, workers: int | None = None, scheduler: str | None = None,
            progress: bool = True) -> list[dict]:
    """Run every item; the records in the order of ``todo``.

    ``scheduler``: address of a running Dask scheduler. Else ``workers`` local worker
    processes (default: the machine's cores, see :func:`symhopf.parallel.default_workers`);
    ``workers=1`` runs in this process without Dask.
    """
    from .parallel import default_workers

    if workers is not None and workers < 1:
        raise InputError(f"--workers: expected a positive number, got {workers}")
    if scheduler is None and workers is None:
        workers = default_workers()
        if workers > 1 and not dask_available():
            print("symhopf sweep: dask.distributed is not installed (pip install 'symhopf[sweep]'); "
                  "running in this process", file=sys.stderr)
            workers = 1
    if (scheduler is not None or workers > 1) and not dask_available():
        raise InputError("--workers/--scheduler need dask.distributed: pip install 'symhopf[sweep]'")
    records: list[dict | None] = [finished_record(it, out) for it in todo]   # resumed: no cluster needed
    rest = [i for i, r in enumerate(records) if r is None]
    if not rest:
        fresh = []
    elif scheduler is None and (workers == 1 or len(rest) == 1):
        fresh = _serial([todo[i] for i in rest], out, progress)
    else:
        fresh = _on_dask([todo[i] for i in rest], out, workers and min(workers, len(rest)), scheduler, progress)
    for i, r in zip(rest, fresh):
        records[i] = r
    return records  # type: ignore[return-value]


def _bar(total: int, progress: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="sweep", unit="model", disable=not progress, file=sys.stderr)


def _serial(todo: Sequence[Item], out: str | Path, progress: bool) -> list[dict]:
    records = []
    with _bar(len(todo), progress) as bar:
        for it in todo:
            records.append(run_item(it, out))
            bar.update()
    return records


def _on_dask(todo: Sequence[Item], out: str | Path, workers: int | None, scheduler: str | None,
             progress: bool) -> list[dict]:
    """Each item a Dask task (``run_item`` with one process per proof); a task that dies
    (a killed worker, a lost connection) is recorded as failed with the reason."""
    from distributed import as_completed

    out = str(Path(out).resolve())
    with _client(workers, scheduler) as client:
        futures = client.map(run_item, list(todo), out=out, inner_workers=1, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        records: list[dict | None] = [None] * len(todo)
        with _bar(len(todo), progress) as bar:
            for fut in as_completed(futures):
                i = index[fut.key]
                try:
                    records[i] = fut.result()
                except Exception as exc:  # the task died; the sweep goes on
                    records[i] = failed_record(todo[i], f"task failed: {type(exc).__name__}: {exc}".splitlines()[0])
                bar.update()
    return records  # type: ignore[return-value]


@contextlib.contextmanager
def _client(workers: int | None, address: str | None) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address``, or of a local cluster on 127.0.0.1 that
    lives as long as the client (``workers`` processes, one thread each, no dashboard)."""
    from distributed import Client, LocalCluster

    if address is None:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"--scheduler {address}: cannot connect ({type(exc).__name__}: {exc})"
                         .splitlines()[0]) from None
    with client:
        yield client


def sweep(models: Sequence[str | Path] | str | Path, out: str | Path, *, seeds: Iterable[int] | str | None = None,
          n: Iterable[int] | str | None = None, weights: str | Path | None = None, workers: int | None = None,
          scheduler: str | None = None, progress: bool = True, figure: bool = True):
    """Prove every item; write ``out/<stem>.json``, ``out/points.csv``, ``out/models.csv``
    (and Parquet twins with pyarrow, ``out/sweep.png`` with matplotlib).

    Returns the point table: a pandas DataFrame when pandas is installed, else a list of
    row dicts (columns :data:`~symhopf.sweep_items.POINT_COLUMNS`).
    """
    from .sweep_table import as_frame, write_figure, write_tables

    if isinstance(models, (str, Path)):
        models = [models]
    seeds = parse_seeds(seeds) if isinstance(seeds, str) else seeds
    sizes = parse_sizes(n) if isinstance(n, str) else n
    todo = items(models, seeds=list(seeds) if seeds is not None else None,
                 sizes=list(sizes) if sizes is not None else None, weights=weights)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create: {exc.strerror}") from None
    records = execute(todo, out, workers=workers, scheduler=scheduler, progress=progress)
    points, per_model = write_tables(records, out)
    if figure:
        write_figure(points, per_model, out)
    return as_frame(points)

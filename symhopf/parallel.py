"""Independent per-point proofs on several cores (fork), deterministic and crash-safe.

``run_tasks(fn, tasks)`` returns ``[fn(t) for t in tasks]`` in order. With more than one
worker the tasks run in forked processes (they inherit the loaded system and the shared
family data, nothing large is pickled); an exception in ``fn`` or a dead worker becomes a
result ``{"error": message}``, never a crash of the caller. Workers limit OpenBLAS to one
thread each so that the processes do not oversubscribe the cores.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import re
import traceback
from typing import Any, Callable, Sequence


def _blas_libs() -> list:
    try:
        maps = open("/proc/self/maps").read()
    except OSError:
        return []
    libs = []
    for path in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        try:
            libs.append(ctypes.CDLL(path))
        except OSError:
            continue
    return libs


def _blas_fn(lib, what: str):
    for name in (f"scipy_openblas_{what}_num_threads64_", f"openblas_{what}_num_threads64_",
                 f"scipy_openblas_{what}_num_threads", f"openblas_{what}_num_threads"):
        fn = getattr(lib, name, None)
        if fn is not None:
            return fn
    return None


def set_blas_threads(k: int) -> None:
    """Set the OpenBLAS thread count of the loaded numpy (best effort, no-op if not found)."""
    for lib in _blas_libs():
        fn = _blas_fn(lib, "set")
        if fn is not None:
            fn(ctypes.c_int(k))


def get_blas_threads() -> int | None:
    """The OpenBLAS thread count of the loaded numpy, or None if not found."""
    for lib in _blas_libs():
        fn = _blas_fn(lib, "get")
        if fn is not None:
            fn.restype = ctypes.c_int
            return int(fn())
    return None


@contextlib.contextmanager
def blas_threads(k: int):
    """Run a block with ``k`` OpenBLAS threads, then restore the previous count.

    symhopf's float stages (eig, inv, solves of a few hundred unknowns) run fastest on one
    thread: OpenBLAS's threaded LAPACK paths are slower for them, and on a loaded machine
    its spinning threads made one n = 400 eig take 7 s instead of 0.07 s.
    """
    old = get_blas_threads()
    set_blas_threads(k)
    try:
        yield
    finally:
        if old is not None:
            set_blas_threads(old)


def default_workers() -> int:
    env = os.environ.get("SYMHOPF_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            from .errors import InputError
            raise InputError(f"SYMHOPF_WORKERS: expected a whole number of processes, got {env!r}") from None
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:
        return max(1, min(os.cpu_count() or 1, 8))


_FN: Callable[[Any], Any] | None = None


def _call_with(fn: Callable[[Any], Any], task: Any) -> Any:
    try:
        return fn(task)
    except Exception as exc:  # a failed proof, not a crash
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=3)}


def _call(task: Any) -> Any:
    """In a forked worker: the function of the run_tasks call that forked it."""
    return _call_with(_FN, task)  # type: ignore[arg-type]


def _init() -> None:
    set_blas_threads(1)


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int | None = None,
              min_tasks: int = 4) -> list[Any]:
    """``[fn(t) for t in tasks]`` in order, on ``workers`` forked processes when worthwhile."""
    global _FN
    import multiprocessing as mp
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(tasks) < min_tasks or mp.current_process().daemon:   # a daemon may not fork workers
        return [_call_with(fn, t) for t in tasks]
    try:
        ctx = mp.get_context("fork")
    except ValueError:
        return [_call_with(fn, t) for t in tasks]
    _FN = fn
    try:
        return _pool(ctx, tasks, workers)
    finally:
        _FN = None   # the caller's objects are not kept alive after the call


def _pool(ctx: Any, tasks: Sequence[Any], workers: int) -> list[Any]:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    results: list[Any] = [None] * len(tasks)
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx,
                                 initializer=_init) as ex:
            chunk = max(1, len(tasks) // (8 * workers))
            for i, r in enumerate(ex.map(_call, tasks, chunksize=chunk)):
                results[i] = r
    except BrokenProcessPool as exc:
        for i, r in enumerate(results):
            if r is None:
                results[i] = {"error": f"worker process died: {exc}"}
    return results

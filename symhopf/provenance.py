"""Where a result came from: the exact command, symhopf's version, the date, the model file's SHA-256
and, for a random net, the generator and seed of its weights (reports and ``--csv`` state these)."""
from __future__ import annotations

import datetime
import hashlib
import shlex
import tomllib
from pathlib import Path
from typing import Any, Sequence

from . import __version__

#: how ``[rnn] random`` draws its weights (symhopf.model.random_weights)
RANDOM_GENERATOR = "numpy.random.default_rng(seed): W = R1 - R1^T + perturbation R2, R1, R2 ~ N(0, 1)"


def file_sha256(path: str | Path) -> str:
    """The SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def provenance(model_path: str | Path | None, command: Sequence[str] | None = None,
               certificate_path: str | None = None) -> dict[str, Any]:
    """``command`` (one shell-quoted line), ``version``, ``date`` (UTC, ISO 8601), ``model_file`` and
    ``model_sha256`` (when read from a file), ``random`` (generator, n, seed, perturbation) for a net
    with random weights, ``weights_sha256`` for a weights file, and ``certificate`` (the JSON path the
    run wrote, if any)."""
    out: dict[str, Any] = {
        "command": shlex.join(command) if command else None,
        "version": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "certificate": certificate_path,
    }
    if model_path is None:
        return out
    path = Path(model_path)
    out.update(model_file=str(model_path), model_sha256=file_sha256(path))
    try:
        rnn = tomllib.loads(path.read_text(encoding="utf-8")).get("rnn", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return out
    if isinstance(rnn, dict) and isinstance(rnn.get("random"), dict):
        r = rnn["random"]
        out["random"] = {"generator": RANDOM_GENERATOR, "n": r.get("n"), "seed": r.get("seed"),
                         "perturbation": str(r.get("perturbation", "0.1"))}
    wf = rnn.get("weights_file") if isinstance(rnn, dict) else None
    if isinstance(wf, str) and (path.parent / wf).is_file():
        out["weights_sha256"] = file_sha256(path.parent / wf)
    return out

"""Named arrays from a weights file: numpy ``.npz`` or ``.safetensors`` (PyTorch ``state_dict``).

``.safetensors`` is read with numpy alone (no torch, no extra package): an 8-byte
little-endian header length, a JSON header ``{key: {"dtype", "shape", "data_offsets"}}``,
then the raw little-endian data. Every header field is checked against the file before
anything is read; floats of any width convert to float64 exactly (bfloat16 too).
"""
from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np

from .errors import InputError

#: safetensors dtype -> numpy dtype (little-endian); BF16 is widened by hand
SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
                      "I16": "<i2", "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8"}
MAX_HEADER = 100_000_000


def load_weights(path: Path, names: set[str], mapping: dict[str, str]) -> dict[str, np.ndarray]:
    """The arrays for ``mapping`` (formula name -> key, every key must exist) and for each
    name in ``names`` that is a key of the file (name = key)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in str(path)):
        raise InputError(f"weights_file: control characters in the path {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".safetensors"):
        raise InputError(f"{path}: weights_file must be .npz or .safetensors")
    if not path.is_file():
        raise InputError(f"{path}: weights file not found")
    reader = _read_npz if suffix == ".npz" else _read_safetensors
    return reader(path, {**{n: n for n in names}, **mapping}, set(mapping))


def _select(path: Path, keys: set[str], wanted: dict[str, str], required: set[str]) -> dict[str, str]:
    missing = sorted(k for k in required if wanted[k] not in keys)
    if missing:
        shown = ", ".join(f"{k} -> {wanted[k]!r}" for k in missing)
        raise InputError(f"{path}: no array for {shown} (the file has {len(keys)} key(s))")
    return {k: v for k, v in wanted.items() if v in keys}


def _read_npz(path: Path, wanted: dict[str, str], required: set[str]) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            chosen = _select(path, set(npz.files), wanted, required)
            return {name: np.asarray(npz[key]) for name, key in chosen.items()}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: not a readable .npz weights file") from None


def _read_safetensors(path: Path, wanted: dict[str, str], required: set[str]) -> dict[str, np.ndarray]:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        length = int.from_bytes(head, "little") if len(head) == 8 else -1
        if not 0 < length <= min(MAX_HEADER, size - 8):
            raise InputError(f"{path}: not a .safetensors file (bad header length)")
        try:
            header = json.loads(fh.read(length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise InputError(f"{path}: not a .safetensors file (header is not JSON)") from None
        if not isinstance(header, dict):
            raise InputError(f"{path}: not a .safetensors file (header is not a table)")
        keys = {k for k in header if k != "__metadata__"}
        out = {}
        for name, key in _select(path, keys, wanted, required).items():
            dtype, shape = _tensor_info(path, key, header[key], size - 8 - length)
            begin = header[key]["data_offsets"][0]
            fh.seek(8 + length + begin)
            raw = np.frombuffer(fh.read(math.prod(shape) * np.dtype(dtype).itemsize), dtype=dtype)
            if header[key]["dtype"] == "BF16":     # the upper half of a float32: exact
                raw = (raw.astype(np.uint32) << 16).view(np.float32)
            out[name] = raw.reshape(shape).astype(np.float64)
        return out


def _tensor_info(path: Path, key: str, info: object, data_size: int) -> tuple[str, list[int]]:
    """The numpy dtype and shape of one header entry, with its offsets checked."""
    bad = InputError(f"{path}: tensor {key!r}: malformed header entry")
    if not isinstance(info, dict) or info.get("dtype") not in SAFETENSORS_DTYPES:
        if isinstance(info, dict) and isinstance(info.get("dtype"), str):
            raise InputError(f"{path}: tensor {key!r}: unsupported dtype {info['dtype']!r}")
        raise bad
    shape, offsets = info.get("shape"), info.get("data_offsets")
    if not (isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
            and isinstance(offsets, list) and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
        raise bad
    dtype = SAFETENSORS_DTYPES[info["dtype"]]
    begin, end = offsets
    if not (0 <= begin <= end <= data_size and end - begin == math.prod(shape) * np.dtype(dtype).itemsize):
        raise InputError(f"{path}: tensor {key!r}: data offsets do not match its shape and dtype")
    return dtype, shape

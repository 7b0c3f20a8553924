"""Write examples/mlp_ode.safetensors: the neural ODE of examples/mlp_ode.toml as PyTorch saves it.

With torch and safetensors installed the same file comes from

    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ...  # train, or copy the weights of examples/mlp_ode.toml
    safetensors.torch.save_file(net.state_dict(), "mlp_ode.safetensors")

(keys net.0.weight, net.0.bias, net.2.weight, net.2.bias, float32). This script writes that
layout with numpy alone: an 8-byte little-endian header length, the JSON header (keys sorted,
padded with spaces to a multiple of 8), then the little-endian data in header order.

    python examples/make_safetensors.py       # rewrites examples/mlp_ode.safetensors
"""
from __future__ import annotations

import json
import struct
import sys
import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
KEYS = {"W1": "0.weight", "b1": "0.bias", "W2": "2.weight", "b2": "2.bias"}


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], dtype: str = "F32") -> None:
    """``tensors`` in the safetensors format (dtype F32, F64 or F16)."""
    np_dtype = {"F32": "<f4", "F64": "<f8", "F16": "<f2"}[dtype]
    header: dict = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for key in sorted(tensors):
        raw = np.ascontiguousarray(tensors[key], dtype=np_dtype).tobytes()
        header[key] = {"dtype": dtype, "shape": list(np.shape(tensors[key])), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main() -> int:
    data = tomllib.loads((HERE / "mlp_ode.toml").read_text())["rnn"]["data"]
    path = HERE / "mlp_ode.safetensors"
    write_safetensors(path, {"net." + key: np.array(data[name], float) for name, key in KEYS.items()})
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

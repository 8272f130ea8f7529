#!/usr/bin/env python3
"""safetensors between AutoGrad and PyTorch, both ways.

    python3 tools/safetensors_torch.py roundtrip IN.safetensors OUT.safetensors

Loads IN (written by AutoGrad's SafeTensors.Save) into torch tensors and prints one line per tensor (name, dtype,
shape, sum); then writes OUT from torch: every tensor of IN doubled (integers plus one) and a new one, `torch.arange`,
with the metadata {"format": "pt"} that safetensors.torch.save_file writes. With the `safetensors` package installed
it reads and writes through `safetensors.torch`; without it, through the format itself (an 8-byte little-endian header
length, a JSON header, the raw little-endian data), as implemented below over torch.frombuffer and Tensor.numpy.
tests/AutoGrad.Nn.Tests/Data/TorchInteropTests.cs runs it where a python3 with torch exists (CI installs
Debian's python3-torch).
"""
import json
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64, "F16": torch.float16}
NAMES = {v: k for k, v in DTYPES.items()}


def load(path):
    try:
        from safetensors.torch import load_file
        return load_file(path), "safetensors.torch"
    except ImportError:
        pass
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[info["dtype"]]) if end > begin \
            else torch.empty(0, dtype=DTYPES[info["dtype"]])
        tensors[name] = flat.reshape(info["shape"])
    return tensors, "the format over torch.frombuffer"


def save(tensors, path):
    try:
        from safetensors.torch import save_file
        save_file(tensors, path, metadata={"format": "pt"})
        return
    except ImportError:
        pass
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def main():
    if len(sys.argv) != 4 or sys.argv[1] != "roundtrip":
        sys.exit(__doc__)
    tensors, how = load(sys.argv[2])
    print(f"torch {torch.__version__}, read with {how}")
    for name in sorted(tensors):
        t = tensors[name]
        print(f"{name} {NAMES[t.dtype]} {list(t.shape)} sum {t.double().sum().item():.6f}")
    out = {name: (t + 1 if not t.is_floating_point() else t * 2) for name, t in tensors.items()}
    out["from_torch"] = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    save(out, sys.argv[3])
    print(f"wrote {len(out)} tensors")


if __name__ == "__main__":
    main()

"""Minimal safetensors reader/writer (F32 and I64 only), written for darts-go.

Format: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the
raw data buffer.  The header maps tensor name -> {"dtype", "shape",
"data_offsets": [begin, end]} (byte offsets into the data buffer, which starts
right after the header) plus an optional "__metadata__" map of string -> string.
The header is padded with spaces to a multiple of 8 bytes so the data buffer is
8-byte aligned.  Tensors are stored contiguously, in insertion order, row-major,
little-endian.
"""

import json
import struct

import numpy as np
import torch

_DTYPES = {
    torch.float32: ("F32", "<f4"),
    torch.int64: ("I64", "<i8"),
}
_NP = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8")}


def save(path, tensors, metadata=None):
    """tensors: ordered mapping name -> torch tensor (float32 or int64)."""
    header = {}
    blobs = []
    off = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise TypeError("%s: unsupported dtype %s" % (name, t.dtype))
        code, npdt = _DTYPES[t.dtype]
        b = t.numpy().astype(npdt, copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def load(path):
    """Returns (dict name -> torch tensor, metadata dict, list of names in file order).

    Checks the layout strictly: offsets contiguous from 0 without holes or
    overlaps, sizes consistent with dtype and shape, no trailing bytes.
    """
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    items = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    pos = 0
    out = {}
    for name, info in items:
        b, e = info["data_offsets"]
        dt = _NP[info["dtype"]]
        numel = 1
        for d in info["shape"]:
            numel *= d
        if b != pos or e - b != numel * dt.itemsize:
            raise ValueError("%s: bad data_offsets %r" % (name, info["data_offsets"]))
        arr = np.frombuffer(data[b:e], dtype=dt).reshape(info["shape"]).copy()
        out[name] = torch.from_numpy(arr)
        pos = e
    if pos != len(data):
        raise ValueError("trailing bytes in data buffer")
    return out, meta, [k for k, _ in items]

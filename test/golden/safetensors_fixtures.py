#!/usr/bin/env python3
"""safetensors interop fixtures and checks (test/safetensors.test.ts drives the check modes).

The official `safetensors` package is not installable here (no pip; Debian has no package), so this
file carries a small writer and reader that follow the format spec and the official Rust crate
(huggingface/safetensors, safetensors/src/tensor.rs: `prepare`, `read_metadata`, `validate`):

- writer: u64 little-endian header length N, compact JSON header with `__metadata__` first (keys
  sorted) then the tensors ordered by dtype alignment descending (the crate's Dtype enum order),
  then by name; the header is padded with spaces to a multiple of 8; the data follows in that order.
- reader: N <= 100,000,000 and 8 + N within the file, UTF-8, JSON object (leading/trailing JSON
  whitespace allowed, as serde_json does), `__metadata__` null or str -> str, each entry an object
  with a known dtype, a shape of non-negative integers and integer data_offsets [begin, end] with
  (end - begin) == numel * bits / 8; sorted by offset the entries must tile the data section exactly
  (no overlap, no hole, no trailing bytes). Beyond the crate it also rejects duplicate keys (the spec
  forbids them), NaN/Infinity literals, lone surrogate escapes, nesting deeper than 128 (serde_json's
  recursion limit) and integers above 2**53 - 1 — the same rules as src/engine/io/safetensors.ts, so
  the two readers can be compared verdict by verdict.

Modes (Debian python3-torch 1.13 and numpy; `verdicts` and `selftest` need neither):
  generate                      write test/golden/fixtures/*.safetensors + safetensors_expected.json
  check-values FILE EXPECTED    read FILE (written by the TS code) into torch, compare with EXPECTED
  check-state-dict FILE         FILE holds the fixture model's state dict transformed by the TS test
                                (floats 2x+1, num_batches_tracked +1); load it with strict
                                load_state_dict into the same PyTorch model and compare
  check-ts FILE EXPECTED SD     both checks in one process (what the TS test runs)
  verdicts DIR                  print {"file": "ok" | "error: ..."} for every file in DIR
  selftest                      check this reader against hand-made valid and invalid files
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
MAX_HEADER_SIZE = 100_000_000
MAX_DEPTH = 128
MAX_SAFE = 2**53 - 1

# The crate's Dtype enum, in declaration (= increasing alignment) order, with bit sizes.
DTYPES = [("BOOL", 8), ("F4", 4), ("F6_E2M3", 6), ("F6_E3M2", 6), ("U8", 8), ("I8", 8), ("F8_E5M2", 8),
          ("F8_E4M3", 8), ("F8_E8M0", 8), ("F8_E4M3FNUZ", 8), ("F8_E5M2FNUZ", 8), ("I16", 16), ("U16", 16),
          ("F16", 16), ("BF16", 16), ("I32", 32), ("U32", 32), ("F32", 32), ("C64", 64), ("F64", 64),
          ("I64", 64), ("U64", 64)]
DTYPE_BITS = dict(DTYPES)
DTYPE_RANK = {name: i for i, (name, _) in enumerate(DTYPES)}
NUMPY_DTYPE = {"BOOL": "?", "U8": "<u1", "I8": "<i1", "I16": "<i2", "U16": "<u2", "F16": "<f2", "I32": "<i4",
               "U32": "<u4", "F32": "<f4", "F64": "<f8", "I64": "<i8", "U64": "<u8"}


class FormatError(ValueError):
    pass


# ----------------------------------------------------------------------------------------------
# Writer

def serialize(tensors, metadata=None):
    """tensors: {name: (dtype, shape, raw little-endian bytes)} -> file bytes, as the crate writes."""
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_RANK[kv[1][0]], kv[0].encode("utf-8")))
    parts = []
    if metadata:
        meta = ",".join(f"{dumps(k)}:{dumps(metadata[k])}" for k in sorted(metadata))
        parts.append(f'"__metadata__":{{{meta}}}')
    offset = 0
    for name, (dtype, shape, raw) in items:
        n = 1
        for d in shape:
            n *= d
        assert len(raw) * 8 == n * DTYPE_BITS[dtype], (name, len(raw), shape)
        shape_s = ",".join(str(int(d)) for d in shape)
        parts.append(f'{dumps(name)}:{{"dtype":"{dtype}","shape":[{shape_s}],"data_offsets":[{offset},{offset + len(raw)}]}}')
        offset += len(raw)
    header = ("{" + ",".join(parts) + "}").encode("utf-8")
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"".join(raw for _, (_, _, raw) in items)


def dumps(s):
    return json.dumps(s, ensure_ascii=False)


def torch_entry(t):
    import torch
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
             torch.bool: "BOOL"}
    t = t.detach().contiguous().cpu()
    dtype = names[t.dtype]
    if dtype == "BF16":
        raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
    else:
        raw = t.numpy().astype(NUMPY_DTYPE[dtype]).tobytes()
    return dtype, list(t.shape), raw


def numpy_entry(a, dtype):
    import numpy as np
    a = np.ascontiguousarray(a, dtype=NUMPY_DTYPE[dtype])
    return dtype, list(a.shape), a.tobytes()


# ----------------------------------------------------------------------------------------------
# Reader

def _reject_constant(name):
    raise FormatError(f"header is not valid JSON: {name} is not allowed")


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise FormatError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _check_json(v, depth=0):
    """Nesting depth (root container = 1) and well-formed Unicode of every string."""
    if isinstance(v, str):
        v.encode("utf-8")  # raises UnicodeEncodeError on lone surrogates
        return depth
    if isinstance(v, dict):
        if depth + 1 > MAX_DEPTH:
            raise FormatError("nesting too deep")
        for k, x in v.items():
            k.encode("utf-8")
            _check_json(x, depth + 1)
    elif isinstance(v, list):
        if depth + 1 > MAX_DEPTH:
            raise FormatError("nesting too deep")
        for x in v:
            _check_json(x, depth + 1)
    return depth


def _uint(v):
    return type(v) is int and 0 <= v <= MAX_SAFE


def read_header(buf):
    """Validates the layout; returns (entries sorted by offset, metadata, data_start)."""
    if len(buf) < 8:
        raise FormatError("file too short for the header length")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > MAX_HEADER_SIZE:
        raise FormatError("header too large")
    if 8 + n > len(buf):
        raise FormatError("header length runs past the end of the file")
    try:
        text = buf[8:8 + n].decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("header is not UTF-8")
    try:
        root = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
        _check_json(root)
    except FormatError:
        raise
    except (ValueError, RecursionError, UnicodeEncodeError) as e:
        raise FormatError(f"header is not valid JSON: {e}")
    if not isinstance(root, dict):
        raise FormatError("header is not a JSON object")
    data_len = len(buf) - 8 - n
    metadata, entries = {}, []
    for name, info in root.items():
        if name == "__metadata__":
            if info is None:
                continue
            if not isinstance(info, dict) or not all(isinstance(x, str) for x in info.values()):
                raise FormatError("__metadata__ must map strings to strings")
            metadata = dict(info)
            continue
        if not isinstance(info, dict):
            raise FormatError(f"{name!r}: entry is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
            raise FormatError(f"{name!r}: bad dtype {dtype!r}")
        if not isinstance(shape, list) or not all(_uint(d) for d in shape):
            raise FormatError(f"{name!r}: bad shape {shape!r}")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_uint(o) for o in offsets):
            raise FormatError(f"{name!r}: bad data_offsets {offsets!r}")
        numel = 1
        for d in shape:
            numel *= d
        nbits = numel * DTYPE_BITS[dtype]
        if nbits % 8:
            raise FormatError(f"{name!r}: not a whole number of bytes")
        begin, end = offsets
        if begin > end or end - begin != nbits // 8:
            raise FormatError(f"{name!r}: data_offsets do not match dtype x shape")
        entries.append((name, dtype, shape, begin, end))
    entries.sort(key=lambda e: (e[3], e[4]))
    pos = 0
    for name, _, _, begin, end in entries:
        if begin != pos:
            raise FormatError(f"{name!r}: invalid offset (overlap or hole)")
        pos = end
    if pos != data_len:
        raise FormatError("incomplete metadata, data section not fully covered")
    return entries, metadata, 8 + n


def read(buf):
    """-> ({name: (dtype, shape, raw bytes)}, metadata)"""
    entries, metadata, start = read_header(buf)
    return {name: (dtype, shape, buf[start + b:start + e]) for name, dtype, shape, b, e in entries}, metadata


def to_torch(dtype, shape, raw):
    import numpy as np
    import torch
    if dtype == "BF16":
        a = np.frombuffer(raw, dtype="<i2").copy().reshape(shape)
        return torch.from_numpy(a).view(torch.bfloat16)
    a = np.frombuffer(raw, dtype=NUMPY_DTYPE[dtype]).copy().reshape(shape)
    if dtype in ("U16", "U32", "U64"):
        a = a.astype(np.int64)  # torch 1.13 has no such dtypes
    return torch.from_numpy(a)


# ----------------------------------------------------------------------------------------------
# Fixtures

def encode_values(t):
    """Expected values as JSON: float32 view of floats (NaN/Inf as strings), ints, bools as 0/1."""
    import torch
    if t.dtype.is_floating_point:
        vals = t.to(torch.float32).reshape(-1).tolist()
        return [v if v == v and abs(v) != float("inf") else ("nan" if v != v else ("inf" if v > 0 else "-inf")) for v in vals]
    return [int(v) for v in t.reshape(-1).tolist()]


def make_model():
    import torch
    from torch import nn
    torch.manual_seed(1234)
    model = nn.Sequential(nn.Conv3d(2, 4, kernel_size=3, padding=1), nn.BatchNorm3d(4), nn.ReLU(),
                          nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 3))
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(2, 2, 3, 4, 4))
    return model


def generate():
    import numpy as np
    import torch
    os.makedirs(FIXTURES, exist_ok=True)
    expected = {}

    def emit(fname, entries, metadata=None, torch_values=None, raw_file=None):
        data = raw_file if raw_file is not None else serialize(entries, metadata)
        with open(os.path.join(FIXTURES, fname), "wb") as f:
            f.write(data)
        if torch_values is not None:
            tensors, meta = read(data)  # the reader must accept what the writer wrote
            assert meta == (metadata or {}), meta
            expected[fname] = {"metadata": meta, "tensors": {
                k: {"dtype": tensors[k][0], "shape": tensors[k][1], "values": encode_values(v)}
                for k, v in torch_values.items()}}
            for k, v in torch_values.items():
                back = to_torch(*tensors[k])
                assert list(back.shape) == list(v.shape), k
                assert torch.allclose(back.double(), v.double(), rtol=0, atol=0, equal_nan=True), k
        print(f"wrote {fname} ({len(data)} bytes)")

    # 1. A PyTorch state_dict (Conv3d, BatchNorm3d with int64 num_batches_tracked, Linear).
    sd = make_model().state_dict()
    emit("st_state_dict.safetensors", {k: torch_entry(v) for k, v in sd.items()}, {"format": "pt"}, dict(sd))

    # 2. Every dtype the TS reader converts, 0-d and empty tensors, a name that needs escapes.
    tv = {
        "f16": torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08,
                             float("inf"), float("-inf"), float("nan")], dtype=torch.float16),
        "bf16": torch.tensor([[1.5, -3.140625, 1e38], [-1e-38, float("inf"), float("nan")]], dtype=torch.bfloat16),
        "f64": torch.tensor([0.1, -1e300, 1e-50, 123456789.123, -0.0], dtype=torch.float64),
        "i64": torch.tensor([-2**31, 2**31 - 1, 0, -1, 42], dtype=torch.int64),
        "i32": torch.tensor([[1, -2], [3, -4]], dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767, 5], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 7], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 3),
        'name "quoted" \\ tab\t ünïcødé ☃ 😀': torch.tensor([1.0, 2.0]),
    }
    entries = {k: torch_entry(v) for k, v in tv.items()}
    for name, arr, dt in [("u16", [0, 65535, 9], "U16"), ("u32", [0, 2**31 - 1], "U32"), ("u64", [0, 2**31 - 1], "U64")]:
        entries[name] = numpy_entry(np.array(arr), dt)
        tv[name] = torch.tensor(arr, dtype=torch.int64)
    emit("st_dtypes.safetensors", entries, {"format": "pt", "note": 'unicode ☃ and "quotes"'}, tv)

    # 3. The layout reference: TS must serialize these tensors to exactly these bytes.
    lv = {
        "b.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.25 - 1.0,
        "a.bias": torch.tensor([0.5, -1.5], dtype=torch.float32),
        "count": torch.tensor([-2, -1, 0, 7], dtype=torch.int32),
        "mask": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5),
        "step": torch.tensor(42, dtype=torch.int32),
        "empty": torch.zeros(0, 2),
        "z\u00e9": torch.tensor([[1.0]]),
    }
    emit("st_layout_reference.safetensors", {k: torch_entry(v) for k, v in lv.items()},
         {"format": "pt", "epoch": "3"}, lv)

    # 4. An int64 value outside int32: loading must fail naming the tensor.
    ov = {"fine": torch.tensor([1.0]), "big": torch.tensor([1, 2**31], dtype=torch.int64)}
    emit("st_int64_overflow.safetensors", {k: torch_entry(v) for k, v in ov.items()}, None, ov)

    # 5. A valid dtype this engine cannot load (F8_E4M3, raw bytes).
    emit("st_f8.safetensors", {"f8": ("F8_E4M3", [2], b"\x38\x40")})

    # 6. Hand-laid file as other writers may produce: keys not in offset order, pretty-printed
    #    header, BOOL first so the F32 data starts at an odd offset (unaligned reads).
    mask = torch.tensor([True, True, False])
    w = torch.tensor([[1.25, -2.0]], dtype=torch.float32)
    hdr = ('{\n  "w": {"shape": [1, 2], "data_offsets": [3, 11], "dtype": "F32"},\n'
           '  "mask": {"dtype": "BOOL", "data_offsets": [0, 3], "shape": [3]}\n}')
    hdr = hdr.encode() + b" " * 5
    raw = struct.pack("<Q", len(hdr)) + hdr + torch_entry(mask)[2] + torch_entry(w)[2]
    emit("st_unsorted_unaligned.safetensors", None, None, {"w": w, "mask": mask}, raw_file=raw)

    with open(os.path.join(FIXTURES, "safetensors_expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote safetensors_expected.json")


# ----------------------------------------------------------------------------------------------
# Checks of files written by the TS code

def decode_expected(values):
    return [float(v) if isinstance(v, str) else v for v in values]


def check_values(path, expected_path):
    import torch
    with open(path, "rb") as f:
        tensors, metadata = read(f.read())
    with open(expected_path, encoding="utf-8") as f:
        exp = json.load(f)
    assert metadata == exp["metadata"], (metadata, exp["metadata"])
    assert set(tensors) == set(exp["tensors"]), sorted(set(tensors) ^ set(exp["tensors"]))
    torch_dtype = {"F32": torch.float32, "I32": torch.int32, "BOOL": torch.bool}
    for name, e in exp["tensors"].items():
        t = to_torch(*tensors[name])
        assert tensors[name][0] == e["dtype"], (name, tensors[name][0], e["dtype"])
        assert t.dtype == torch_dtype[e["dtype"]], (name, t.dtype)
        assert list(t.shape) == e["shape"], (name, list(t.shape), e["shape"])
        want = torch.tensor(decode_expected(e["values"]), dtype=torch.float64).reshape(e["shape"])
        assert torch.equal(t.double().nan_to_num(1234.5), want.nan_to_num(1234.5)), (name, t, want)
    print(f"ok: {len(tensors)} tensors and metadata match ({os.path.basename(path)})")


def check_state_dict(path):
    import torch
    with open(path, "rb") as f:
        tensors, _ = read(f.read())
    model = make_model()
    want = {k: (v * 2 + 1 if v.is_floating_point() else v + 1) for k, v in model.state_dict().items()}
    model.load_state_dict({k: to_torch(*v) for k, v in tensors.items()}, strict=True)
    got = model.state_dict()
    for k, v in want.items():
        assert got[k].dtype == v.dtype and torch.equal(got[k], v), (k, got[k], v)
    assert got["1.num_batches_tracked"].item() == 3
    print(f"ok: strict load_state_dict of {len(tensors)} tensors into the PyTorch model; values match")


def verdicts(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            buf = f.read()
        try:
            read_header(buf)
            out[name] = "ok"
        except FormatError as e:
            out[name] = f"error: {e}"
    print(json.dumps(out))


def selftest():
    def header_file(header, data=b""):
        h = header.encode("utf-8") if isinstance(header, str) else header
        return struct.pack("<Q", len(h)) + h + data

    good = serialize({"a": ("F32", [2], struct.pack("<2f", 1, 2)), "b": ("I64", [], struct.pack("<q", 5))}, {"k": "v"})
    ok_cases = {
        "writer output": good,
        "empty header": header_file("{}"),
        "crate test vector: leading/trailing whitespace": b"\x06\x00\x00\x00\x00\x00\x00\x00\x09\x0A{}\x0D\x20",
        "zero-size tensor": header_file('{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}'),
        "null metadata": header_file('{"__metadata__":null}'),
        "unknown extra field ignored": header_file('{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"z":[1,{}]}}', b"\x01"),
    }
    bad_cases = {
        "too short": b"\x01\x00",
        "header past the end": struct.pack("<Q", 100) + b"{}",
        "header over the cap": struct.pack("<Q", MAX_HEADER_SIZE + 1) + b"{}",
        "not starting with {": header_file('["a"]'),
        "BOM": header_file("\ufeff{}"),
        "NUL padding": header_file("{}\x00\x00"),
        "not UTF-8": header_file(b'{"\xff":1}'),
        "metadata not strings": header_file('{"__metadata__":{"a":1}}'),
        "unknown dtype": header_file('{"x":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
        "float shape": header_file('{"x":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', bytes(4)),
        "negative shape": header_file('{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', bytes(4)),
        "bool shape": header_file('{"x":{"dtype":"U8","shape":[true],"data_offsets":[0,1]}}', bytes(1)),
        "size mismatch": header_file('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', bytes(4)),
        "overlap": header_file('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                               '"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
        "hole": header_file('{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytes(8)),
        "trailing bytes": header_file('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(5)),
        "begin after end": header_file('{"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}', bytes(4)),
        "duplicate key": header_file('{"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},'
                                     '"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'),
        "NaN literal": header_file('{"__metadata__":{},"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"q":NaN}}'),
        "lone surrogate": header_file('{"\\ud800":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'),
        "F4 odd count": header_file('{"x":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}', bytes(2)),
        "missing field": header_file('{"x":{"dtype":"F32","shape":[1]}}', bytes(4)),
        "entry as array": header_file('{"x":["F32",[1],[0,4]]}', bytes(4)),
        "too deep": header_file('{"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"d":' + "[" * 200 + "]" * 200 + "}}"),
    }
    for name, buf in ok_cases.items():
        try:
            read_header(buf)
        except FormatError as e:
            raise AssertionError(f"selftest: {name} should be accepted: {e}")
    for name, buf in bad_cases.items():
        try:
            read_header(buf)
        except FormatError:
            continue
        raise AssertionError(f"selftest: {name} should be rejected")
    tensors, meta = read(good)
    assert meta == {"k": "v"} and list(tensors) == ["b", "a"]  # I64 sorts before F32, as the crate writes
    print(f"selftest ok: {len(ok_cases)} valid and {len(bad_cases)} invalid files")


def main(argv):
    mode = argv[1] if len(argv) > 1 else "generate"
    if mode == "generate":
        selftest()
        generate()
    elif mode == "check-values":
        check_values(argv[2], argv[3])
    elif mode == "check-state-dict":
        check_state_dict(argv[2])
    elif mode == "check-ts":
        check_values(argv[2], argv[3])
        check_state_dict(argv[4])
    elif mode == "verdicts":
        verdicts(argv[2])
    elif mode == "selftest":
        selftest()
    else:
        sys.exit(f"unknown mode {mode!r}; see the docstring")


if __name__ == "__main__":
    main(sys.argv)

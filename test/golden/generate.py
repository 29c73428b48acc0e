#!/usr/bin/env python3
"""Golden fixtures for the op-correctness tests.

Reads test/golden/cases.json (written by export-cases.ts: case specs, the deterministic inputs and
upstream gradients), evaluates every case with PyTorch in float64 (the golden values) and in
float32 (only to calibrate: how much of each case's tolerance a float32 PyTorch uses), and writes
test/golden/fixtures/ops.json with the forward output and, for differentiable cases, the gradient
of sum(out * u) w.r.t. every differentiable input leaf.

Large tensors (> FULL_LIMIT elements) are stored as statistics + a sample of positions.
Run through `npm run golden` (Debian python3-torch 1.13, numpy).
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases.json")
OUT = os.path.join(HERE, "fixtures", "ops.json")
FULL_LIMIT = 4096
SAMPLE_LINEAR = 768
SAMPLE_RANDOM = 256
NAMES = "abcdefgh"

torch.use_deterministic_algorithms(False)


def wave_params(gen):
    if not gen.startswith("wave("):
        return None
    p = [float(s) for s in gen[5:-1].split(",")]
    p += [None] * (4 - len(p))
    return {"k": p[0], "scale": 1.0 if p[1] is None else p[1], "offset": 0.0 if p[2] is None else p[2],
            "ramp": 0.0 if p[3] is None else p[3]}


def wave_values(n, w):
    # Same float64 operation order as waveValues() in test/cases/gen.ts, then rounded to float32.
    i = np.arange(n, dtype=np.float64)
    return (w["offset"] + w["scale"] * np.sin(i * 0.0123 + w["k"]) + w["ramp"] * i).astype(np.float32).astype(np.float64)


def checksum(v):
    v = np.asarray(v, dtype=np.float64)
    return float(np.sum(v * ((np.arange(v.size) % 7) + 1)))


def values_of(spec, n):
    w = wave_params(spec["gen"])
    if w is not None:
        vals = wave_values(n, w)
    else:
        vals = np.asarray(spec["values"], dtype=np.float64)
    assert vals.size == n, (spec.get("gen"), vals.size, n)
    ref = spec["checksum"]
    got = checksum(vals)
    if not math.isclose(got, ref, rel_tol=1e-9, abs_tol=1e-6 * max(1.0, np.abs(vals).sum() * 1e-6)):
        raise SystemExit(f"input checksum mismatch ({spec['gen']}): python {got!r} vs ts {ref!r}")
    return vals


def apply_view(t, view):
    for v in view:
        k = v["kind"]
        if k == "transpose":
            t = t.transpose(v["d0"], v["d1"])
        elif k == "permute":
            t = t.permute(*v["dims"])
        elif k == "slice":
            d = v["dim"] if v["dim"] >= 0 else v["dim"] + t.dim()
            idx = [slice(None)] * d + [slice(v["start"], v["end"], v["step"])]
            t = t[tuple(idx)]
        elif k == "expand":
            t = t.expand(*v["shape"])
        else:
            raise ValueError(k)
    return t


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def run_case(c, dtype):
    leaves, operands = [], []
    for spec in c["inputs"]:
        shape = spec["shape"]
        vals = values_of(spec, numel(shape))
        if spec["dtype"] == "int32":
            t = torch.tensor(vals.astype(np.int64)).reshape(shape)
        else:
            t = torch.tensor(vals, dtype=torch.float64).reshape(shape).to(dtype)
            if spec["grad"]:
                t.requires_grad_(True)
        leaves.append(t)
        operands.append(apply_view(t, spec.get("view", [])))
    env = {"torch": torch, "F": F, "dt": dtype, "math": math}
    for i, o in enumerate(operands):
        env[NAMES[i]] = o
    out = eval(c["torch"], env)  # noqa: S307 - expressions come from our own case file
    if list(out.shape) != list(c["outShape"]):
        raise SystemExit(f"{c['id']}: torch output shape {list(out.shape)} != reference shape {c['outShape']}")
    grads = []
    if c["u"] is not None:
        u = torch.tensor(values_of(c["u"], out.numel()), dtype=torch.float64).reshape(out.shape).to(dtype)
        (out * u).sum().backward()
        for spec, t in zip(c["inputs"], leaves):
            if spec["grad"]:
                g = t.grad if t.grad is not None else torch.zeros_like(t)
                grads.append(g.detach().to(torch.float64).numpy().reshape(-1))
            else:
                grads.append(None)
    o = out.detach()
    if o.dtype == torch.bool:
        o = o.to(torch.int64)
    return o.to(torch.float64).numpy().reshape(-1), grads


def num(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    r = float(f"{v:.10g}")
    return int(r) if r.is_integer() and abs(r) < 2**53 else r


def stored(arr, shape):
    n = arr.size
    if n <= FULL_LIMIT:
        return {"shape": shape, "values": [num(v) for v in arr]}
    lin = np.unique(np.round(np.linspace(0, n - 1, SAMPLE_LINEAR)).astype(np.int64))
    rnd = np.random.default_rng(n).integers(0, n, SAMPLE_RANDOM)
    idx = np.unique(np.concatenate([lin, rnd, [0, 1, n - 2, n - 1]]))
    return {
        "shape": shape,
        "n": int(n),
        "idx": [int(i) for i in idx],
        "values": [num(arr[i]) for i in idx],
        "sumAbs": num(np.sum(np.abs(arr))),
        "sumSq": num(np.sum(arr * arr)),
        "proj": num(signed_projection(arr)),
        "min": num(np.min(arr)),
        "max": num(np.max(arr)),
    }


def signed_projection(arr):
    """sum_i s_i * v_i, s_i = +-1 from bit 16 of (i * 0x9E3779B1) mod 2^32 (signedProjection in compare.ts)."""
    i = np.arange(arr.size, dtype=np.uint64)
    bit = ((i * np.uint64(0x9E3779B1)) % np.uint64(2**32)) >> np.uint64(16) & np.uint64(1)
    return float(np.sum(np.where(bit == 1, arr, -arr)))


def ratio(got, exp, tol):
    """Max over elements of |got - exp| / (atol * scale + rtol * |exp|), as compare() in compare.ts."""
    if got.size == 0:
        return 0.0
    scale = 1.0 if tol.get("scale") == "one" else max(1.0, float(np.max(np.abs(exp))))
    allowed = tol["atol"] * scale + tol["rtol"] * np.abs(exp)
    return float(np.max(np.abs(got - exp) / allowed))


def main():
    with open(CASES) as f:
        spec = json.load(f)
    only = set(sys.argv[1:])
    fixtures = {}
    calib = []
    for c in spec["cases"]:
        if only and c["id"] not in only:
            continue
        out64, g64 = run_case(c, torch.float64)
        entry = {
            "op": c["op"],
            "inputsChecksum": [s["checksum"] for s in c["inputs"]],
            "uChecksum": c["u"]["checksum"] if c["u"] else None,
            "out": stored(out64, c["outShape"]),
            "grads": [None if g is None else stored(g, s["shape"]) for g, s in zip(g64, c["inputs"])] if c["u"] else [],
        }
        # float32 PyTorch as a yardstick for the tolerances (not used by the tests).
        if c["outDtype"] == "float32":
            out32, g32 = run_case(c, torch.float32)
            r = {"out": ratio(out32, out64, c["tol"])}
            r["grads"] = [None if g is None else ratio(g, h, c["gradTol"]) for g, h in zip(g32, g64)]
            entry["torch32"] = {"out": round(r["out"], 4), "grads": [None if x is None else round(x, 4) for x in r["grads"]]}
            worst = max([r["out"]] + [x for x in r["grads"] if x is not None])
            calib.append((worst, c["id"]))
        fixtures[c["id"]] = entry
    doc = {
        "version": 1,
        "generator": f"test/golden/generate.py (torch {torch.__version__}, numpy {np.__version__}, float64)",
        "fullLimit": FULL_LIMIT,
        "cases": fixtures,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    if only and os.path.exists(OUT):
        with open(OUT) as f:
            old = json.load(f)
        old["cases"].update(fixtures)
        doc = {**old, "generator": doc["generator"]}
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    with open(OUT, "w") as f:
        f.write(text)
    calib.sort(reverse=True)
    print(f"generate.py: {len(fixtures)} cases -> {OUT} ({len(text) / 1e6:.2f} MB)")
    print("float32 PyTorch error / tolerance, worst cases (must stay well below 1):")
    for w, i in calib[:12]:
        print(f"  {w:8.4f}  {i}")
    bad = [i for w, i in calib if w >= 1]
    if bad:
        print(f"WARNING: float32 PyTorch itself fails the tolerance of: {', '.join(bad)}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch (CPU) timings of the cases in bench/run.ts, for a side-by-side comparison.

Reads {"threads": n, "budget_s": s, "cases": [{"name", "op", ...}]} as JSON on stdin and prints
{"torch": version, "threads": n, "blas": ..., "results": {name: {"seconds", "cpu_seconds"}}} as JSON on stdout.
Each case is timed like bench/run.ts times ours: repetitions of the op are batched into timed
samples of >= ~50 ms, and the reported time per op is the median over the samples; cpu_seconds is
the process CPU time (all threads) per op over all samples.
"""
import json
import os
import sys
import time

import torch


def make(case):
    op = case["op"]
    if op == "matmul":
        a = torch.randn(case["M"], case["K"])
        b = torch.randn(case["K"], case["N"])
        return lambda: torch.matmul(a, b)
    if op == "linear":
        x = torch.randn(case["M"], case["K"])
        w = torch.randn(case["N"], case["K"])
        return lambda: torch.nn.functional.linear(x, w)
    if op == "softmax":
        x = torch.randn(*case["shape"])
        return lambda: torch.softmax(x, dim=-1)
    if op == "sum":
        x = torch.randn(case["n"])
        return lambda: x.sum()
    raise ValueError(op)


def time_case(fn, budget_s):
    fn()  # warm-up
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    reps = max(1, min(1000, int(0.05 / one)))
    samples = []
    ops = 0
    start = time.perf_counter()
    cpu0 = time.process_time()
    while len(samples) < 3 or (time.perf_counter() - start < budget_s and len(samples) < 50):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - t0) / reps)
        ops += reps
    cpu = (time.process_time() - cpu0) / ops
    samples.sort()
    return {"seconds": samples[len(samples) // 2], "cpu_seconds": cpu}


def main():
    cfg = json.load(sys.stdin)
    torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(0)
    blas = "unknown"
    try:
        cfgstr = torch.__config__.show()
        for line in cfgstr.splitlines():
            if "BLAS_INFO" in line:
                blas = line.split("BLAS_INFO=")[1].split(",")[0].strip()
    except Exception:  # noqa: BLE001 - informational only
        pass
    if blas == "generic":  # Debian builds against libblas.so.3, resolved through alternatives
        lib = "/usr/lib/x86_64-linux-gnu/libblas.so.3"
        if os.path.exists(lib):
            blas = "libblas.so.3 -> " + os.path.realpath(lib)
    results = {}
    with torch.no_grad():
        for case in cfg["cases"]:
            results[case["name"]] = time_case(make(case), float(cfg.get("budget_s", 1.0)))
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()

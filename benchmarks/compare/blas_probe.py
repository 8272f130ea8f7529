#!/usr/bin/env python3
"""One OpenBLAS core type, as run.sh chooses PyTorch's: the core type OpenBLAS loaded (threadpoolctl), the best rate of a
float32 2048³ product through PyTorch, and whether its result is right: every element within the float32 rounding bound
k·u·(|A|·|B|) of the float64 product. Run with OPENBLAS_CORETYPE set (or unset) by the caller; prints one JSON line."""
import json
import time

import threadpoolctl
import torch

torch.set_num_threads(2)
torch.manual_seed(0)
n = 2048
a, b = torch.randn(n, n), torch.randn(n, n)
c = a @ b
exact = a.double() @ b.double()
bound = n * 2.0 ** -24 * (a.double().abs() @ b.double().abs())
correct = bool(((c.double() - exact).abs() <= bound).all())
worst = float(((c.double() - exact).abs() / bound).max())
best = float("inf")
start = time.perf_counter()
while time.perf_counter() - start < 2.0:
    t0 = time.perf_counter()
    torch.mm(a, b, out=c)
    best = min(best, time.perf_counter() - t0)
blas = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"]
print(json.dumps({
    "torch": torch.__version__,
    "blas": blas[0]["internal_api"] if blas else None,
    "version": blas[0].get("version") if blas else None,
    "corename": blas[0].get("architecture") if blas else None,
    "threading": blas[0].get("threading_layer") if blas else None,
    "threads": blas[0].get("num_threads") if blas else None,
    "gflops": round(2 * n ** 3 / best / 1e9, 1),
    "correct": correct,
    "worst_error_over_bound": worst,
}))

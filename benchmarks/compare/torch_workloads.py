#!/usr/bin/env python3
"""PyTorch side of benchmarks/compare/run.sh: the same workloads as AutoGrad's `compare` mode, timed the same
way (warm-up, then the median of repeated runs), printed as JSON {name: seconds}."""
import json
import statistics
import sys
import time

import torch
from torch import nn

from mnist_idx import load_split  # beside this script

torch.set_num_threads(2)
torch.manual_seed(0)


def blas_core():
    """The OpenBLAS core type that ran (threadpoolctl), so that the table says which kernels PyTorch had."""
    try:
        import threadpoolctl
        return next((i.get("architecture") for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"), None)
    except ImportError:
        return None


def median_time(fn, min_seconds=0.5, max_reps=200):
    warm = time.perf_counter()
    for i in range(5000):
        fn()
        if i >= 2 and time.perf_counter() - warm > 3.0:
            break
    times = []
    start = time.perf_counter()
    while len(times) < max_reps and (time.perf_counter() - start < min_seconds or len(times) < 5):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


results = {}
for n in (256, 512, 1024, 2048):
    a, b = torch.randn(n, n), torch.randn(n, n)
    results[f"gemm {n}"] = median_time(lambda: a @ b)

# The MLP's products at batch 128 and 512, as its forward and backward run them: transposed operands are views, so
# OpenBLAS gets its transpose flags (no copies), as AutoGrad's kernels get theirs. Written into a preallocated C on both
# sides: these are kernel-against-kernel figures.
# With the argument gemm (run.sh's short alternating rounds): the square products and the two large ones of batch 512.
gemm_only = sys.argv[1:] == ["gemm"]
for batch in (512,) if gemm_only else (128, 512):
    x, w1 = torch.rand(batch, 784), torch.randn(784, 512)
    d, h = torch.randn(batch, 512), torch.rand(batch, 512)
    d10, w2 = torch.randn(batch, 10), torch.randn(512, 10)
    for name, left, right in (
        (f"{batch}×784·784×512 (x·W1)", x, w1),
        (f"784×{batch}ᵀ·{batch}×512 (xᵀ·δ)", x.t(), d),
        (f"{batch}×10·10×512ᵀ (δ·W2ᵀ)", d10, w2.t()),
        (f"{batch}×512·512×10 (h·W2)", h, w2),
        (f"512×{batch}ᵀ·{batch}×10 (hᵀ·δ)", h.t(), d10),
    )[:2 if gemm_only else 5]:
        out = torch.empty(left.shape[0], right.shape[1])
        results[f"gemm {name}"] = median_time(lambda: torch.mm(left, right, out=out))

if gemm_only:
    print(json.dumps({"torch": torch.__version__, "blas": blas_core(), "results": results}))
    sys.exit(0)

for batch in (1, 32, 128, 512):
    model = nn.Sequential(nn.Linear(784, 512), nn.Sigmoid(), nn.Linear(512, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.rand(batch, 784), torch.arange(batch) % 10
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    results[f"mlp step {batch}"] = median_time(step)


def chain():
    x = torch.tensor(0.3, requires_grad=True)
    y = x
    for _ in range(333):
        y = (y + 0.5) * 0.9
        y = torch.tanh(y)
    y.backward()


results["scalar chain 999 ops"] = median_time(chain)


def mnist_epoch(activation, make_optimizer, batch, directory):
    """Times one epoch, then (untimed) returns the test accuracy it reached. The layers start as AutoGrad's
    Linear does (Xavier-uniform weights, zero biases) so that both sides train the same network."""
    x, y = load_split(directory, "train")
    model = nn.Sequential(nn.Linear(784, 512), activation(), nn.Linear(512, 10))
    for layer in (model[0], model[2]):
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    opt = make_optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    order = torch.randperm(len(x))
    for i in range(0, len(x), batch):
        idx = order[i:i + batch]
        opt.zero_grad()
        loss_fn(model(x[idx]), y[idx]).backward()
        opt.step()
    elapsed = time.perf_counter() - start
    test_x, test_y = load_split(directory, "t10k")
    with torch.no_grad():
        accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
    return elapsed, accuracy


import os
mnist = os.path.join(os.environ.get("AUTOGRAD_DATA", os.path.expanduser("~/.cache/autograd")), "mnist")
accuracy = {}
if os.path.exists(os.path.join(mnist, "train-images-idx3-ubyte")):
    for name, activation, make_optimizer, batch in (
            ("mnist epoch sigmoid/sgd/64", nn.Sigmoid, lambda p: torch.optim.SGD(p, lr=0.1), 64),
            ("mnist epoch relu/adam/128", nn.ReLU, lambda p: torch.optim.Adam(p, lr=1e-3), 128)):
        # The median of three epochs, each from a fresh network (one timed epoch moved by ±10% from run to run).
        runs = sorted((mnist_epoch(activation, make_optimizer, batch, mnist) for _ in range(3)), key=lambda r: r[0])
        results[name], accuracy[name] = runs[1]
print(json.dumps({"torch": torch.__version__, "blas": blas_core(), "results": results, "accuracy": accuracy}))

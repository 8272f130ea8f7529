#!/usr/bin/env python3
"""PyTorch side of benchmarks/compare/run.sh: the same workloads as AutoGrad's `compare` mode, timed the same
way (warm-up, then the median of repeated runs), printed as JSON {name: seconds}."""
import json
import statistics
import sys
import time

import torch
from torch import nn

torch.set_num_threads(2)
torch.manual_seed(0)


def median_time(fn, min_seconds=0.5, max_reps=200):
    for _ in range(3):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_reps and (time.perf_counter() - start < min_seconds or len(times) < 5):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


results = {}
for n in (256, 512, 1024):
    a, b = torch.randn(n, n), torch.randn(n, n)
    results[f"gemm {n}"] = median_time(lambda: a @ b)

for batch in (1, 32, 128):
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
print(json.dumps({"torch": torch.__version__, "results": results}))

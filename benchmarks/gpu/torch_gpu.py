#!/usr/bin/env python3
"""PyTorch side of benchmarks/gpu/run.sh: the workloads of AutoGrad.GpuCheck's `bench`, under the same names and sizes,
timed the same way (a first run, warm-up rounds, then the median over rounds of a batch of operations followed by one
torch.cuda.synchronize()), written as JSON {side, info, results: {name: {seconds, unit, rate, ...}}, errors}.

TF32 is off everywhere (float32 products are true float32, as AutoGrad's). The MLP step and the MNIST epoch are eager
PyTorch with the same architecture, optimizer and loss as benchmarks/compare/torch_workloads.py (its CPU counterpart).

usage: torch_gpu.py [--device cuda:0] [--quick] [--json PATH] [--mnist DIR] [--only NAME,...]
"""
import argparse
import json
import os
import statistics
import sys
import time
import traceback

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare"))
from mnist_idx import load_split  # noqa: E402 (shared with compare/torch_workloads.py)

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")

parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cuda:0")
parser.add_argument("--quick", action="store_true", help="tiny sizes and short timings (a smoke run)")
parser.add_argument("--json", help="write the results here (default: stdout)")
parser.add_argument("--mnist", help="directory with the four MNIST IDX files (default: $AUTOGRAD_DATA/mnist)")
parser.add_argument("--only", help="comma-separated substrings of workload names to run")
args = parser.parse_args()

dev = torch.device(args.device)
cuda = dev.type == "cuda"
quick = args.quick
only = [o.strip().lower() for o in args.only.split(",")] if args.only else None
WARM, MEASURE = (0.02, 0.05) if quick else (0.3, 1.0)
results, errors, info = {}, {}, {}
HIDDEN = 16 if quick else 512  # 784-512-10; a quick run's 784-16-10 as AutoGrad.GpuCheck's
torch.manual_seed(0)


def sync():
    if cuda:
        torch.cuda.synchronize(dev)


def timed(op, max_per_round=1000):
    """Seconds per call: the median over rounds of (a batch of calls, then one synchronization)."""
    op()
    sync()
    t0 = time.perf_counter()
    op()
    sync()
    one = max(time.perf_counter() - t0, 1e-7)
    per = int(min(max(MEASURE / 10 / one, 1), max_per_round))

    def round_():
        t = time.perf_counter()
        for _ in range(per):
            op()
        sync()
        return (time.perf_counter() - t) / per

    warm = time.perf_counter()
    while True:
        round_()
        if time.perf_counter() - warm >= WARM:
            break
    times, start = [], time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < MEASURE and len(times) < 100):
        times.append(round_())
    return statistics.median(times)


def fmt(s):
    return f"{s:.3f} s" if s >= 1 else f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.2f} µs"


def document():
    return json.dumps({"side": "torch", "quick": quick, "info": info, "results": results, "errors": errors}, indent=2)


def save():
    """The JSON so far, after every workload: a run stopped by its timeout keeps what it measured."""
    if args.json:
        with open(args.json, "w") as f:
            f.write(document())


def record(name, seconds, unit, rate, **extra):
    results[name] = {"seconds": seconds, "unit": unit, "rate": rate, **extra}
    print(f"| {name:<34} | {fmt(seconds):>12} | {rate:>10.4g} {unit:<7} |", flush=True)
    save()


def attempt(name, body):
    if only is not None and not any(o in name.lower() for o in only):
        return
    try:
        body()
    except Exception as e:  # one workload's failure must not stop the others
        errors[name] = f"{type(e).__name__}: {e}"
        save()
        print(f"| {name:<34} | {'failed':>12} | {type(e).__name__:>18} |", flush=True)
        traceback.print_exc(file=sys.stderr)
    finally:
        if cuda:
            torch.cuda.empty_cache()


def rand(*shape):
    return torch.rand(*shape, device=dev) * 2 - 1


# --- device bandwidth: copy and elementwise, float32, GB/s counting each element read and written once
n = 1 << 12 if quick else 1 << 26


def bw_copy():
    x, y = rand(n), torch.empty(n, device=dev)
    s = timed(lambda: y.copy_(x))
    record(f"copy {n}", s, "GB/s", 8.0 * n / s / 1e9)


def bw_add():
    a, b, y = rand(n), rand(n), torch.empty(n, device=dev)
    s = timed(lambda: torch.add(a, b, out=y))
    record(f"add {n}", s, "GB/s", 12.0 * n / s / 1e9)


def bw_exp():
    x, y = rand(n), torch.empty(n, device=dev)
    s = timed(lambda: torch.exp(x, out=y))
    record(f"exp {n}", s, "GB/s", 8.0 * n / s / 1e9)


# --- reductions (GB/s of input read)
full, side = (1 << 12, 64) if quick else (1 << 22, 4096)


def sum_all():
    x = rand(full)
    s = timed(lambda: torch.sum(x), max_per_round=100)
    record(f"sum all {full}", s, "GB/s", 4.0 * full / s / 1e9)


def reduce_2d(name, fn):
    def body():
        x, y = rand(side, side), torch.empty(side, device=dev)
        s = timed(lambda: fn(x, y), max_per_round=200)
        record(f"{name} {side}x{side}", s, "GB/s", 4.0 * side * side / s / 1e9)
    return body


rows, cols = (64, 100) if quick else (8192, 1024)


def softmax():
    x = torch.randn(rows, cols, device=dev)
    s = timed(lambda: torch.softmax(x, 1), max_per_round=200)
    record(f"softmax {rows}x{cols}", s, "GB/s", 8.0 * rows * cols / s / 1e9)


def gemm(k):
    def body():
        a, b, c = rand(k, k), rand(k, k), torch.empty(k, k, device=dev)
        s = timed(lambda: torch.mm(a, b, out=c), max_per_round=50)
        record(f"gemm {k}", s, "GFLOP/s", 2.0 * k ** 3 / s / 1e9)
    return body


def launch_api():
    x = torch.ones(1, device=dev)
    s = timed(lambda: x + 1)
    record("launch tiny op (api)", s, "µs/op", s * 1e6)


def launch_kernel():
    y = torch.empty(1, device=dev)
    s = timed(lambda: y.fill_(1.0))
    record("launch tiny kernel", s, "µs/op", s * 1e6)


def mlp_step(batch):
    def body():
        model = nn.Sequential(nn.Linear(784, HIDDEN), nn.Sigmoid(), nn.Linear(HIDDEN, 10)).to(dev)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.rand(batch, 784, device=dev), torch.arange(batch, device=dev) % 10
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()

        s = timed(step, max_per_round=200)
        with torch.no_grad():
            loss = loss_fn(model(x), y).item()
        record(f"mlp step {batch}", s, "samples/s", batch / s, loss_after=loss)
    return body


def mnist_epoch(name, activation, make_optimizer, batch, directory):
    """As AutoGrad's Trainer: batches gathered on the host and copied to the device, the loss and the batch's correct
    count read back every step. A warm-up epoch on 2048 rows, then timed epochs from a fresh network (the fastest).
    Quick: 128 training rows, 64 test rows, hidden width 16 (as AutoGrad.GpuCheck's quick run)."""
    def body():
        x, y = load_split(directory, "train")
        tx, ty = load_split(directory, "t10k")
        if quick:
            x, y, tx, ty = x[:128], y[:128], tx[:64], ty[:64]

        def fit(xs, ys):
            model = nn.Sequential(nn.Linear(784, HIDDEN), activation(), nn.Linear(HIDDEN, 10)).to(dev)
            for layer in (model[0], model[2]):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
            opt = make_optimizer(model.parameters())
            loss_fn = nn.CrossEntropyLoss()
            sync()
            start = time.perf_counter()
            order = torch.randperm(len(xs))
            loss_sum, correct = 0.0, 0
            for i in range(0, len(xs), batch):
                idx = order[i:i + batch]
                xb, yb = xs[idx].to(dev), ys[idx].to(dev)
                opt.zero_grad()
                out = model(xb)
                loss = loss_fn(out, yb)
                loss.backward()
                opt.step()
                loss_sum += loss.item() * len(idx)
                correct += (out.argmax(1) == yb).sum().item()
            sync()
            return time.perf_counter() - start, model

        fit(x[:64 if quick else 2048], y[:64 if quick else 2048])
        runs = [fit(x, y) for _ in range(1 if quick else 2)]
        seconds, model = min(runs, key=lambda r: r[0])
        with torch.no_grad():
            accuracy = (model(tx.to(dev)).argmax(1).cpu() == ty).float().mean().item()
        record(name, seconds, "samples/s", len(x) / seconds, accuracy=accuracy,
               epoch_seconds=[r[0] for r in runs], train_rows=len(x))
    return body


info.update({
    "torch": torch.__version__,
    "cuda_runtime": torch.version.cuda,
    "device": args.device,
    "device_description": torch.cuda.get_device_name(dev) if cuda else "cpu",
    "capability": ".".join(map(str, torch.cuda.get_device_capability(dev))) if cuda else None,
    "device_memory_bytes": torch.cuda.get_device_properties(dev).total_memory if cuda else 0,
    "allow_tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
    "allow_tf32_cudnn": torch.backends.cudnn.allow_tf32,
    "float32_matmul_precision": torch.get_float32_matmul_precision(),
    "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
})
save()
print(f"PyTorch {torch.__version__} on {args.device} ({info['device_description']}){', quick sizes' if quick else ''}; TF32 off")
print(f"| {'workload':<34} | {'time/op':>12} | {'rate':>18} |")
print(f"|{'-' * 36}|{'-' * 14}|{'-' * 20}|")
attempt(f"copy {n}", bw_copy)
attempt(f"add {n}", bw_add)
attempt(f"exp {n}", bw_exp)
attempt(f"sum all {full}", sum_all)
attempt(f"sum rows {side}x{side}", reduce_2d("sum rows", lambda x, y: torch.sum(x, 1, out=y)))
attempt(f"sum cols {side}x{side}", reduce_2d("sum cols", lambda x, y: torch.sum(x, 0, out=y)))
attempt(f"max rows {side}x{side}", reduce_2d("max rows", lambda x, y: torch.amax(x, 1, out=y)))
attempt(f"softmax {rows}x{cols}", softmax)
for k in ((32, 64) if quick else (1024, 2048, 4096, 8192)):
    attempt(f"gemm {k}", gemm(k))
attempt("launch tiny op (api)", launch_api)
attempt("launch tiny kernel", launch_kernel)
for b in ((8, 32) if quick else (128, 512, 2048, 8192)):
    attempt(f"mlp step {b}", mlp_step(b))

mnist = args.mnist or os.path.join(os.environ.get("AUTOGRAD_DATA", os.path.expanduser("~/.cache/autograd")), "mnist")
if os.path.exists(os.path.join(mnist, "train-images-idx3-ubyte")):
    attempt("mnist epoch sigmoid/sgd/64", mnist_epoch("mnist epoch sigmoid/sgd/64", nn.Sigmoid, lambda p: torch.optim.SGD(p, lr=0.1), 64, mnist))
    attempt("mnist epoch relu/adam/128", mnist_epoch("mnist epoch relu/adam/128", nn.ReLU, lambda p: torch.optim.Adam(p, lr=1e-3), 128, mnist))
elif only is None or any("mnist" in o for o in only):
    errors["mnist"] = f"no MNIST files in {mnist} (pass --mnist DIR)"

if args.json:
    save()
    print(f"wrote {args.json}")
else:
    print(document())
for name, error in errors.items():
    print(f"error in {name}: {error}")
sys.exit(1 if errors else 0)

#!/usr/bin/env python3
"""Joins AutoGrad.GpuCheck's and torch_gpu.py's JSON into one markdown report: the issue's targets as ratios with PASS or
MISS, every workload side by side, the cuBLAS-through-ILGPU products, the GPU test suite's counts and any errors.
Standard library only.

usage: report.py --ours autograd.json --torch torch.json [--tests tests.log] [--machine machine.txt] [--commit TEXT]
"""
import argparse
import json
import os
import re

parser = argparse.ArgumentParser()
parser.add_argument("--ours", required=True)
parser.add_argument("--torch", required=True)
parser.add_argument("--tests")
parser.add_argument("--machine")
parser.add_argument("--commit", default="?")
args = parser.parse_args()


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"results": {}, "errors": {"(file)": f"{path}: {e}"}, "info": {}}


ours, theirs = load(args.ours), load(args.torch)
o, t = ours.get("results", {}), theirs.get("results", {})


def fmt_time(s):
    return f"{s:.3f} s" if s >= 1 else f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.2f} µs"


def fmt_rate(r):
    return f"{r['rate']:.4g} {r['unit']}"


def speed(name, base=None):
    """AutoGrad's speed over PyTorch's on a workload: PyTorch's time / AutoGrad's time (same work on both sides)."""
    a, b = o.get(name), t.get(base or name)
    return b["seconds"] / a["seconds"] if a and b else None


lines = []
add = lines.append
oi, ti = ours.get("info", {}), theirs.get("info", {})
add(f"# GPU benchmark: AutoGrad vs PyTorch on {ti.get('device_description') or oi.get('device_description', '?')}")
add("")
add(f"- date: {oi.get('date_utc', '?')}; commit: {args.commit}")
add(f"- AutoGrad side: device {oi.get('device', '?')}, CUDA driver API {oi.get('cuda_driver_version', '?')}, "
    f"architecture {oi.get('cuda_architecture', '?')}, PTX {oi.get('ptx_instruction_set', '?')}, {oi.get('runtime', '?')}")
add(f"- PyTorch side: torch {ti.get('torch', '?')} (CUDA {ti.get('cuda_runtime', '?')}), eager, "
    f"TF32 off (matmul {ti.get('allow_tf32_matmul', '?')}, cuDNN {ti.get('allow_tf32_cudnn', '?')}, precision {ti.get('float32_matmul_precision', '?')})")
if ours.get("quick") or theirs.get("quick"):
    add("- **quick sizes** (a smoke run): the figures say nothing about speed")
if args.machine and os.path.exists(args.machine):
    with open(args.machine) as f:
        m = f.read()
    driver = re.search(r"Driver Version:\s*([\d.]+)", m)
    if driver:
        add(f"- NVIDIA driver {driver.group(1)}")
add("")

# --- targets (issue 18)
targets = []  # (target, autograd, pytorch, ratio text, goal, verdict)


def verdict(ratio, goal):
    return "n/a" if ratio is None else ("PASS" if ratio >= goal else "MISS")


def ratio_text(r):
    return "–" if r is None else f"{r:.3g}×"


mlp = sorted(int(m.group(1)) for n in o for m in [re.fullmatch(r"mlp step (\d+)", n)] if m)
small = [b for b in mlp if b <= 512]
for b in small:
    r = speed(f"mlp step {b}")
    targets.append((f"MLP step, batch {b}: compiled ≥ PyTorch eager", fmt_time(o[f'mlp step {b}']['seconds']),
                    fmt_time(t[f'mlp step {b}']['seconds']) if f"mlp step {b}" in t else "–", ratio_text(r), "≥ 1.00×", verdict(r, 1.0)))
if mlp and max(mlp) > 512:
    b = max(mlp)
    r = speed(f"mlp step {b}")
    targets.append((f"MLP step, batch {b}: ≥ 0.5× PyTorch's throughput", fmt_time(o[f'mlp step {b}']['seconds']),
                    fmt_time(t[f'mlp step {b}']['seconds']) if f"mlp step {b}" in t else "–", ratio_text(r), "≥ 0.50×", verdict(r, 0.5)))
gemms = sorted(int(m.group(1)) for n in o for m in [re.fullmatch(r"gemm (\d+)", n)] if m)
for n in [n for n in gemms if n >= 2048]:
    for name, label in ((f"gemm {n}", "AutoGrad's kernel"), (f"gemm {n} cublas", "cuBLAS through ILGPU")):
        if name in o:
            r = speed(name, f"gemm {n}")
            targets.append((f"GEMM n = {n}, {label}: ≥ 60 % of cuBLAS (torch)", fmt_rate(o[name]),
                            fmt_rate(t[f'gemm {n}']) if f"gemm {n}" in t else "–", ratio_text(r), "≥ 0.60×", verdict(r, 0.6)))
copies = [r["rate"] for side in (o, t) for n, r in side.items() if n.startswith("copy ")]
if copies:
    bandwidth = max(copies)
    for name in [n for n in o if re.fullmatch(r"(add|exp) \d+", n)]:
        r = o[name]["rate"] / bandwidth
        targets.append((f"elementwise {name.split()[0]}: ≥ 80 % of the device's copy bandwidth ({bandwidth:.4g} GB/s)",
                        fmt_rate(o[name]), fmt_rate(t[name]) if name in t else "–", ratio_text(r), "≥ 0.80×", verdict(r, 0.8)))

add("## Targets")
add("")
add("| target | AutoGrad | PyTorch | ratio | goal | result |")
add("|---|---:|---:|---:|---:|:---:|")
for row in targets:
    add("| " + " | ".join(row) + " |")
if not targets:
    add("| (no figures) | | | | | |")
passed = sum(1 for r in targets if r[5] == "PASS")
add("")
add(f"{passed} of {len(targets)} targets met. Ratio: AutoGrad's speed over PyTorch's (PyTorch's time / AutoGrad's), "
    "or, for elementwise, AutoGrad's GB/s over the best copy bandwidth measured on the device.")
add("")

# --- every workload
add("## All workloads")
add("")
add("| workload | AutoGrad | | PyTorch | | AutoGrad speed / PyTorch |")
add("|---|---:|---:|---:|---:|---:|")
names = list(o) + [n for n in t if n not in o]
for name in names:
    a, b = o.get(name), t.get(name.replace(" cublas", ""))
    if name.endswith(" cublas"):
        b = None
    cells = [name,
             fmt_time(a["seconds"]) if a else "–", fmt_rate(a) if a else "–",
             fmt_time(t[name]["seconds"]) if name in t else "–", fmt_rate(t[name]) if name in t else "–",
             ratio_text(speed(name)) if a and name in t else "–"]
    add("| " + " | ".join(cells) + " |")
add("")
acc = [(n, o[n].get("accuracy"), t.get(n, {}).get("accuracy")) for n in o if n.startswith("mnist")]
if acc:
    add("MNIST test accuracy after the timed epoch: " + "; ".join(
        f"{n[12:]}: AutoGrad {a * 100:.2f} %, PyTorch {b * 100:.2f} %" if b is not None else f"{n[12:]}: AutoGrad {a * 100:.2f} %"
        for n, a, b in acc if a is not None) + ".")
    add("")
blas = [(n, o[n]) for n in o if n.endswith(" cublas")]
if blas or "cublas_binding" in oi:
    add(f"cuBLAS through ILGPU.Algorithms: binding {oi.get('cublas_binding', '?')}, library version {oi.get('cublas_version', '?')}, "
        f"math mode {oi.get('cublas_math_mode', '?')}; largest difference from AutoGrad's product, relative to its largest element: "
        + ", ".join(f"n = {n.split()[1]}: {r.get('max_abs_difference_from_ours_relative', float('nan')):.2e}" for n, r in blas) + ".")
    add("")

# --- tests
if args.tests:
    add("## GPU test suite")
    add("")
    try:
        with open(args.tests) as f:
            log = f.read()
        summary = re.findall(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", log, re.M)
        if summary:
            p, fl, s = summary[-1]
            add(f"AutoGrad.Gpu.Tests on {oi.get('device', 'the device')}: {p} passed, {fl} failed, {s} skipped.")
        else:
            add("The test run did not finish (no summary line); see tests.log.")
        failures = re.findall(r"^\[FAIL\].*$", log, re.M)
        for line in failures[:20]:
            add(f"- `{line.strip()}`")
        if len(failures) > 20:
            add(f"- … and {len(failures) - 20} more")
    except OSError as e:
        add(f"no test log: {e}")
    add("")

errs = [("AutoGrad", n, e) for n, e in ours.get("errors", {}).items()] + [("PyTorch", n, e) for n, e in theirs.get("errors", {}).items()]
if errs:
    add("## Errors")
    add("")
    for side, n, e in errs:
        add(f"- {side}, {n}: {e}")
    add("")
print("\n".join(lines))

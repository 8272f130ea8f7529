#!/usr/bin/env bash
# Side-by-side: the same workloads in PyTorch and in AutoGrad, in one go, as one table of times and ratios.
# Installs what the PyTorch side needs (Debian's python3-torch with the OpenMP build of OpenBLAS, so that
# PyTorch neither falls back to the reference BLAS nor fights its own OpenMP threads).
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for pkg in python3-torch python3-numpy libopenblas0-openmp; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if (( ${#need[@]} )); then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

dotnet build -c Release benchmarks/AutoGrad.Benchmarks >/dev/null
ours=$(dotnet benchmarks/AutoGrad.Benchmarks/bin/Release/net10.0/AutoGrad.Benchmarks.dll compare)
# The OpenMP OpenBLAS, explicitly, whatever the system default. In a VM that reports a generic CPU model,
# OpenBLAS's detection falls back to its "Prescott" SSE3 kernels (about a quarter of the machine's speed);
# name the core type from the CPU's flags so that PyTorch gets its real BLAS speed.
coretype=${OPENBLAS_CORETYPE:-}
if [[ -z "$coretype" ]]; then
  if grep -q avx512f /proc/cpuinfo; then coretype=SkylakeX; elif grep -q avx2 /proc/cpuinfo; then coretype=Haswell; fi
fi
theirs=$(OPENBLAS_CORETYPE=$coretype LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 /usr/bin/python3 benchmarks/compare/torch_workloads.py)

CORETYPE=$coretype /usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
import os
print(f"PyTorch {theirs['torch']} (2 threads, OpenMP OpenBLAS, core type {os.environ.get('CORETYPE', '?')}) vs AutoGrad {ours['autograd']}, median times")
print(f"| {'workload':<22} | {'PyTorch':>12} | {'AutoGrad':>12} | {'speed-up':>8} |")
print(f"|{'-' * 24}|{'-' * 14}|{'-' * 14}|{'-' * 10}|")
def fmt(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} µs"
for name, t in theirs["results"].items():
    if name not in ours["results"]:
        continue
    o = ours["results"][name]
    print(f"| {name:<22} | {fmt(t):>12} | {fmt(o):>12} | {t / o:>7.2f}× |")
# AutoGrad-only variants of a workload (e.g. "mlp step 512 (uncompiled)"), against the same PyTorch time.
for name, o in ours["results"].items():
    base = name.split(" (")[0]
    if name in theirs["results"] or base not in theirs["results"]:
        continue
    t = theirs["results"][base]
    print(f"| {name:<22} | {fmt(t):>12} | {fmt(o):>12} | {t / o:>7.2f}× |")
# The MNIST epochs must not buy speed with accuracy: test accuracy after the timed epoch, same hyper-parameters
# and initialization on both sides (the shuffling order differs, so expect a few tenths of a point either way).
acc_t, acc_o = theirs.get("accuracy", {}), ours.get("accuracy", {})
if acc_t and acc_o:
    print()
    print(f"| {'test accuracy':<26} | {'PyTorch':>8} | {'AutoGrad':>8} | {'difference':>10} |")
    print(f"|{'-' * 28}|{'-' * 10}|{'-' * 10}|{'-' * 12}|")
    for name, a in acc_t.items():
        if name in acc_o:
            print(f"| {name:<26} | {a * 100:>7.2f}% | {acc_o[name] * 100:>7.2f}% | {(acc_o[name] - a) * 100:>+7.2f} pt |")
PY

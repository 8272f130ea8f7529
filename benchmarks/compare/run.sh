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
# The OpenMP OpenBLAS, explicitly, whatever the system default. In a VM that reports a generic CPU model,
# OpenBLAS's detection falls back to its "Prescott" SSE3 kernels (about a quarter of the machine's speed);
# name the core type from the CPU's flags so that PyTorch gets its real BLAS speed.
coretype=${OPENBLAS_CORETYPE:-}
if [[ -z "$coretype" ]]; then
  if grep -q avx512f /proc/cpuinfo; then coretype=SkylakeX; elif grep -q avx2 /proc/cpuinfo; then coretype=Haswell; fi
fi

# Rounds, alternating the two sides: on a shared 2-vCPU machine a neighbour's load comes and goes over tens of
# seconds (one core's GEMM measured 92 to 153 GFLOP/s while another process ran on the other core), so each side
# is measured in every round and each figure is the median over rounds, with the range of per-round ratios.
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ((r = 1; r <= rounds; r++)); do
  echo "round $r of $rounds: AutoGrad" >&2
  dotnet benchmarks/AutoGrad.Benchmarks/bin/Release/net10.0/AutoGrad.Benchmarks.dll compare >"$work/ours.$r.json"
  echo "round $r of $rounds: PyTorch" >&2
  OPENBLAS_CORETYPE=$coretype LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 \
    /usr/bin/python3 benchmarks/compare/torch_workloads.py >"$work/theirs.$r.json"
done

(( rounds > 0 )) && CORETYPE=$coretype /usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, os, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{work}/ours.{r}.json")) for r in range(1, rounds + 1)]
theirs = [json.load(open(f"{work}/theirs.{r}.json")) for r in range(1, rounds + 1)]
print(f"PyTorch {theirs[0]['torch']} (2 threads, OpenMP OpenBLAS, core type {os.environ.get('CORETYPE', '?')}) vs "
      f"AutoGrad {ours[0]['autograd']}: median times over {rounds} alternating rounds, and the range of the rounds' ratios")
print(f"| {'workload':<38} | {'PyTorch':>10} | {'AutoGrad':>10} | {'speed-up':>8} | {'rounds':>13} |")
print(f"|{'-' * 40}|{'-' * 12}|{'-' * 12}|{'-' * 10}|{'-' * 15}|")
def fmt(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} µs"
def row(name, base):
    t = [run["results"][base] for run in theirs]
    o = [run["results"][name] for run in ours]
    ratios = [a / b for a, b in zip(t, o)]
    tm, om = statistics.median(t), statistics.median(o)
    print(f"| {name:<38} | {fmt(tm):>10} | {fmt(om):>10} | {tm / om:>7.2f}× | {min(ratios):.2f}–{max(ratios):.2f}× |")
names = list(ours[0]["results"])
for name in theirs[0]["results"]:
    if name in names:
        row(name, name)
# AutoGrad-only variants of a workload (e.g. "mlp step 512 (uncompiled)"), against the same PyTorch time.
for name in names:
    base = name.split(" (")[0]
    if name not in theirs[0]["results"] and base in theirs[0]["results"]:
        row(name, base)
# The MNIST epochs must not buy speed with accuracy: test accuracy after the timed epoch, same hyper-parameters
# and initialization on both sides (the shuffling order differs, so expect a few tenths of a point either way).
acc_t, acc_o = theirs[-1].get("accuracy", {}), ours[-1].get("accuracy", {})
if acc_t and acc_o:
    print()
    print(f"| {'test accuracy (last round)':<38} | {'PyTorch':>8} | {'AutoGrad':>8} | {'difference':>10} |")
    print(f"|{'-' * 40}|{'-' * 10}|{'-' * 10}|{'-' * 12}|")
    for name, a in acc_t.items():
        if name in acc_o:
            print(f"| {name:<38} | {a * 100:>7.2f}% | {acc_o[name] * 100:>7.2f}% | {(acc_o[name] - a) * 100:>+7.2f} pt |")
PY

# The square GEMMs and the MLP's two large products again in short rounds (the products alone, about 20 s a side),
# alternating which side goes first:
# the clock of this kind of VM drifts by several per cent over the minutes a full round takes, which the full rounds'
# per-round ratios mix into the comparison. Set GEMM_ROUNDS=0 to skip.
gemm_rounds=${GEMM_ROUNDS:-6}
if (( gemm_rounds > 0 )); then
  for ((r = 1; r <= gemm_rounds; r++)); do
    echo "gemm round $r of $gemm_rounds" >&2
    ours() { dotnet benchmarks/AutoGrad.Benchmarks/bin/Release/net10.0/AutoGrad.Benchmarks.dll compare gemm >"$work/gemm-ours.$r.json"; }
    theirs() {
      OPENBLAS_CORETYPE=$coretype LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 \
        /usr/bin/python3 benchmarks/compare/torch_workloads.py gemm >"$work/gemm-theirs.$r.json"
    }
    if (( r % 2 )); then ours; theirs; else theirs; ours; fi
  done

  /usr/bin/python3 - "$work" "$gemm_rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{work}/gemm-ours.{r}.json"))["results"] for r in range(1, rounds + 1)]
theirs = [json.load(open(f"{work}/gemm-theirs.{r}.json"))["results"] for r in range(1, rounds + 1)]
print()
print(f"GEMM in {rounds} short rounds, the side that goes first alternating: medians, the median of the rounds' ratios, and their range")
print(f"| {'workload':<38} | {'PyTorch':>10} | {'AutoGrad':>10} | {'speed-up':>8} | {'rounds':>13} |")
print(f"|{'-' * 40}|{'-' * 12}|{'-' * 12}|{'-' * 10}|{'-' * 15}|")
for name in theirs[0]:
    t = [run[name] for run in theirs]
    o = [run[name] for run in ours]
    ratios = [a / b for a, b in zip(t, o)]
    fmt = lambda s: f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} µs"
    print(f"| {name:<38} | {fmt(statistics.median(t)):>10} | {fmt(statistics.median(o)):>10} | {statistics.median(ratios):>7.2f}× | {min(ratios):.2f}–{max(ratios):.2f}× |")
PY
fi

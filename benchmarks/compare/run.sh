#!/usr/bin/env bash
# Side-by-side: the same workloads in PyTorch and in AutoGrad, in one go, as one table of times and ratios.
# Installs what the PyTorch side needs (Debian's python3-torch with the OpenMP build of OpenBLAS, so that
# PyTorch neither falls back to the reference BLAS nor fights its own OpenMP threads).
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for pkg in python3-torch python3-numpy python3-threadpoolctl libopenblas0-openmp; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if (( ${#need[@]} )); then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

dotnet build -c Release benchmarks/AutoGrad.Benchmarks >/dev/null
# PyTorch's best correct configuration: the OpenMP OpenBLAS, explicitly, whatever the system default, with the fastest
# OpenBLAS core type this CPU runs correctly. An OPENBLAS_CORETYPE inherited from the environment is not trusted: some
# machines set Haswell (AVX2 kernels) for every process, which on an AVX-512 CPU halved OpenBLAS (198-210 against
# 341-382 GFLOP/s with SkylakeX) and made every ratio about 1.8x too flattering; and in a VM that reports a generic CPU
# model, OpenBLAS's own detection can fall back to its SSE3 "Prescott" kernels. So each candidate (OpenBLAS's own choice,
# then the core types the CPU's flags allow) is timed on a 2048^3 product in alternating rounds (the best of each) and
# checked against a float64 product (blas_probe.py); the fastest correct one runs. TORCH_CORETYPE=name skips the probe.
blas() { LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 "$@"; }
with_core() { if [[ "$1" == auto ]]; then shift; blas env -u OPENBLAS_CORETYPE "$@"; else local c=$1; shift; blas env OPENBLAS_CORETYPE="$c" "$@"; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -n "${TORCH_CORETYPE:-}" ]]; then
  coretype=$TORCH_CORETYPE
else
  candidates=(auto)
  grep -q avx512_bf16 /proc/cpuinfo && candidates+=(Cooperlake)
  grep -q avx512f /proc/cpuinfo && candidates+=(SkylakeX)
  grep -q avx2 /proc/cpuinfo && candidates+=(Haswell)
  for r in 1 2 3; do
    for c in "${candidates[@]}"; do
      echo "core-type probe $r of 3: $c" >&2
      with_core "$c" /usr/bin/python3 benchmarks/compare/blas_probe.py >>"$work/probe.$c.jsonl" 2>/dev/null || echo '{"gflops": 0, "correct": false}' >>"$work/probe.$c.jsonl"
    done
  done
  coretype=$(/usr/bin/python3 - "$work" "${candidates[@]}" <<'PY'
import json, sys
work, names = sys.argv[1], sys.argv[2:]
best = None
for name in names:
    runs = [json.loads(line) for line in open(f"{work}/probe.{name}.jsonl")]
    rate = max(r["gflops"] for r in runs)
    ok = all(r["correct"] for r in runs)
    core = runs[0].get("corename") or "?"
    print(f"OpenBLAS core type {name:<10} -> runs {core:<11} {rate:6.1f} GFLOP/s (best of {len(runs)}, 2048^3, 2 threads), "
          f"{'correct' if ok else 'WRONG or failed'} (worst error {max(r.get('worst_error_over_bound', 0) for r in runs):.3f} of the float32 bound)",
          file=sys.stderr)
    if ok and (best is None or rate > best[0]):
        best = (rate, core)
print(best[1] if best else "auto")
PY
)
fi
echo "PyTorch's OpenBLAS core type: $coretype" >&2
with_core "$coretype" /usr/bin/python3 benchmarks/compare/blas_probe.py >"$work/chosen.json"
dotnet benchmarks/AutoGrad.Benchmarks/bin/Release/net10.0/AutoGrad.Benchmarks.dll fma-peak >"$work/peak.json"
/usr/bin/python3 - "$work" <<'PY'
import json, subprocess, sys
work = sys.argv[1]
chosen, peak = json.load(open(f"{work}/chosen.json")), json.load(open(f"{work}/peak.json"))
model = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
              if l.startswith("Model name")), "?")
flags = open("/proc/cpuinfo").read().split("flags", 1)[1].split("\n", 1)[0].split()
print(f"Machine: {model}, {peak['processors']} logical CPUs, {' '.join(f for f in flags if f in ('avx2', 'fma', 'avx512f', 'avx512_bf16'))}")
print(f"PyTorch's BLAS (threadpoolctl): {chosen['blas']} {chosen['version']}, core {chosen['corename']}, {chosen['threading']} threading, "
      f"{chosen['threads']} threads; 2048^3 {chosen['gflops']} GFLOP/s, {'correct' if chosen['correct'] else 'WRONG'} against float64")
for r in peak["results"]:
    print(f"Measured float32 FMA peak, {r['width']}-bit: {r['one_core']} GFLOP/s on one core, {r['all_cores']} on {r['threads']} threads")
PY

# Rounds, alternating the two sides: on a shared 2-vCPU machine a neighbour's load comes and goes over tens of
# seconds (one core's GEMM measured 92 to 153 GFLOP/s while another process ran on the other core), so each side
# is measured in every round and each figure is the median over rounds, with the range of per-round ratios.
rounds=${ROUNDS:-3}
for ((r = 1; r <= rounds; r++)); do
  echo "round $r of $rounds: AutoGrad" >&2
  dotnet benchmarks/AutoGrad.Benchmarks/bin/Release/net10.0/AutoGrad.Benchmarks.dll compare >"$work/ours.$r.json"
  echo "round $r of $rounds: PyTorch" >&2
  with_core "$coretype" /usr/bin/python3 benchmarks/compare/torch_workloads.py >"$work/theirs.$r.json"
done

(( rounds > 0 )) && /usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, os, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{work}/ours.{r}.json")) for r in range(1, rounds + 1)]
theirs = [json.load(open(f"{work}/theirs.{r}.json")) for r in range(1, rounds + 1)]
print(f"PyTorch {theirs[0]['torch']} (2 threads, OpenMP OpenBLAS, core type {', '.join(sorted({str(t.get('blas')) for t in theirs}))}) vs "
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
      with_core "$coretype" /usr/bin/python3 benchmarks/compare/torch_workloads.py gemm >"$work/gemm-theirs.$r.json"
    }
    if (( r % 2 )); then ours; theirs; else theirs; ours; fi
  done

  /usr/bin/python3 - "$work" "$gemm_rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{work}/gemm-ours.{r}.json"))["results"] for r in range(1, rounds + 1)]
theirs = [json.load(open(f"{work}/gemm-theirs.{r}.json"))["results"] for r in range(1, rounds + 1)]
print()
# The ceiling: the best one-core FMA rate times the threads (2 here). The all-threads figure is printed too, but on a shared
# machine a neighbour's load pulls it down, so it understates what the hardware can do.
peak = max(r["one_core"] * r["threads"] for r in json.load(open(f"{work}/peak.json"))["results"])
print(f"GEMM in {rounds} short rounds, the side that goes first alternating: medians, the median of the rounds' ratios, and their range;")
print(f"square products also in GFLOP/s and as a share of the measured FMA peak ({peak:.0f} GFLOP/s: one core's measured rate × 2)")
print(f"| {'workload':<38} | {'PyTorch':>10} | {'AutoGrad':>10} | {'speed-up':>8} | {'rounds':>13} | {'PyTorch GFLOP/s':>17} | {'AutoGrad GFLOP/s':>17} |")
print(f"|{'-' * 40}|{'-' * 12}|{'-' * 12}|{'-' * 10}|{'-' * 15}|{'-' * 19}|{'-' * 19}|")
for name in theirs[0]:
    t = [run[name] for run in theirs]
    o = [run[name] for run in ours]
    ratios = [a / b for a, b in zip(t, o)]
    fmt = lambda s: f"{s * 1e3:.3f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} µs"
    rate = ["", ""]
    if name.split()[-1].isdigit():
        n = int(name.split()[-1])
        rate = [f"{2 * n ** 3 / statistics.median(x) / 1e9:.0f} ({2 * n ** 3 / statistics.median(x) / 1e9 / peak:.0%})" for x in (t, o)]
    print(f"| {name:<38} | {fmt(statistics.median(t)):>10} | {fmt(statistics.median(o)):>10} | {statistics.median(ratios):>7.2f}× | {min(ratios):.2f}–{max(ratios):.2f}× | {rate[0]:>17} | {rate[1]:>17} |")
PY
fi

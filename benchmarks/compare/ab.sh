#!/usr/bin/env bash
# A/B of the MLP training step, uncompiled and compiled, between a base commit (default main) and the working tree, in
# one process: both builds are loaded side by side and timed in alternating rounds (AbCompare.cs). For changes on the
# dispatch path whose cost must be shown to be within noise. Usage: bash benchmarks/compare/ab.sh [BASE_REF] [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${1:-main}
work=$(mktemp -d)
cleanup() { git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
git worktree add --detach "$work/base" "$base" >/dev/null 2>&1
dotnet build -c Release "$work/base/benchmarks/AutoGrad.Benchmarks" >/dev/null
dotnet build -c Release benchmarks/AutoGrad.Benchmarks >/dev/null
echo "A = $base ($(git rev-parse --short "$base")), B = working tree on $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + changes')"
dotnet benchmarks/AutoGrad.Benchmarks/bin/Release/net10.0/AutoGrad.Benchmarks.dll ab \
  "$work/base/benchmarks/AutoGrad.Benchmarks/bin/Release/net10.0" benchmarks/AutoGrad.Benchmarks/bin/Release/net10.0 "${2:-20}" "${3:-0.2}"

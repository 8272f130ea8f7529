#!/usr/bin/env bash
# Brings a library's public API baseline up to date with its code, for review in the diff:
#   tools/public-api.sh src/AutoGrad.Nn            new public symbols into PublicAPI.Unshipped.txt, removed ones out of it
#                                                   (or marked *REMOVED* there when they had shipped)
#   tools/public-api.sh --ship src/AutoGrad.Nn     then moves everything unshipped into PublicAPI.Shipped.txt (at a release)
# A new library gets both files (each starting with `#nullable enable`) on its first run, and with them the check at
# every build (Microsoft.CodeAnalysis.PublicApiAnalyzers, src/Directory.Build.targets); this script only writes what
# the build's RS0016/RS0017 errors name. Bring a library's dependencies up to date first.
set -euo pipefail
ship=0
if [[ ${1:-} == --ship ]]; then ship=1; shift; fi
dir=${1:?usage: tools/public-api.sh [--ship] src/PROJECT}
dir=${dir%/}
proj=$(ls "$dir"/*.csproj)
shipped=$dir/PublicAPI.Shipped.txt unshipped=$dir/PublicAPI.Unshipped.txt
for f in "$shipped" "$unshipped"; do [[ -f $f ]] || printf '#nullable enable\n' >"$f"; done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build "$proj" -nologo -clp:NoSummary >"$log" 2>&1 || true
if grep -E ': error ' "$log" | grep -vE 'error RS001[67]:' | grep -F "[$(realpath "$proj")]" >/dev/null; then
  grep -E ': error ' "$log" | grep -vE 'error RS001[67]:' | sort -u | head -n 20 >&2
  echo "public-api: $proj has errors other than the API baseline's; fix those first." >&2
  exit 1
fi
mine() { grep -F "[$(realpath "$proj")]" "$log" || true; }
mapfile -t added < <(mine | sed -nE "s/.*error RS0016: Symbol '(.*)' is not part of the declared public API.*/\1/p" | LC_ALL=C sort -u)
mapfile -t removed < <(mine | sed -nE "s/.*error RS0017: Symbol '(.*)' is part of the declared API, but .*/\1/p" | LC_ALL=C sort -u)

body() { grep -v '^#nullable enable$' "$1" || true; }
{
  body "$unshipped"
  printf '%s\n' "${added[@]+"${added[@]}"}"
} | grep -v '^$' | grep -vxF -f <(printf '%s\n' "${removed[@]+"${removed[@]}"}" '') >"$log.new" || true
for r in "${removed[@]+"${removed[@]}"}"; do
  if grep -qxF -- "$r" "$shipped"; then printf '*REMOVED*%s\n' "$r" >>"$log.new"; fi
done
{ echo '#nullable enable'; LC_ALL=C sort -u "$log.new"; } >"$unshipped"
rm -f "$log.new"
echo "public-api: $dir: ${#added[@]} added, ${#removed[@]} removed"

if (( ship )); then
  mapfile -t gone < <(sed -nE 's/^\*REMOVED\*(.*)$/\1/p' "$unshipped")
  { body "$shipped"; body "$unshipped" | grep -v '^\*REMOVED\*' || true; } | grep -v '^$' \
    | grep -vxF -f <(printf '%s\n' "${gone[@]+"${gone[@]}"}" '') | LC_ALL=C sort -u >"$log.new" || true
  { echo '#nullable enable'; cat "$log.new"; } >"$shipped"
  printf '#nullable enable\n' >"$unshipped"
  rm -f "$log.new"
  echo "public-api: $dir: shipped $(( $(wc -l <"$shipped") - 1 )) symbols"
fi

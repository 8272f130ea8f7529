#!/usr/bin/env bash
# Builds the API reference from the XML docs of the public libraries (docfx, pinned in .config/dotnet-tools.json)
# into docs/api/_site; any docfx warning fails the build. Needs no network beyond NuGet (no xref service,
# docfx's built-in default template).
set -euo pipefail
cd "$(dirname "$0")"
dotnet tool restore >/dev/null
rm -rf obj/reference _site # no pages left over from types since removed
dotnet docfx docfx.json --warningsAsErrors "$@"

# Every public library must be in the reference (a project that failed to load would leave its namespace out).
for ns in AutoGrad AutoGrad.Nn.Layers AutoGrad.Gpu AutoGrad.Testing AutoGrad.Distributed AutoGrad.Onnx; do
  [[ -f _site/reference/$ns.html ]] || { echo "docs/api: no page for namespace $ns" >&2; exit 1; }
done
echo "API reference: $(pwd)/_site/index.html"

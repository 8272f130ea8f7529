#!/usr/bin/env bash
# The packages as a user gets them (issue 21). Packs every project under src/ into a temporary folder, checks each
# package's metadata and contents, then follows README's "Install as a user" section to the letter, outside the
# repository: its commands run verbatim (the folder's path put in for /path/to/packages) in a temporary directory with a
# temporary HOME, so NuGet's caches and the global tool folder are new and nothing of the machine's is used or changed.
# NuGet takes AutoGrad's packages from the packed folder only (package source mapping) and third-party ones from the
# machine's feeds. The console app runs README's example program, copied from its "## Example" block, and must print
# README's output block; `autograd --help` must name the command `autograd`, and `autograd train --dataset iris` must
# report a test accuracy of at least 90 %. A second program uses the other libraries' packages (GPU, Nn, Testing).
#
#   bash tests/Packaging/run.sh            (CI runs it from .ci/run; about two minutes on two cores)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
readme=$repo/README.md
work=$(mktemp -d "${TMPDIR:-/tmp}/autograd-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT
feed=$work/packages
started=$SECONDS
fail() { echo "packaging: $*" >&2; exit 1; }
step() { echo "packaging: $* ($(( SECONDS - started )) s)"; }
command -v unzip >/dev/null || { apt-get update -qq && apt-get install -y -qq unzip >/dev/null; }

# split_blocks FILE LANG DIR [SECTION]: each fenced LANG block of FILE (of its "## SECTION" only, when given) into
# DIR/1, DIR/2, … in order; prints how many.
split_blocks() {
  mkdir -p "$3"
  awk -v lang="$2" -v dir="$3" -v section="${4:+## $4}" '
    BEGIN { inside = (section == "") }
    /^## / && section != "" { inside = ($0 == section) }
    inside && !fence && $0 == "```" lang { fence = 1; n++; f = dir "/" n; printf "" > f; next }
    fence && $0 == "```" { fence = 0; close(f); next }
    fence { print > f }
    END { print n + 0 }
  ' "$1"
}

# printed_in_order EXPECTED ACTUAL: each non-blank line of EXPECTED is a line of ACTUAL, in order, "…" standing for any
# text: how the doc tests read README's output blocks (tests/AutoGrad.Nn.Tests/Docs/DocPrograms.cs).
printed_in_order() {
  awk '
    function matches(e, l,   k, parts, pos, p, j) {
      k = split(e, parts, "…")
      if (k == 1) return e == l
      if (substr(l, 1, length(parts[1])) != parts[1]) return 0
      if (length(l) < length(parts[k]) || substr(l, length(l) - length(parts[k]) + 1) != parts[k]) return 0
      pos = length(parts[1]) + 1
      for (p = 2; p < k; p++) { j = index(substr(l, pos), parts[p]); if (!j) return 0; pos += j - 1 + length(parts[p]) }
      return pos <= length(l) - length(parts[k]) + 1
    }
    NR == FNR { if ($0 ~ /[^ \t]/) expected[++m] = $0; next }
    { sub(/\r$/, ""); line[++n] = $0 }
    END {
      at = 1
      for (i = 1; i <= m; i++) {
        for (found = 0; at <= n && !found; at++) if (matches(expected[i], line[at])) found = 1
        if (!found) { print "missing, in order: " expected[i] > "/dev/stderr"; exit 1 }
      }
    }
  ' "$1" "$2"
}

# 1. Pack every project under src/, as `dotnet pack -c Release` would (a new project there is a new package), in one
#    build through a solution filter of them.
version=$(dotnet msbuild "$repo/src/AutoGrad/AutoGrad.csproj" -nologo -getProperty:Version)
projects=() entries=()
for proj in "$repo"/src/*/*.csproj; do
  projects+=("$(basename "$proj" .csproj)")
  rel=${proj#"$repo"/}
  entries+=("\"${rel//\//\\\\}\"")
done
(IFS=,; printf '{ "solution": { "path": "%s", "projects": [%s] } }\n' "$repo/AutoGrad.sln" "${entries[*]}") >"$work/packages.slnf"
dotnet pack "$work/packages.slnf" -c Release -o "$feed" -nologo -v:q -clp:NoSummary >"$work/pack.log" 2>&1 \
  || { cat "$work/pack.log" >&2; fail "dotnet pack failed"; }
step "packed ${projects[*]} $version"

split_blocks "$readme" csharp "$work/cs-readme" >/dev/null

# 2. Each package: id, version, description, MIT license expression, its README, tags, XML docs beside the assembly,
#    symbols; the libraries without the CLI's presentation dependencies; the CLI a .NET tool.
for id in "${projects[@]}"; do
  pkg=$feed/$id.$version.nupkg
  [[ -f $pkg ]] || fail "no $id.$version.nupkg"
  grep -q "\.pdb$" <<<"$(unzip -Z1 "$feed/$id.$version.snupkg")" || fail "$id: no symbol package with its PDB"
  files=$(unzip -Z1 "$pkg")
  nuspec=$(unzip -p "$pkg" "$id.nuspec")
  grep -q "<id>$id</id>" <<<"$nuspec" || fail "$id: wrong id"
  grep -q "<version>$version</version>" <<<"$nuspec" || fail "$id: wrong version"
  grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || fail "$id: no MIT license expression"
  grep -q '<readme>README.md</readme>' <<<"$nuspec" && grep -qx 'README.md' <<<"$files" || fail "$id: no package README"
  grep -qE '<description>.{20,}</description>' <<<"$nuspec" || fail "$id: no description"
  grep -qE '<tags>.+</tags>' <<<"$nuspec" || fail "$id: no tags"
  grep -q '<repository type="git"' <<<"$nuspec" || fail "$id: no repository commit"
  # A package README is read alone (on nuget.org): no relative links, and its C# is README's, which the tests run.
  unzip -p "$pkg" README.md >"$work/readme-$id.md"
  if grep -qE '\]\((\.|/|[A-Za-z0-9_-]+(/|\.md))' "$work/readme-$id.md"; then fail "$id: its README has a relative link"; fi
  for code in $(seq "$(split_blocks "$work/readme-$id.md" csharp "$work/cs-$id")"); do
    match=0
    for theirs in "$work"/cs-readme/*; do cmp -s "$work/cs-$id/$code" "$theirs" && match=1; done
    (( match )) || fail "$id: C# block $code of its README is not one of README.md's (which the doc tests compile and run)"
  done
  if [[ $id == AutoGrad.Cli ]]; then
    grep -q '<packageType name="DotnetTool"' <<<"$nuspec" || fail "$id: not a .NET tool package"
    grep -qx 'tools/net10.0/any/DotnetToolSettings.xml' <<<"$files" || fail "$id: no tool settings"
    grep -q 'Command Name="autograd"' <<<"$(unzip -p "$pkg" tools/net10.0/any/DotnetToolSettings.xml)" || fail "$id: the tool's command is not autograd"
  else
    [[ -f $repo/src/$id/PublicAPI.Shipped.txt && -f $repo/src/$id/PublicAPI.Unshipped.txt ]] \
      || fail "$id: no public API baseline (tools/public-api.sh --ship src/$id makes it)"
    grep -qx "lib/net10.0/$id.dll" <<<"$files" || fail "$id: no lib/net10.0/$id.dll"
    grep -qx "lib/net10.0/$id.xml" <<<"$files" || fail "$id: no XML documentation"
    if grep -qE 'id="(Spectre\.Console|ScottPlot|System\.CommandLine|SkiaSharp)' <<<"$nuspec"; then
      fail "$id: depends on a presentation library (those stay in the CLI)"
    fi
    if grep -q 'id="Microsoft.CodeAnalysis.PublicApiAnalyzers"' <<<"$nuspec"; then fail "$id: passes the build's API analyzer on to its users"; fi
  fi
done
# The GPU backend implements the core's internal kernel interface: it needs exactly its own version of the core.
grep -q "<dependency id=\"AutoGrad\" version=\"\[$version\]\"" <<<"$(unzip -p "$feed/AutoGrad.Gpu.$version.nupkg" AutoGrad.Gpu.nuspec)" \
  || fail "AutoGrad.Gpu does not depend on exactly AutoGrad $version"
step "checked the packages' metadata and contents"

# 3. README's install section, verbatim, as a user without a clone: a new HOME (new NuGet caches and user config, a new
#    global tool folder), in a directory outside the repository. The user config lists the machine's feeds and maps
#    AutoGrad's packages to README's source name, `autograd`, so that they come from the packed folder and nowhere else.
#    The machine's global packages folder is a feed too (the first), which spares downloading what is already there.
mapfile -t feeds < <(dotnet nuget locals global-packages --list | sed -nE 's/^global-packages: (.+)$/\1/p'
                     dotnet nuget list source --format short | sed -nE 's/^E[A-Za-z]* +(.+)$/\1/p')
(( ${#feeds[@]} > 1 )) || fail "no NuGet feed configured on this machine for third-party packages"
export HOME=$work/home DOTNET_CLI_HOME=$work/home NUGET_PACKAGES=$work/home/.nuget/packages MSBUILDDISABLENODEREUSE=1
unset NUGET_FALLBACK_PACKAGES
export PATH=$HOME/.dotnet/tools:$PATH
mkdir -p "$HOME/.nuget/NuGet" "$work/user"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration>'
  echo '  <packageSources>'
  echo '    <clear />'
  for i in "${!feeds[@]}"; do echo "    <add key=\"feed$i\" value=\"${feeds[$i]}\" />"; done
  echo '  </packageSources>'
  echo '  <packageSourceMapping>'
  echo '    <packageSource key="autograd"><package pattern="AutoGrad" /><package pattern="AutoGrad.*" /></packageSource>'
  for i in "${!feeds[@]}"; do echo "    <packageSource key=\"feed$i\"><package pattern=\"*\" /></packageSource>"; done
  echo '  </packageSourceMapping>'
  echo '</configuration>'
} >"$HOME/.nuget/NuGet/NuGet.Config"

(( $(split_blocks "$readme" csharp "$work/example" Example) >= 1 && $(split_blocks "$readme" text "$work/example-out" Example) >= 1 )) \
  || fail "README has no example program or no output block under ## Example"

ran_example=0 ran_train=0
cd "$work/user"
for n in $(seq "$(split_blocks "$readme" bash "$work/install" "Install as a user")"); do while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] && continue
  line=${line//\/path\/to\/packages/$feed}
  case $line in
    "dotnet run --project Demo"*)
      cp "$work/example/1" Demo/Program.cs
      bash -c "$line" </dev/null >"$work/example.out" 2>&1 || { cat "$work/example.out" >&2; fail "README's example program failed: $line"; }
      printed_in_order "$work/example-out/1" "$work/example.out" || { cat "$work/example.out" >&2; fail "README's example program does not print README's output"; }
      ran_example=1 ;;
    "autograd train"*)
      bash -c "$line" </dev/null >"$work/train.out" 2>&1 || { cat "$work/train.out" >&2; fail "failed: $line"; }
      accuracy=$(sed -nE 's/.*test accuracy[^0-9]*([0-9]+(\.[0-9]+)?) %.*/\1/p' "$work/train.out")
      [[ -n $accuracy ]] || { cat "$work/train.out" >&2; fail "'$line' reported no test accuracy"; }
      awk -v a="$accuracy" 'BEGIN { exit !(a >= 90) }' || { cat "$work/train.out" >&2; fail "'$line': test accuracy $accuracy % (below 90 %)"; }
      [[ -s runs/iris/model.safetensors && -s runs/iris/loss.png ]] || fail "'$line' wrote no model or plot"
      echo "packaging: $line: test accuracy $accuracy %"
      ran_train=1 ;;
    *)
      bash -c "$line" </dev/null >"$work/step.out" 2>&1 || { cat "$work/step.out" >&2; fail "failed: $line"; } ;;
  esac
  step "$line"
done <"$work/install/$n"; done
(( ran_example )) || fail "README's install section has no 'dotnet run --project Demo'"
(( ran_train )) || fail "README's install section has no 'autograd train'"

# 4. The other libraries' packages in a program of their own: their dependencies resolve (ILGPU, FsCheck), ILGPU's CPU
#    accelerator runs through AutoGrad.Gpu, the embedded Iris data loads from AutoGrad.Nn, AutoGrad.Testing checks a gradient.
mkdir -p Check
cat >Check/Check.csproj <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="AutoGrad.Nn" Version="$version" />
    <PackageReference Include="AutoGrad.Gpu" Version="$version" />
    <PackageReference Include="AutoGrad.Testing" Version="$version" />
  </ItemGroup>
</Project>
CSPROJ
cat >Check/Program.cs <<'PROGRAM'
using AutoGrad;
using AutoGrad.Gpu;
using AutoGrad.Nn.Data;
using AutoGrad.Testing;

Device sim = GpuDevices.CpuAccelerator();
Tensor x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }).To(sim);
Console.WriteLine($"gpu: {(x * x).Sum().ToDoubleArray()[0]} on {sim.Name}");
Console.WriteLine($"nn: iris, {Datasets.Iris().Count} rows");
GradientProperties.AgreeWithFiniteDifferences((Tensor t) => (t.Tanh() * t).Sum());
Console.WriteLine("testing: passed");
PROGRAM
printf 'gpu: 14 on ilgpu-cpu\nnn: iris, 150 rows\ntesting: passed\n' >"$work/check.expected"
dotnet run --project Check </dev/null >"$work/check.out" 2>&1 \
  || { cat "$work/check.out" >&2; fail "the program on AutoGrad.Nn, AutoGrad.Gpu and AutoGrad.Testing failed"; }
printed_in_order "$work/check.expected" "$work/check.out" \
  || { cat "$work/check.out" >&2; fail "the program on AutoGrad.Nn, AutoGrad.Gpu and AutoGrad.Testing printed something else"; }
step "AutoGrad.Nn, AutoGrad.Gpu and AutoGrad.Testing in a program"

# The installed tool's help names the command `autograd`, and it is the packed version.
autograd --help >"$work/help.out" 2>&1 || { cat "$work/help.out" >&2; fail "autograd --help failed"; }
grep -q '^  autograd \[command\] \[options\]' "$work/help.out" || { cat "$work/help.out" >&2; fail "help's usage line does not read autograd"; }
[[ $(command -v autograd) == "$HOME/.dotnet/tools/autograd" ]] || fail "autograd on the path is not the one just installed"
[[ $(autograd --version) == "$version"* ]] || fail "autograd --version is not $version"
# The packages came from the packed folder: the restored AutoGrad is byte for byte the one packed.
cmp -s "$NUGET_PACKAGES/autograd/$version/autograd.$version.nupkg" "$feed/AutoGrad.$version.nupkg" \
  || fail "the console app's AutoGrad package is not the packed one"

echo "packaging: passed ($(( SECONDS - started )) s)"

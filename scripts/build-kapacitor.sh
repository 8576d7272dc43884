#!/usr/bin/env bash
# Builds kapacitord and the kapacitor CLI from Kapacitor's Go module, once per version, into
# .cache/kapacitor/<version>/ (git-ignored). The module of ours in test/kapacitor/<version>/
# requires Kapacitor and repeats its replace directives; no Kapacitor source is kept in this
# repository. A build is reused while its go.mod and go.sum are unchanged.
#
#   scripts/build-kapacitor.sh            every version under test/kapacitor/ that builds here
#   scripts/build-kapacitor.sh v1.5.9     one version (fails when it does not build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export GOFLAGS="${GOFLAGS:--mod=mod}"

build_one() {
  local version="$1" mod="$root/test/kapacitor/$1" out="$root/.cache/kapacitor/$1"
  [ -f "$mod/go.mod" ] || { echo "build-kapacitor: no module for $version at $mod" >&2; return 2; }
  local stamp
  stamp="$(cat "$mod/go.mod" "$mod/go.sum" "$mod/tools.go" "$mod"/build.env "$0" 2>/dev/null | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
  if [ -x "$out/kapacitord" ] && [ -x "$out/kapacitor" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "build-kapacitor: $version is built ($out)"
    return 0
  fi
  mkdir -p "$out"
  echo "build-kapacitor: building $version into $out"
  local start=$SECONDS
  # The environment a version needs beyond Go (cgo and libflux for 1.6+) comes from its
  # module folder's build.env, when it has one.
  (
    cd "$mod"
    [ -f build.env ] && . ./build.env
    go build -trimpath -ldflags "-X main.version=${version#v} -X main.commit=module" -o "$out/" github.com/influxdata/kapacitor/cmd/kapacitord github.com/influxdata/kapacitor/cmd/kapacitor
  )
  echo "$stamp" > "$out/.stamp"
  echo "build-kapacitor: $version built in $((SECONDS - start)) s: $("$out/kapacitord" version 2>&1 | head -1)"
}

if [ "$#" -gt 0 ]; then
  for v in "$@"; do build_one "$v"; done
else
  for dir in "$root"/test/kapacitor/v*/; do
    v="$(basename "$dir")"
    # A version that is known not to build here says why in its SKIP file (see docs/kapacitor.md).
    if [ -f "$dir/SKIP" ]; then echo "build-kapacitor: $v not built: $(head -1 "$dir/SKIP")"; continue; fi
    build_one "$v"
  done
fi

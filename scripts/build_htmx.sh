#!/usr/bin/env bash
# Copy the pinned htmx (package.json) into static/vendor/htmx/.
#
# Needs Node/npm only here, at build time; the app and its tests use the committed
# file and need neither Node nor a CDN.
#
#   bash scripts/build_htmx.sh      (or: npm run build:htmx)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PKG="node_modules/htmx.org"
OUT="static/vendor/htmx"

want="$(node -p 'require("./package.json").devDependencies["htmx.org"]')"
have="$(node -p 'try { require("./'"$PKG"'/package.json").version } catch (e) { "" }')"
if [[ "$have" != "$want" || ! -f node_modules/.package-lock.json \
      || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "build_htmx: npm ci"
  npm ci --no-audit --no-fund
fi

mkdir -p "$OUT"
cp "$PKG/dist/htmx.min.js" "$OUT/htmx.min.js"
cp "$PKG/LICENSE" "$OUT/LICENSE"
echo "build_htmx: htmx $want copied into $OUT/"

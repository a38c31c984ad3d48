#!/usr/bin/env bash
# Rebuild the vendored, unbranded GOV.UK Frontend in static/vendor/govuk/.
#
# Needs Node/npm only here, at build time; the app and its tests use the
# committed output and need neither Node nor a CDN.
#
#   bash scripts/build_govuk.sh      (or: npm run build:govuk)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SRC="static/src/govuk.scss"
OUT="static/vendor/govuk"
PKG="node_modules/govuk-frontend"
DIST="$PKG/dist/govuk"
SASS="node_modules/.bin/sass"

# 1. Install the pinned packages from package-lock.json if missing or stale.
want="$(node -p 'require("./package.json").devDependencies["govuk-frontend"]')"
have="$(node -p 'try { require("./'"$PKG"'/package.json").version } catch (e) { "" }')"
if [[ ! -x "$SASS" || "$have" != "$want" \
      || ! -f node_modules/.package-lock.json \
      || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "build_govuk: npm ci"
  npm ci --no-audit --no-fund
fi
version="$(node -p 'require("./'"$PKG"'/package.json").version')"

# 2. Start from a clean output directory (keep the hand-written README.md).
mkdir -p "$OUT"
find "$OUT" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +

# 3. Compile the SCSS entry point: compressed, no source map.
#    --quiet-deps hides govuk-frontend's own Sass deprecation warnings.
"$SASS" --pkg-importer=node --quiet-deps --style=compressed --no-source-map \
  "$SRC" "$OUT/govuk-frontend.min.css"

# 4. The ES module JS bundle. Its trailing sourceMappingURL comment is dropped
#    because the .map is not vendored (a dangling reference would also break
#    Django's ManifestStaticFilesStorage during collectstatic).
sed -e 's|//# sourceMappingURL=[^ ]*$||' "$DIST/govuk-frontend.min.js" \
  > "$OUT/govuk-frontend.min.js"

# 5. Assets: images and manifest.json; fonts only if the CSS refers to them
#    (it does not while the font is Arial and the default @font-face is off).
mkdir -p "$OUT/assets"
cp -R "$DIST/assets/images" "$OUT/assets/images"
if [[ -f "$DIST/assets/manifest.json" ]]; then
  cp "$DIST/assets/manifest.json" "$OUT/assets/manifest.json"
fi
if grep -q 'assets/fonts/' "$OUT/govuk-frontend.min.css"; then
  cp -R "$DIST/assets/fonts" "$OUT/assets/fonts"
fi

# 6. Sanity checks for the unbranded configuration.
css="$OUT/govuk-frontend.min.css"
grep -qi 'font-family:arial' "$css" || { echo "build_govuk: Arial missing from CSS" >&2; exit 1; }
grep -q '/static/vendor/govuk/assets/' "$css" || { echo "build_govuk: assets path missing from CSS" >&2; exit 1; }
if grep -q 'GDS Transport' "$css" || grep -q '@font-face' "$css"; then
  echo "build_govuk: CSS still has GDS Transport / @font-face" >&2; exit 1
fi

echo "build_govuk: govuk-frontend $version built into $OUT/"

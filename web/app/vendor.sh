#!/bin/sh
# vendor.sh refreshes vendor/ (served by the app) and testvendor/ (used by the
# browser test only) from the exact versions pinned in package-lock.json (npm
# ci checks every package's integrity hash). The files are copied unchanged
# from the packages; nothing is built.
#
#   cd web/app && ./vendor.sh    # needs npm and the npm registry (or a mirror)
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json package-lock.json "$tmp"/
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
nm=$tmp/node_modules

rm -rf vendor testvendor
mkdir -p vendor/preact/dist vendor/preact/hooks/dist vendor/htm/dist testvendor/axe-core
# The packages' own layout is kept, so hooks.mjs's import of "preact" maps to
# ../../dist/preact.mjs exactly as npm would resolve it (see app.go, importMap).
cp "$nm/preact/dist/preact.mjs" vendor/preact/dist/
cp "$nm/preact/hooks/dist/hooks.mjs" vendor/preact/hooks/dist/
cp "$nm/preact/LICENSE" vendor/preact/
cp "$nm/htm/dist/htm.mjs" vendor/htm/dist/
cp "$nm/htm/LICENSE" vendor/htm/
cp "$nm/axe-core/axe.min.js" "$nm/axe-core/LICENSE" "$nm/axe-core/LICENSE-3RD-PARTY.txt" testvendor/axe-core/

for p in htm preact; do
	echo "$p $(node -p "require('$nm/$p/package.json').version")"
done >vendor/VERSIONS
echo "axe-core $(node -p "require('$nm/axe-core/package.json').version")" >testvendor/VERSIONS

#!/bin/sh
# vendor.sh refreshes vendor/ from the exact versions pinned in
# package-lock.json (npm ci checks every package's integrity hash). The files
# are copied unchanged from the packages; nothing is built.
#
#   cd web/ide && ./vendor.sh    # needs npm and the npm registry (or a mirror)
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json package-lock.json "$tmp"/
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
nm=$tmp/node_modules

rm -rf vendor
mkdir -p vendor/graphiql vendor/react vendor/react-dom
cp "$nm/graphiql/graphiql.min.js" "$nm/graphiql/graphiql.min.css" "$nm/graphiql/LICENSE" vendor/graphiql/
cp "$nm/react/umd/react.production.min.js" "$nm/react/LICENSE" vendor/react/
cp "$nm/react-dom/umd/react-dom.production.min.js" "$nm/react-dom/LICENSE" vendor/react-dom/

# graphiql.min.js bundles its dependencies (graphql-js, CodeMirror 5,
# markdown-it, Radix UI, …) and react-dom's bundle includes scheduler: their
# licences, one after the other.
out=vendor/graphiql/THIRD-PARTY-LICENSES.txt
{
	echo "Licences of the packages graphiql depends on, whose code graphiql.min.js bundles (and of scheduler,"
	echo "bundled into react-dom.production.min.js). Versions are those npm resolves for package-lock.json;"
	echo "the GraphiQL project built its bundle with the versions of its own lock file."
} >"$out"
find "$nm" -name package.json -path '*/node_modules/*' -not -path '*/node_modules/*/node_modules/*/*/*' | sort | while read -r pj; do
	dir=$(dirname "$pj")
	name=$(node -p "require('$pj').name" 2>/dev/null || true)
	case "$name" in graphiql | react | react-dom | "" | undefined) continue ;; esac
	[ "$(basename "$(dirname "$dir")")" = node_modules ] || [ "$(basename "$(dirname "$(dirname "$dir")")")" = node_modules ] || continue
	version=$(node -p "require('$pj').version")
	licence=$(node -p "require('$pj').license || ''")
	printf '\n==== %s@%s (%s) ====\n' "$name" "$version" "$licence" >>"$out"
	file=$(ls "$dir" | grep -iE '^(licen[cs]e|copying)' | head -n 1 || true)
	if [ -n "$file" ]; then
		cat "$dir/$file" >>"$out"
	else
		echo "(no licence file in the package; package.json says $licence)" >>"$out"
	fi
done

for p in graphiql react react-dom; do
	echo "$p $(node -p "require('$nm/$p/package.json').version")"
done >vendor/VERSIONS

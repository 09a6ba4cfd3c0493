#!/usr/bin/env bash
# The unit tests on the lowest Node that package.json's `engines` promises (e.g. 20.19.0), so the
# README's "Node.js 20.19 or later" is tested, not only the newest 20.x the machine has.
# The binary comes from the npm registry package node-<platform>-<arch> (the `node` package would
# fetch it in a preinstall script, which npm does not run here), cached under node_modules/.cache.
# Extra arguments go to jest; the JSON report goes to $TEST_REPORT (default test-results/jest-lowest-node.json).
set -uo pipefail
cd "$(dirname "$0")/.."

lowest=$(node -p 'require("./package.json").engines.node.replace(/^>=/, "")')
case "$lowest" in
  *.*.*) version="$lowest" ;;
  *.*) version="$lowest.0" ;;
  *) echo "test-lowest-node: engines.node \"$lowest\" is not >=MAJOR.MINOR" >&2; exit 1 ;;
esac
pkg="node-$(node -p 'process.platform')-$(node -p 'process.arch')"
prefix="node_modules/.cache/lowest-node/$version"
bin="$prefix/node_modules/$pkg/bin"
if [ ! -x "$bin/node" ]; then
  echo "== installing $pkg@$version from the npm registry"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "$pkg@$version" >/dev/null || {
    echo "test-lowest-node: npm install $pkg@$version failed" >&2
    exit 1
  }
fi
[ "$("$bin/node" --version)" = "v$version" ] || { echo "test-lowest-node: $bin/node is not v$version" >&2; exit 1; }
echo "== unit tests on node $("$bin/node" --version)"

report="${TEST_REPORT:-test-results/jest-lowest-node.json}"
mkdir -p "$(dirname "$report")"
rm -f "$report"
# LOWEST_NODE tells test/unit/node-range.test.ts which version this run must be on.
LOWEST_NODE="$version" PATH="$PWD/$bin:$PATH" NODE_OPTIONS="--experimental-vm-modules --experimental-websocket ${NODE_OPTIONS:-}" \
  "$bin/node" node_modules/jest/bin/jest.js --json --outputFile="$report" "${@:-test/unit}"

#!/usr/bin/env bash
# Runs the named npm scripts side by side and fails naming each one that failed, with its output.
# npm test's static checks (type check, ESLint, Prettier, layer rules) are single-threaded and
# independent: one after another they took about as long as a third of the suite on 2 cores.
set -u
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
declare -A pid
for script in "$@"; do
  npm run --silent "$script" >"$out/$script" 2>&1 &
  pid[$script]=$!
done
failed=()
for script in "$@"; do
  wait "${pid[$script]}" || failed+=("$script")
done
for script in "${failed[@]}"; do
  echo "--- npm run $script failed:"
  cat "$out/$script"
done
if ((${#failed[@]})); then
  echo "checks failed: ${failed[*]}" >&2
  exit 1
fi
echo "checks passed: $*"

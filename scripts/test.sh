#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it: lint, types, then pytest with the
# real services the tests need (each provisioned by a script in scripts/ci/ that installs
# what is missing and starts it on 127.0.0.1 only).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== ruff"
$BIN/ruff check monitor spiders tests bench
echo "== mypy (strict on monitor/)"
$BIN/mypy

cleanup() { for f in "${CLEANUPS[@]:-}"; do [ -n "$f" ] && $f || true; done; }
CLEANUPS=()
trap cleanup EXIT

# Each provisioner may export variables for the tests and append to CLEANUPS.
for provision in scripts/ci/*.sh; do
  [ -e "$provision" ] || continue
  # shellcheck source=/dev/null
  source "$provision"
done

echo "== pytest"
$BIN/pytest "$@"

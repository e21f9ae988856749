#!/usr/bin/env bash
# Runs every quality gate and test suite of the app and the workspaces, with the real test
# services started first and stopped afterwards (also when something fails). Ends with one line
# "N passed, N failed" that adds up all suites, and exits non-zero when anything failed.
#
# Each quality gate (a build, a type check, ESLint, Prettier) counts as one check.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh

export COFFER_SERVICES_DIR="${COFFER_SERVICES_DIR:-$PWD/tmp/services}"
results_dir="$(mktemp -d)"
passed=0
failed=0

# Prints a step's heading with the minutes and seconds since the test command started, so that a
# CI log shows where the time goes.
step() {
  printf '==> [%02d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"
}

# Runs a quality gate and counts it as one passed or failed check.
gate() {
  local name="$1"
  shift
  step "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAILED: $name"
    failed=$((failed + 1))
  fi
}

# Adds the totals of a JSON summary file ({"passed": N, "failed": N}) to the counts. A suite that
# wrote no summary crashed before its end, which counts as one failure.
add_summary() {
  local name="$1" file="$2" exit_code="$3"
  if [ ! -s "$file" ]; then
    echo "FAILED: $name wrote no summary (exit code $exit_code)"
    failed=$((failed + 1))
    return
  fi
  local counts
  counts="$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.passed, s.failed)' "$file")"
  passed=$((passed + ${counts% *}))
  failed=$((failed + ${counts#* }))
  if [ "$exit_code" -ne 0 ] && [ "${counts#* }" -eq 0 ]; then
    echo "FAILED: $name exited with $exit_code although no test failed"
    failed=$((failed + 1))
  fi
}

# Runs one workspace's vitest suite and adds its totals.
vitest_suite() {
  local workspace="$1"
  local json="$results_dir/vitest-${workspace//\//-}.json"
  step "vitest: $workspace"
  (cd "$workspace" && npx vitest run --reporter=default --reporter=json --outputFile="$json")
  local code=$?
  if [ -s "$json" ]; then
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
      // A file that failed to load has no failed test of its own; count such files instead.
      const failed = r.numFailedTests > 0 ? r.numFailedTests : r.numFailedTestSuites || 0
      require("fs").writeFileSync(process.argv[1] + ".sum", JSON.stringify({ passed: r.numPassedTests, failed }))
    ' "$json"
  fi
  add_summary "vitest $workspace" "$json.sum" "$code"
}

# Runs the Japa suites given as arguments with the current environment and adds their totals.
japa_suites() {
  local label="$1"
  shift
  local summary="$results_dir/japa-$label.json"
  step "japa ($label): $*"
  COFFER_TEST_SUMMARY="$summary" node ace test "$@"
  add_summary "japa $label" "$summary" "$?"
}

stop_services() {
  bash scripts/services/all.sh stop >/dev/null 2>&1 || true
  rm -rf "$results_dir"
}
trap stop_services EXIT

mkdir -p tmp
[ -f .env ] || cp .env.example .env

gate "build workspaces" npm run build --workspaces --if-present --silent
gate "codegen" node ace codegen
gate "typecheck app" npx tsc --noEmit
gate "typecheck workspaces" npm run typecheck --workspaces --if-present --silent
gate "eslint" npx eslint .
gate "prettier" npx prettier --check .

step "starting test services"
if bash scripts/services/all.sh start; then
  for env_file in "$COFFER_SERVICES_DIR"/*.env; do
    [ -f "$env_file" ] && . "$env_file"
  done
  passed=$((passed + 1))
else
  echo "FAILED: test services did not start; the suites that need them will fail"
  failed=$((failed + 1))
fi

japa_suites sqlite
DB_CONNECTION=pg japa_suites postgresql unit functional

for workspace in sdk engines/tar engines/restic agent; do
  vitest_suite "$workspace"
done

step "done"
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

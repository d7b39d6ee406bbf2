#!/usr/bin/env bash
# Runs every check and test, non-interactively, and ends with one line
# "N passed, N failed" counted from the real results:
#   - type check (tsc) and lint count as one check each;
#   - unit, API and database tests (Jest, from its --json report); database
#     tests run on SQLite and, when PostgreSQL answers on 127.0.0.1:5432, on it too;
#   - browser tests (Playwright driving Debian's Chromium, from its JSON report).
# FINCLOUD_CI=1 (set by .ci/run) turns "skipped because X is missing" into a failure.
# Called by `./fincloud test` after installing; extra arguments go to Jest.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
yarn() { "$root/scripts/yarn" "$@"; }
out="$root/node_modules/.cache/fincloud-test"
rm -rf "$out" "$root/node_modules/.cache/e2e-results.json" && mkdir -p "$out"
ci="${FINCLOUD_CI:-}"
passed=0
failed=0
notes=()

check() { # name, command...
  local name="$1"; shift
  echo "==> $name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "==> $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); echo "==> $name: FAILED ($((SECONDS - start)) s)"
  fi
}

missing() { # what, why
  if [ -n "$ci" ]; then
    failed=$((failed + 1)); notes+=("FAILED: $1 is missing in CI ($2)")
  else
    notes+=("skipped: $1 is missing ($2); install it to run those tests")
  fi
}

export CI=true # Jest and friends: no watch mode, no prompts

# PostgreSQL for the database tests (Backstage TestDatabases reads these).
if node -e "require('net').connect(5432,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" 2>/dev/null; then
  export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"
  echo "==> database tests run on SQLite and on PostgreSQL at 127.0.0.1:5432"
else
  missing "PostgreSQL on 127.0.0.1:5432" "database tests ran on SQLite only"
fi
export BACKSTAGE_TEST_DISABLE_DOCKER=1 # no container engine here

check "type check (tsc)" yarn tsc
check "lint" yarn lint:all

echo "==> unit, API and database tests (Jest)"
yarn backstage-cli repo test --json --outputFile="$out/jest.json" "$@"
if [ -f "$out/jest.json" ]; then
  read -r jp jf < <(node -e '
    const r = require(process.argv[1]);
    // Suites that failed to run (syntax errors, crashes) count as failures too.
    const broken = r.testResults.filter(s => s.status === "failed" && s.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + broken);' "$out/jest.json")
  passed=$((passed + jp)); failed=$((failed + jf))
else
  failed=$((failed + 1)); notes+=("FAILED: Jest wrote no report")
fi

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  check "build the app for the browser tests" yarn workspace app build
  echo "==> browser tests (Playwright + Chromium)"
  yarn playwright test
  if [ -f "$root/node_modules/.cache/e2e-results.json" ]; then
    read -r bp bf < <(node -e '
      const s = require(process.argv[1]).stats;
      const errors = (require(process.argv[1]).errors || []).length;
      console.log(s.expected + s.flaky, s.unexpected + errors);' "$root/node_modules/.cache/e2e-results.json")
    passed=$((passed + bp)); failed=$((failed + bf))
  else
    failed=$((failed + 1)); notes+=("FAILED: Playwright wrote no report")
  fi
else
  missing "Chromium ($chromium)" "browser tests not run; apt-get install -y chromium"
fi

for note in "${notes[@]+"${notes[@]}"}"; do echo "$note"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

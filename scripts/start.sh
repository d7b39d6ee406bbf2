#!/usr/bin/env bash
# Starts the portal for development: the frontend on http://localhost:3000 and
# the backend on http://localhost:7007 (SQLite in memory, the sample catalog,
# the development sign-in). Called by `./fincloud start` after installing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
exec "$root/scripts/yarn" start "$@"

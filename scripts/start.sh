#!/usr/bin/env bash
# Starts the portal for development: the frontend on http://localhost:3000 and
# the backend on http://localhost:7007 (SQLite in memory, the sample catalog,
# the development sign-in). Called by `./fincloud start` after installing.
#
# The cluster simulator (packages/cluster-sim) starts first, in the background,
# on 127.0.0.1:${FINCLOUD_SIM_PORT:-6443} with Prometheus and Alertmanager when
# they are installed; it writes .fincloud/app-config.sim.yaml (cluster `sim`
# for Backstage's Kubernetes tab and fincloud's plugins), which the portal
# loads after app-config.yaml (and app-config.local.yaml when it exists).
# Stopping the portal stops the simulator. FINCLOUD_NO_SIM=1 skips it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
state="$root/.fincloud"

configs=(--config "$root/app-config.yaml")
if [ -z "${FINCLOUD_NO_SIM:-}" ]; then
  mkdir -p "$state"
  rm -f "$state/sim.json"
  echo "==> starting the cluster simulator (log: .fincloud/simulator.log)"
  "$root/scripts/yarn" workspace @fincloud/cluster-sim start >"$state/simulator.log" 2>&1 &
  sim_pid=$!
  stop_sim() {
    if kill -0 "$sim_pid" 2>/dev/null; then
      kill -TERM "$sim_pid" 2>/dev/null || true
      wait "$sim_pid" 2>/dev/null || true
    fi
  }
  trap stop_sim EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  for _ in $(seq 1 120); do
    [ -f "$state/sim.json" ] && break
    if ! kill -0 "$sim_pid" 2>/dev/null; then
      echo "the cluster simulator did not start; see .fincloud/simulator.log:" >&2
      tail -n 20 "$state/simulator.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  if [ ! -f "$state/sim.json" ]; then
    echo "the cluster simulator did not start within 60 s; see .fincloud/simulator.log" >&2
    exit 1
  fi
  sed -n '1,8p' "$state/simulator.log"
  configs+=(--config "$state/app-config.sim.yaml")
fi
if [ -f "$root/app-config.local.yaml" ]; then
  configs+=(--config "$root/app-config.local.yaml")
fi
"$root/scripts/yarn" start "${configs[@]}" "$@"

#!/usr/bin/env bash
# Accepting late answers: pushes per second when every push is WeChat's last attempt and its answer is owed, so
# each request is one durable write into the outbox before `success` — for SQLite (durability full and normal)
# and Redis (a throwaway local redis-server, persistence off, when installed), as a ratio to the in-memory store
# measured in the same run. The client is `loadgen` (distinct signed pushes from 1 000 users, keep-alive).
#
#   bench/accept.sh                      # 64 connections, 5 s per run
#   CONNECTIONS=16 SECONDS_PER_RUN=10 bench/accept.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-64}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ADDR=127.0.0.1:18083
REDIS_PORT=16383

cargo build --release -q -p wxgate-bench --bin accept --bin loadgen
. bench/lib.sh

stores="memory sqlite-full sqlite-normal"
if command -v redis-server >/dev/null; then
  redis-server --port "$REDIS_PORT" --save '' --appendonly no --daemonize no >/dev/null & pids+=($!)
  wait_port "127.0.0.1:$REDIS_PORT"
  stores="$stores redis"
fi

out=$(mktemp)
for store in $stores; do
  RUST_LOG=error "$BIN/accept" --store "$store" --listen "$ADDR" --redis "redis://127.0.0.1:$REDIS_PORT/" & server=$!
  wait_port "$ADDR"
  "$BIN/loadgen" --target "$ADDR" --label "$store" --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN" \
    --expect success >>"$out"
  kill "$server"; wait "$server" 2>/dev/null || true
done
cat "$out"

python3 - "$out" "$CONNECTIONS" <<'PY'
import sys
runs = {}
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split())
    runs[kv["label"]] = kv
memory = float(runs["memory"]["rps"])
print(f"\nconnections={sys.argv[2]}")
print(f"{'store':14} {'accepts/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'errors':>6}")
for label, r in runs.items():
    rps = float(r["rps"])
    print(f"{label:14} {rps:10.0f} {float(r['p50_us'])/1000:8.2f} {float(r['p99_us'])/1000:8.2f} {rps/memory:6.2f} {int(r['errors']):6d}")
PY

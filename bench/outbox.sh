#!/usr/bin/env bash
# Outbox throughput: jobs/s through the worker against the simulated platform, SQLite (durability full and
# normal) and Redis (a throwaway local redis-server, when installed) against the in-memory store measured in the
# same run.
#
#   bench/outbox.sh                      # 400 users × 5 answers, 16 users at once
#   USERS=1000 CONCURRENCY=32 bench/outbox.sh
#   ASLEEP=20000 bench/outbox.sh         # with 20 000 answers asleep until their users write again
#   DEAD=100000 bench/outbox.sh          # with 100 000 dead letters kept in the store
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p wxgate-bench --bin outbox
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$TARGET_DIR/release/outbox" --users "${USERS:-400}" --per-user "${PER_USER:-5}" --concurrency "${CONCURRENCY:-16}" --asleep "${ASLEEP:-0}" --dead "${DEAD:-0}"

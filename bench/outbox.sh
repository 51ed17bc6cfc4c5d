#!/usr/bin/env bash
# Outbox throughput: jobs/s through the worker against the simulated platform, SQLite (durability full and
# normal) and Redis (a throwaway local redis-server, when installed) against the in-memory store measured in the
# same run; then the same with a backlog kept in the store — answers asleep until their users write again, then
# dead letters — of 10 000 and 100 000 jobs, each line with its ratio to memory and to the store's own figure
# without a backlog. Each store is measured ROUNDS times (default 3) per backlog, the stores taking turns, and
# its median printed, with the CPU time per job of the benchmark's process (worker, simulated platform, store
# client) and of redis-server. STORES picks the stores measured beside memory. The benchmark runs with mimalloc,
# the allocator of `wxgate serve`.
#
#   bench/outbox.sh                      # 5 000 users × 5 answers, 16 users at once; backlogs 10 000 and 100 000
#   USERS=1000 CONCURRENCY=32 bench/outbox.sh
#   BACKLOGS=20000 bench/outbox.sh       # one backlog size
#   STORES=redis BACKLOGS=0 bench/outbox.sh  # Redis against memory only, without a backlog
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p wxgate-bench --bin outbox
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$TARGET_DIR/release/outbox" --users "${USERS:-5000}" --per-user "${PER_USER:-5}" --concurrency "${CONCURRENCY:-16}" --backlogs "${BACKLOGS:-10000,100000}" \
  --rounds "${ROUNDS:-3}" --stores "${STORES:-sqlite-full,sqlite-normal,redis}"

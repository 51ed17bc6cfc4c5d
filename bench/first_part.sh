#!/usr/bin/env bash
# Time to the first part of a long model answer: streamed (parts go out while the model writes) against the
# finished answer split and sent at once, measured in the same run against the fake model and the simulator.
#
#   bench/first_part.sh                   # 6 000 characters, the model writing 24 characters per 40 ms
#   CHARS=9000 PIECE_MS=20 bench/first_part.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p wxgate-bench --bin first_part
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$TARGET_DIR/release/first_part" --chars "${CHARS:-6000}" --piece-ms "${PIECE_MS:-40}"

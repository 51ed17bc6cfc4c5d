#!/usr/bin/env bash
# Memory under a burst: the resident set of `wxgate serve` (release, mimalloc) before, at the peak of and after
# PUSHES distinct signed pushes (default 1 000 000), half of them answered by a rule and half falling through to
# the work path, so they stay in the in-flight table (30-61 s, for WeChat's retries) and the replay guard (the
# timestamp window, 120 s here). It then waits until every entry has expired and samples again.
#
#   bench/memory.sh                    # 1 000 000 pushes, 64 connections
#   PUSHES=200000 SETTLE=150 bench/memory.sh
#   TRICKLE=10000 bench/memory.sh      # then 10 000 more pushes, and RSS 10 s later
set -euo pipefail
cd "$(dirname "$0")/.."

PUSHES=${PUSHES:-1000000}
CONNECTIONS=${CONNECTIONS:-64}
SETTLE=${SETTLE:-150}
TRICKLE=${TRICKLE:-0}
ADDR=127.0.0.1:18085

cargo build --release -q -p wxgate -p wxgate-bench --bin wxgate --bin loadgen
. bench/lib.sh
dir=$(mktemp -d); cleanup_paths+=("$dir")

cat >"$dir/memory.toml" <<TOML
[server]
listen = "$ADDR"
timestamp_window_secs = 120

[store]
path = "$dir/store.sqlite"

[[accounts]]
name = "bench"
path = "/wx"
appid = "wx0000000000000001"
original_id = "gh_0000000000000001"
token = "wxgate-demo-token"
aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

# Pushes whose text ends in an even digit are answered by this rule (no in-flight entry); the others fall
# through to the (empty) work path, which answers success and keeps an entry for WeChat's retries.
[[accounts.rules]]
regex = "[02468]\$"
reply = { type = "text", content = "even" }
TOML

RUST_LOG=warn "$BIN/wxgate" serve --config "$dir/memory.toml" 2>"$dir/log" & server=$!; pids+=($server)
wait_port "$ADDR"
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
sleep 1
before=$(rss)
start=$(date +%s)
"$BIN/loadgen" --target "$ADDR" --label memory --connections "$CONNECTIONS" --seconds 3600 --requests "$PUSHES" \
  >"$dir/load" & load=$!; pids+=($load)
peak=$before
while kill -0 "$load" 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.25; done
cat "$dir/load"
end=$(date +%s)
echo "load took $((end - start)) s; sampling every 10 s for ${SETTLE} s"
for t in $(seq 10 10 "$SETTLE"); do sleep 10; echo "  +${t}s rss_kib=$(rss)"; done
after=$(rss)
if [ "$TRICKLE" -gt 0 ]; then
  "$BIN/loadgen" --target "$ADDR" --label trickle --connections 4 --seconds 3600 --requests "$TRICKLE" >/dev/null
  sleep 10
  echo "  after $TRICKLE more pushes: rss_kib=$(rss)"
fi
python3 - "$before" "$peak" "$after" "$PUSHES" <<'PY'
import sys
before, peak, after, n = (int(x) for x in sys.argv[1:])
print(f"pushes={n} rss_before_mib={before/1024:.1f} rss_peak_mib={peak/1024:.1f} rss_after_mib={after/1024:.1f} "
      f"after_over_before={after/before:.2f}")
PY

#!/usr/bin/env bash
# Memory under a burst: the resident set of `wxgate serve` (release, mimalloc) before, at the peak of and after
# PUSHES distinct signed pushes (default 1 000 000), half of them answered by a rule and half falling through to
# the work path, so they stay in the in-flight table (30-61 s, for WeChat's retries) and the replay guard (the
# timestamp window, 120 s here). It then waits until every entry has expired and samples again: an in-flight
# entry lives at most 61 s, and the replay guard forgets a query one to two windows after it came (it keeps two
# generations, each dropped a window after it began), so SETTLE defaults to two windows and a bit.
# It prints the resident set and its anonymous part (the heap) apart from the program's own mapped code.
#
# Two starting levels: cold (the process has served nothing yet, so the code of the request path is not even
# mapped in) and warm (after WARMUP pushes, default 1 000, and 65 s for their in-flight entries to expire: a
# process that has served, which is where a burst meets it). The ratio is printed against both. The pushes come
# from 1 000 users, and the default warm-up has each of them write once: what a user's message leaves behind
# lasts 48 hours (their customer-service window), so it belongs to the users served, not to the burst; with
# WARMUP=200 the burst also meets 800 users for the first time and their windows count as its leftovers.
#
#   bench/memory.sh                    # 1 000 000 pushes, 64 connections
#   PUSHES=200000 bench/memory.sh
#   TRICKLE=10000 bench/memory.sh      # then 10 000 more pushes, and RSS 10 s later
set -euo pipefail
cd "$(dirname "$0")/.."

PUSHES=${PUSHES:-1000000}
CONNECTIONS=${CONNECTIONS:-64}
SETTLE=${SETTLE:-250}
TRICKLE=${TRICKLE:-0}
WARMUP=${WARMUP:-1000}
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
anon() { awk '/RssAnon/ {print $2}' "/proc/$server/status"; }
sleep 1
cold=$(rss); anon_cold=$(anon)
if [ "$WARMUP" -gt 0 ]; then
  "$BIN/loadgen" --target "$ADDR" --label warmup --connections 8 --seconds 3600 --requests "$WARMUP" >/dev/null
  echo "warm-up: $WARMUP pushes; waiting 65 s for their in-flight entries to expire"
  sleep 65
fi
before=$(rss); anon_before=$(anon)
start=$(date +%s)
"$BIN/loadgen" --target "$ADDR" --label memory --connections "$CONNECTIONS" --seconds 3600 --requests "$PUSHES" \
  >"$dir/load" & load=$!; pids+=($load)
peak=$before
while kill -0 "$load" 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.25; done
cat "$dir/load"
end=$(date +%s)
echo "load took $((end - start)) s; sampling every 10 s for ${SETTLE} s"
for t in $(seq 10 10 "$SETTLE"); do sleep 10; echo "  +${t}s rss_kib=$(rss)"; done
after=$(rss); anon_after=$(anon)
if [ "$TRICKLE" -gt 0 ]; then
  "$BIN/loadgen" --target "$ADDR" --label trickle --connections 4 --seconds 3600 --requests "$TRICKLE" >/dev/null
  sleep 10
  echo "  after $TRICKLE more pushes: rss_kib=$(rss)"
fi
python3 - "$cold" "$before" "$peak" "$after" "$PUSHES" "$anon_cold" "$anon_before" "$anon_after" <<'PY'
import sys
cold, before, peak, after, n, anon_cold, anon_before, anon_after = (int(x) for x in sys.argv[1:])
mib = lambda k: f"{k/1024:.1f}"
print(f"pushes={n} rss_cold_mib={mib(cold)} rss_warm_mib={mib(before)} rss_peak_mib={mib(peak)} "
      f"rss_after_mib={mib(after)} after_over_cold={after/cold:.2f} after_over_warm={after/before:.2f}")
print(f"  anonymous (the heap): cold {mib(anon_cold)}, warm {mib(anon_before)}, after {mib(anon_after)} MiB; "
      f"the rest (mapped files, the program's code): cold {mib(cold-anon_cold)}, warm {mib(before-anon_before)}, "
      f"after {mib(after-anon_after)} MiB")
PY

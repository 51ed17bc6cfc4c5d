#!/usr/bin/env bash
# Load benchmark of the callback path: `wxgate serve` with the echo rule (text → text reply), in plain and safe
# mode, against a bare hyper server that returns a fixed body without parsing, measured in the same run. The
# client builds a distinct push per request (own MsgId, signature, and in safe mode ciphertext) for every run,
# the bare ones included, so each ratio compares the servers under the same client load.
# Prints requests/s, p50/p99 latency, the server's CPU time per request (user + system, from /proc), and the ratio
# of each wxgate run to the bare server.
#
# Both servers run WORKERS runtime threads (tokio's `TOKIO_WORKER_THREADS`), by default one fewer than the
# machine's cores: the client is one busy thread, and a server with a worker per core would share a core with it,
# so the kernel would time-slice them and a request caught on a preempted worker would wait out a scheduler tick
# (its p99 then shows the tick, not the server). `WORKERS=$(nproc)` measures the servers' default instead.
#
#   bench/callback.sh                 # 64 connections, 5 s per run
#   CONNECTIONS=16 SECONDS_PER_RUN=10 bench/callback.sh
#   WORKERS=2 bench/callback.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-64}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ROUNDS=${ROUNDS:-2}
cores=$(nproc)
WORKERS=${WORKERS:-$(( cores > 1 ? cores - 1 : 1 ))}
export TOKIO_WORKER_THREADS=$WORKERS
BARE_ADDR=127.0.0.1:18081
WX_ADDR=127.0.0.1:18082

cargo build --release -q -p wxgate -p wxgate-bench
. bench/lib.sh

"$BIN/bare" --listen "$BARE_ADDR" 2>/dev/null & pids+=($!); bare_pid=$!
RUST_LOG=warn WXGATE_LISTEN="$WX_ADDR" "$BIN/wxgate" serve --config examples/echo.toml 2>/dev/null & pids+=($!)
wx_pid=$!
wait_port "$BARE_ADDR"; wait_port "$WX_ADDR"

# CPU ticks (user + system) the process has used so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# One run against the server at $1 (pid $2); appends the server's CPU ticks to loadgen's line.
run() {
  local target=$1 pid=$2; shift 2
  local before; before=$(ticks "$pid")
  local line; line=$("$BIN/loadgen" --target "$target" --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN" "$@")
  echo "$line cpu_ticks=$(( $(ticks "$pid") - before )) hz=$hz"
}

out=$(mktemp)
# Interleave the runs so drift on the machine affects every server alike.
for r in $(seq 1 "$ROUNDS"); do
  run "$BARE_ADDR" "$bare_pid" --label bare >>"$out"
  run "$WX_ADDR" "$wx_pid" --label plain --expect "echo: hello wxgate" >>"$out"
  run "$BARE_ADDR" "$bare_pid" --label bare-safe --safe >>"$out"
  run "$WX_ADDR" "$wx_pid" --label safe --safe --expect "<Encrypt>" >>"$out"
done
cat "$out"

python3 - "$out" "$CONNECTIONS" "$WORKERS" <<'PY'
import sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split())
    runs[kv["label"]].append(kv)
def med(label, key):
    vals = sorted(float(r[key]) for r in runs[label])
    return vals[len(vals) // 2]
# Each wxgate run is compared with the bare run whose client built the same pushes (plain or encrypted).
baseline = {"bare": "bare", "plain": "bare", "bare-safe": "bare-safe", "safe": "bare-safe"}
print(f"\nconnections={sys.argv[2]} workers={sys.argv[3]} (median of {len(runs['bare'])} rounds)")
def cpu_us(label):
    # Server CPU per request in µs, the median over rounds.
    vals = sorted(int(r["cpu_ticks"]) / int(r["hz"]) * 1e6 / max(int(r["requests"]), 1) for r in runs[label])
    return vals[len(vals) // 2]
print(f"{'server':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'cpu µs':>7} {'ratio':>6} {'p99 ×':>6} {'errors':>6}")
for label in ("bare", "plain", "bare-safe", "safe"):
    rps = med(label, "rps")
    errors = sum(int(r["errors"]) for r in runs[label])
    ratio = rps / med(baseline[label], "rps")
    p99 = med(label, "p99_us") / med(baseline[label], "p99_us")
    print(f"{label:10} {rps:9.0f} {med(label,'p50_us')/1000:8.2f} {med(label,'p99_us')/1000:8.2f} {cpu_us(label):7.1f} {ratio:6.2f} {p99:6.2f} {errors:6d}")
PY

#!/usr/bin/env bash
# Instructions per push on the callback path: `wxgate serve --config examples/echo.toml` under callgrind, PUSHES
# distinct signed pushes (default 5 000, 8 connections, after 2 000 to warm up), plain and safe mode, printed as
# instructions the server executed per push, and as a ratio to BASELINE (another `wxgate` binary) when given.
#
# Unlike req/s or CPU time, the count does not move with the machine's load: two runs of one build agree within
# about 1-2 %, so a change of a few per cent per push shows here when the load benchmarks' run-to-run spread
# (10 % or more on a shared 2-core machine) hides it. It is not time: an instruction can take anything from a
# fraction of a cycle to a cache miss, and the kernel's side of each request is not counted. Valgrind's CPU has
# no SHA extensions, so SHA-1 runs in software here (about a quarter of the safe-mode count) where the real CPU
# uses its SHA instructions. The allocator's once-a-second housekeeping (`allocator::on_park`, `give_back`),
# which depends on how long the run takes under valgrind, is left out of the count.
#
#   bench/instructions.sh                            # this build
#   BASELINE=/tmp/wxgate-old bench/instructions.sh   # this build against another
#   PUSHES=20000 bench/instructions.sh
#
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."

PUSHES=${PUSHES:-5000}
BASELINE=${BASELINE:-}
ADDR=127.0.0.1:18086

command -v valgrind >/dev/null || { echo "bench/instructions.sh needs valgrind: apt-get install valgrind" >&2; exit 1; }
cargo build --release -q -p wxgate -p wxgate-bench --bin wxgate --bin loadgen
. bench/lib.sh
dir=$(mktemp -d); cleanup_paths+=("$dir")

# Sets `counted` to the instructions per push of binary $1 in mode $2 (plain or safe). Not run in a subshell, so
# that the server under valgrind is in `pids` and killed on exit if a step fails.
count() {
  local bin=$1 mode=$2 flag=()
  [ "$mode" = safe ] && flag=(--safe)
  RUST_LOG=warn WXGATE_LISTEN="$ADDR" valgrind --tool=callgrind --callgrind-out-file="$dir/cg.$mode" \
    "$bin" serve --config examples/echo.toml 2>"$dir/valgrind.log" &
  local server=$!; pids+=($server)
  wait_port "$ADDR" 30 # valgrind starts slowly
  "$BIN/loadgen" --target "$ADDR" --connections 8 --seconds 3600 --requests 2000 "${flag[@]}" --label warm >/dev/null
  callgrind_control --zero "$server" >/dev/null 2>&1
  "$BIN/loadgen" --target "$ADDR" --connections 8 --seconds 3600 --requests "$PUSHES" "${flag[@]}" --label "$mode" \
    >/dev/null
  callgrind_control --dump "$server" >/dev/null 2>&1
  kill "$server"; wait "$server" 2>/dev/null || true
  # The dump is cg.MODE.1 (what came after it, the shutdown, is cg.MODE).
  counted=$(callgrind_annotate --inclusive=yes "$dir/cg.$mode.1" 2>/dev/null | python3 -c '
import re, sys
total = housekeeping = 0
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+)\s", line)
    if not m:
        continue
    ir = int(m.group(1).replace(",", ""))
    if "PROGRAM TOTALS" in line:
        total = ir
    elif re.search(r"wxgate::allocator::(on_park|give_back)", line):
        housekeeping += ir
print((total - housekeeping) // int(sys.argv[1]))
' "$PUSHES")
  rm -f "$dir"/cg."$mode"*
}

printf '%-6s %14s' mode "this build"
[ -n "$BASELINE" ] && printf ' %14s %7s' baseline ratio
echo
for mode in plain safe; do
  count "$BIN/wxgate" "$mode"; ours=$counted
  printf '%-6s %14s' "$mode" "$ours"
  if [ -n "$BASELINE" ]; then
    count "$BASELINE" "$mode"; theirs=$counted
    printf ' %14s %7.3f' "$theirs" "$(python3 -c "print($ours / $theirs)")"
  fi
  echo
done
echo "(instructions the server executed per push, callgrind; $PUSHES pushes, 8 connections)"

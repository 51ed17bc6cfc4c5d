# Shared by the load benchmarks: the release binaries' directory, background processes killed on exit, and
# waiting for a port. Source it after `cd` to the repository root.

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BIN="$TARGET_DIR/release"

# Background processes to kill on exit (append with `pids+=($!)`), and files to remove.
pids=()
cleanup_paths=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "${cleanup_paths[@]}"; do rm -rf "$f"; done
}
trap cleanup EXIT

# Waits until something listens on host:port ($2 seconds at most, 10 by default).
wait_port() {
  for _ in $(seq 1 $(( ${2:-10} * 10 ))); do
    if (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on $1 did not start" >&2; exit 1
}

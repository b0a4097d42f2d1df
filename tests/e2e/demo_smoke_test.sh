#!/usr/bin/env bash
# `scripts/demo --smoke` as a test (issue 10): the newcomer's first command holds a real conversation. Runs
# the demo against this build's binary ($1) on free loopback ports; the demo itself fails unless an agent
# line, a recognised caller turn and a turn latency were logged and the service stopped cleanly. Here we
# also check the printed conversation: the caller's question understood, the hours answered, a goodbye.
set -euo pipefail
binary="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
free_port() {
  python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
t = socket.socket(); t.bind(("127.0.0.1", s.getsockname()[1])); print(s.getsockname()[1])'
}
out="$(mktemp -t va-demo-smoke.XXXXXX)"
trap 'rm -f "$out"' EXIT
status=0
VA_DEMO_BINARY="$binary" VA_DEMO_LISTEN="127.0.0.1:$(free_port)" VA_DEMO_SIP_PORT="$(free_port)" \
  timeout 240 "$root/scripts/demo" --smoke >"$out" 2>&1 || status=$?
cat "$out"
((status == 0)) || { echo "demo_smoke_test: scripts/demo --smoke exited with $status"; exit 1; }
fail=0
expect() {
  grep -qiE "$1" "$out" || { echo "demo_smoke_test: no line matching '$1' in the demo's output"; fail=1; }
}
expect '^\[demo\] +[0-9.]+ s +caller: .*час.*работ'
expect '^\[demo\] +[0-9.]+ s +agent: .*понедельник'
expect '^\[demo\] +[0-9.]+ s +agent: .*свидания'
exit $fail

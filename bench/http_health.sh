#!/usr/bin/env bash
# Throughput and latency of GET /healthz on the real voice-agent binary, measured with wrk on loopback.
#
#   cmake --preset release && cmake --build --preset release
#   bench/http_health.sh                       # 15 s, wrk -t2 -c100
#   DURATION=30 CONNECTIONS=200 bench/http_health.sh
#
# Environment: VA_BINARY (default build/release/bin/voice-agent), DURATION (seconds, 1..300, default 15),
# THREADS (wrk threads, default 2), CONNECTIONS (default 100), PORT (default: a free port).
# Rate limiting is disabled for the run (one client address would exhaust its bucket at once) and logging
# is at warn, so neither the limiter nor per-request logging is what gets measured. Results and the
# machine they came from belong in docs/benchmarks.md.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${VA_BINARY:-${repo_root}/build/release/bin/voice-agent}"
config="${repo_root}/config/livekit-sip.example.yaml"
duration="${DURATION:-15}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-100}"

die() { echo "http_health: $*" >&2; exit 1; }

[[ "${duration}" =~ ^[0-9]+$ ]] && (( duration >= 1 && duration <= 300 )) || die "DURATION must be 1..300 seconds"
[[ -x "${binary}" ]] || die "no binary at ${binary} (build the release preset or set VA_BINARY)"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v curl >/dev/null || die "curl is not installed"

if [[ -z "${PORT:-}" ]]; then
  PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi
address="127.0.0.1:${PORT}"
log_file="$(mktemp -t va-http-health.XXXXXX.log)"

server_pid=""
stop_server() {
  [[ -n "${server_pid}" ]] || return 0
  if kill -0 "${server_pid}" 2>/dev/null; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "${server_pid}" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "${server_pid}" 2>/dev/null; then
      echo "http_health: server did not stop within 10 s after SIGTERM; killing it" >&2
      kill -KILL "${server_pid}" 2>/dev/null || true
    fi
  fi
  wait "${server_pid}" 2>/dev/null || true
  server_pid=""
}
trap 'stop_server; rm -f "${log_file}"' EXIT

"${binary}" serve --config "${config}" \
  --set "http.listen=${address}" \
  --set security.rate_limit.enabled=false \
  --set logging.level=warn \
  2>"${log_file}" >/dev/null &
server_pid=$!

ready=false
for _ in $(seq 1 100); do
  if curl -fsS --noproxy '*' -o /dev/null "http://${address}/healthz" 2>/dev/null; then
    ready=true
    break
  fi
  kill -0 "${server_pid}" 2>/dev/null || break
  sleep 0.1
done
if [[ "${ready}" != true ]]; then
  cat "${log_file}" >&2
  die "server did not answer /healthz on ${address} within 10 s"
fi

echo "$("${binary}" version 2>/dev/null | head -n1 || true) on ${address}; $(nproc) cores"
echo "wrk -t${threads} -c${connections} -d${duration}s --latency http://${address}/healthz"
wrk_output="$(timeout $((duration + 30)) wrk -t"${threads}" -c"${connections}" -d"${duration}s" --latency \
  "http://${address}/healthz")"
echo "${wrk_output}"

stop_server

echo
echo "summary:"
echo "${wrk_output}" | awk '
  /Requests\/sec:/ { printf "  requests/s  %s\n", $2 }
  /^ +(50|75|90|99)%/ { printf "  p%-10s %s\n", substr($1, 1, length($1) - 1), $2 }
  /Non-2xx or 3xx responses:/ { printf "  non-2xx     %s\n", $NF }
  /Socket errors:/ { print "  " $0 }'

#!/usr/bin/env bash
# Throughput and latency of GET /healthz on the real voice-agent binary, measured with wrk on loopback.
#
#   cmake --preset release && cmake --build --preset release
#   bench/http_health.sh                       # 15 s, wrk -t2 -c100
#   DURATION=30 CONNECTIONS=200 bench/http_health.sh
#
# Environment: VA_BINARY (default build/release/bin/voice-agent), DURATION (seconds, 1..300, default 15),
# THREADS (wrk threads, default 2), CONNECTIONS (default 100), PORT (default: a free port),
# RATE_LIMIT=on (measure with the per-client rate limiter active but never triggered).
# Rate limiting is disabled for the run (one client address would exhaust its bucket at once) and logging
# is at warn, so neither the limiter nor per-request logging is what gets measured. Results and the
# machine they came from belong in docs/benchmarks.md.
#
# Reference: in the same run, nginx (Debian nginx-light, `scripts/setup --bench`) answers the same request
# with a fixed body on another loopback port, 2 worker processes for 2 cores, under the same wrk load; the
# summary gives voice-agent's throughput as a ratio of nginx's (the machines are shared and noisy, so the
# ratio is the figure to compare between runs). REFERENCE=none skips it.
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

if [[ "${RATE_LIMIT:-off}" == on ]]; then
  # The limiter's cost: on, with a bucket far too large to ever answer 429.
  limit_args=(--set security.rate_limit.enabled=true --set security.rate_limit.requests_per_second=1000000000
              --set security.rate_limit.burst=1000000000)
else
  limit_args=(--set security.rate_limit.enabled=false)
fi
"${binary}" serve --config "${config}" \
  --set "http.listen=${address}" \
  "${limit_args[@]}" \
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

summarise() {
  awk '
    /Requests\/sec:/ { printf "  requests/s  %s\n", $2 }
    /^ +(50|75|90|99)%/ { printf "  p%-10s %s\n", substr($1, 1, length($1) - 1), $2 }
    /Non-2xx or 3xx responses:/ { printf "  non-2xx     %s\n", $NF }
    /Socket errors:/ { print "  " $0 }'
}
rps() { awk '/Requests\/sec:/ { print $2 }'; }

echo
echo "summary (voice-agent):"
echo "${wrk_output}" | summarise

reference="${REFERENCE:-nginx}"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
if [[ "${reference}" == nginx && -x "${nginx_bin}" ]]; then
  ref_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  ref_dir="$(mktemp -d -t va-nginx.XXXXXX)"
  cat >"${ref_dir}/nginx.conf" <<NGINX
worker_processes 2;
daemon off;
pid ${ref_dir}/nginx.pid;
error_log ${ref_dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${ref_dir}; proxy_temp_path ${ref_dir}; fastcgi_temp_path ${ref_dir};
  uwsgi_temp_path ${ref_dir}; scgi_temp_path ${ref_dir};
  server {
    listen 127.0.0.1:${ref_port};
    location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
NGINX
  "${nginx_bin}" -c "${ref_dir}/nginx.conf" -p "${ref_dir}" &
  ref_pid=$!
  for _ in $(seq 1 50); do
    curl -fsS --noproxy '*' -o /dev/null "http://127.0.0.1:${ref_port}/healthz" 2>/dev/null && break
    sleep 0.1
  done
  echo
  echo "reference: nginx $("${nginx_bin}" -v 2>&1 | sed 's/.*nginx\///'), same wrk load on 127.0.0.1:${ref_port}"
  ref_output="$(timeout $((duration + 30)) wrk -t"${threads}" -c"${connections}" -d"${duration}s" --latency \
    "http://127.0.0.1:${ref_port}/healthz")"
  kill -TERM "${ref_pid}" 2>/dev/null || true
  wait "${ref_pid}" 2>/dev/null || true
  rm -rf "${ref_dir}"
  echo "summary (nginx):"
  echo "${ref_output}" | summarise
  va_rps="$(echo "${wrk_output}" | rps)"
  ng_rps="$(echo "${ref_output}" | rps)"
  awk -v a="${va_rps}" -v b="${ng_rps}" 'BEGIN { if (b > 0) printf "\nratio voice-agent / nginx: %.2f\n", a / b }'
elif [[ "${reference}" == nginx ]]; then
  echo "(no nginx for the reference run: scripts/setup --bench installs it; REFERENCE=none hides this)"
fi

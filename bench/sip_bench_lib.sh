# Shared by the SIP benchmarks (sip_call_rate.sh, sip_concurrency.sh); sourced, not run.
#
# Starts the release voice-agent on loopback with the example configuration and benchmark overrides, and reads
# what the benchmarks report: CPU seconds and RSS of a process from /proc, counters from /metrics, SIPp's
# final statistics row. Everything stays on 127.0.0.1; every wait is bounded.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${VA_BINARY:-${repo_root}/build/release/bin/voice-agent}"

config="${repo_root}/config/livekit-sip.example.yaml"
clock_ticks="$(getconf CLK_TCK)"

die() { echo "${bench_name:-bench}: $*" >&2; exit 1; }

free_port() {
  # An even UDP port with the next one free as well (SIPp's -mp takes a block of four).
  python3 - "$@" <<'PY'
import socket
for _ in range(200):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    if port % 2 or port > 65000:
        continue
    ok = True
    for p in range(port, port + 4):
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            t = socket.socket(socket.AF_INET, kind)
            try:
                t.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                t.close()
    if ok:
        print(port)
        break
PY
}

# utime + stime of a process and all its threads, in seconds.
cpu_seconds() {
  awk -v hz="${clock_ticks}" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}
# Resident set size in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
# Datagrams the kernel dropped at the open UDP sockets of a process (full receive buffer): the "drops" column
# of /proc/net/udp for the socket inodes in /proc/<pid>/fd. On loopback that is the only place where a
# packet to that process can be lost.
socket_drops() {
  local inodes
  inodes="$(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n' | sort -u)"
  awk 'NR == FNR { want[$1] = 1; next } FNR > 1 && ($10 in want) { sum += $13 } END { print sum + 0 }' \
    <(echo "${inodes}") /proc/net/udp
}

# A counter from /metrics, summed over the series whose labels contain $2 (e.g. 'direction="received"').
metric() {
  curl -fsS --noproxy '*' "http://${http_address}/metrics" 2>/dev/null |
    awk -v name="$1" -v label="$2" '
      index($0, name) == 1 && (label == "" || index($0, label) > 0) { sum += $NF }
      END { printf "%.0f\n", sum }'
}

server_pid=""
server_log=""
# start_voice_agent SIP_PORT [extra --set ...]: serve with the example configuration, benchmark overrides.
start_voice_agent() {
  local sip_port="$1"
  shift
  http_address="127.0.0.1:$(free_port)"
  server_log="$(mktemp -t va-sip-bench.XXXXXX.log)"
  # Trunks are cleared: the example's registering trunk would talk to the carrier, and the outbound route
  # names it. The echo route "100" stays. Logging at warn: per-call info lines are not what is measured.
  "${binary}" serve --config "${config}" \
    --set "http.listen=${http_address}" \
    --set "sip.listen=[udp://127.0.0.1:${sip_port}]" \
    --set 'sip.trunks=[]' --set 'routing.outbound.trunk=' \
    --set 'sip.rtp_ports={min: 20000, max: 30998}' \
    --set sip.max_calls=20000 \
    --set security.rate_limit.enabled=false \
    --set logging.level=warn \
    "$@" 2>"${server_log}" >/dev/null &
  server_pid=$!
  local ready=false
  for _ in $(seq 1 100); do
    if curl -fsS --noproxy '*' -o /dev/null "http://${http_address}/healthz" 2>/dev/null; then
      ready=true
      break
    fi
    kill -0 "${server_pid}" 2>/dev/null || break
    sleep 0.1
  done
  if [[ "${ready}" != true ]]; then
    cat "${server_log}" >&2
    die "voice-agent did not answer /healthz on ${http_address} within 10 s"
  fi
}

stop_voice_agent() {
  [[ -n "${server_pid}" ]] || return 0
  if kill -0 "${server_pid}" 2>/dev/null; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 "${server_pid}" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "${server_pid}" 2>/dev/null && kill -KILL "${server_pid}" 2>/dev/null || true
  fi
  wait "${server_pid}" 2>/dev/null || true
  server_pid=""
}
# For the EXIT trap: the server and its log go.
remove_voice_agent() {
  stop_voice_agent
  [[ -z "${server_log}" ]] || rm -f "${server_log}"
}

# sipp_stat FILE COLUMN: a column of the last row of a SIPp -trace_stat file (semicolon-separated).
sipp_stat() {
  awk -F';' -v column="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == column) c = i; next }
    { last = $c }
    END { print (c ? last : "") }' "$1"
}

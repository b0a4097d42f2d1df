#!/usr/bin/env bash
# Concurrent calls with media on the real voice-agent binary: SIPp places CALLS calls into the echo flow
# (dialled "100"), each offering PCMU only and streaming G.711 RTP at 50 packets/s (SIPp's rtp_stream,
# bench/scenarios/uac_g711_stream.xml); voice-agent decodes, de-jitters and re-encodes every packet and
# sends it back. All calls are up together for HOLD seconds; the measurement window lies inside that time.
#
#   scripts/build release voice-agent
#   bench/sip_concurrency.sh                       # 500 calls, ramp 50 calls/s, 60 s window
#   CALLS=200 HOLD=20 bench/sip_concurrency.sh
#
# Environment: VA_BINARY, CALLS (default 500), RAMP (calls/s while ramping up, default 50), HOLD (seconds of
# the measurement window, 5..300, default 60), REFERENCE=none (skip the SIPp reference).
#
# Reported for voice-agent:
# - loss: RTP packets SIPp sent (its RTP stream counters) against packets voice-agent received
#   (rtp_packets_total{direction="received"} from /metrics once every call ended), and the RFC 3550 loss of
#   every call (rtp_packets_lost_total{direction="received"}, sequence gaps counted per call);
# - CPU per call: utime + stime of the process (/proc/<pid>/stat) over the window, divided by the window and
#   the number of calls;
# - RSS per call: (VmRSS at the end of the window - VmRSS of the idle server before the first call) / CALLS.
# Reference: in the same run, SIPp's built-in `uas -rtp_echo` (answers, echoes every RTP packet back from one
# socket, no decoding) takes the same calls; the CPU ratio voice-agent / SIPp uas is the figure to compare
# between runs. The machine is shared: load averages are printed.
set -euo pipefail
bench_name=sip_concurrency
source "$(dirname "${BASH_SOURCE[0]}")/sip_bench_lib.sh"

calls="${CALLS:-500}"
ramp="${RAMP:-50}"
hold="${HOLD:-60}"
[[ "${hold}" =~ ^[0-9]+$ ]] && ((hold >= 5 && hold <= 300)) || die "HOLD must be 5..300 seconds"
[[ "${calls}" =~ ^[0-9]+$ ]] && ((calls >= 1 && calls <= 5000)) || die "CALLS must be 1..5000"
[[ -x "${binary}" ]] || die "no binary at ${binary} (build the release preset or set VA_BINARY)"
command -v sipp >/dev/null || die "SIPp is not installed (apt-get install sip-tester)"
scenario="${repo_root}/bench/scenarios/uac_g711_stream.xml"

ramp_s=$(((calls + ramp - 1) / ramp))
settle=5
window_start=$((ramp_s + settle))
call_s=$((window_start + hold + 5))  # every call outlives the window

work_dir="$(mktemp -d -t va-concurrency.XXXXXX)"
ref_pid=""
uac_pid=""
stop_pid() {
  local pid="$1"
  [[ -n "${pid}" ]] || return 0
  kill -USR1 "${pid}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "${pid}" 2>/dev/null || true
  wait "${pid}" 2>/dev/null || true
}
cleanup() {
  stop_pid "${uac_pid}"
  remove_voice_agent
  stop_pid "${ref_pid}"
  [[ "${KEEP:-no}" == yes ]] && echo "kept ${work_dir}" || rm -rf "${work_dir}"
}
trap cleanup EXIT

# One second of a 440 Hz tone at -10 dBm0-ish in mu-law, looped by SIPp: real audio rather than one repeated
# byte, so the codec path does its full work.
python3 - "${work_dir}/audio.ulaw" <<'PY'
import math, sys
def ulaw(sample):
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = 7
    for e in range(7, -1, -1):
        if sample & (0x4000 >> (7 - e)):
            exponent = e
            break
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF
data = bytes(ulaw(int(8000 * math.sin(2 * math.pi * 440 * n / 8000))) for n in range(8000))
open(sys.argv[1], "wb").write(data)
PY

# start_uac NAME TARGET: the calls, in the background (uac_pid); SIPp runs in its own directory.
start_uac() {
  local name="$1" target="$2"
  local dir="${work_dir}/${name}"
  mkdir -p "${dir}"
  cp "${work_dir}/audio.ulaw" "${dir}/"
  local media_port=40000 control_port
  control_port="$(free_port)"
  (cd "${dir}" && exec timeout $((call_s + 90)) sipp -sf "${scenario}" -s 100 "${target}" \
    -i 127.0.0.1 -p 0 -mi 127.0.0.1 -mp "${media_port}" -ci 127.0.0.1 -cp "${control_port}" \
    -r "${ramp}" -m "${calls}" -l "${calls}" -d $((call_s * 1000)) \
    -recv_timeout 20000 -timeout $((call_s + 60))s -nostdin -nd -max_socket 8192 \
    -trace_stat -stf stat.csv -fd 5 -trace_screen -trace_err -error_file errors.log >sipp.out 2>&1) &
  uac_pid=$!
}

# measure NAME PID: waits for the window, prints "cpu_s rss_kib" of PID over it.
measure() {
  local pid="$2"
  sleep "${window_start}"
  local cpu0 cpu1
  cpu0="$(cpu_seconds "${pid}")"
  sleep "${hold}"
  cpu1="$(cpu_seconds "${pid}")"
  # RSS, and the drops at the process's sockets so far (the calls are still up, their sockets open).
  echo "$(awk -v a="${cpu0}" -v b="${cpu1}" 'BEGIN { printf "%.2f", b - a }') $(rss_kib "${pid}") $(socket_drops "${pid}")"
}

wait_uac() {
  local deadline=$((SECONDS + call_s + 60))
  while kill -0 "${uac_pid}" 2>/dev/null && ((SECONDS < deadline)); do sleep 1; done
  stop_pid "${uac_pid}"
  uac_pid=""
}

uac_summary() {
  local stat="${work_dir}/$1/stat.csv"
  [[ -s "${stat}" ]] || { echo "no SIPp statistics; SIPp said:"; tail -5 "${work_dir}/$1/sipp.out"; return; }
  echo "successful $(sipp_stat "${stat}" 'SuccessfulCall(C)'), failed $(sipp_stat "${stat}" 'FailedCall(C)')," \
    "max concurrent $(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "CurrentCall") c = i; next }
      $c > m { m = $c } END { print m + 0 }' "${stat}")"
}

echo "$("${binary}" version 2>/dev/null | head -n1 || true); $(nproc) cores; $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1)"
echo "${calls} calls at ${ramp} calls/s, each ${call_s} s; window: ${window_start}..$((window_start + hold)) s"

sip_port="$(free_port)"
start_voice_agent "${sip_port}"
sleep 1
rss_idle="$(rss_kib "${server_pid}")"
load_va="$(load_average)"
start_uac va "127.0.0.1:${sip_port}"
read -r va_cpu va_rss va_drops < <(measure va "${server_pid}")
load_va_end="$(load_average)"
wait_uac
sleep 2  # every leg has reported its counters at its end
va_received="$(metric rtp_packets_total 'direction="received"')"
va_sent="$(metric rtp_packets_total 'direction="sent"')"
va_lost="$(metric rtp_packets_lost_total 'direction="received"')"
va_calls_observed="$(metric rtp_fraction_lost_count '')"
stop_voice_agent

ref_cpu=""
if [[ "${REFERENCE:-sipp}" == sipp ]]; then
  ref_port="$(free_port)"
  ref_control="$(free_port)"
  mkdir -p "${work_dir}/uas"
  (cd "${work_dir}/uas" && exec sipp -sn uas -i 127.0.0.1 -p "${ref_port}" -mi 127.0.0.1 -mp 44000 -rtp_echo \
    -ci 127.0.0.1 -cp "${ref_control}" -nostdin -nd -max_socket 8192 >uas.out 2>&1) &
  ref_pid=$!
  sleep 1
  kill -0 "${ref_pid}" 2>/dev/null || die "SIPp uas did not start: $(cat "${work_dir}/uas/uas.out")"
  load_ref="$(load_average)"
  start_uac ref "127.0.0.1:${ref_port}"
  read -r ref_cpu ref_rss ref_drops < <(measure ref "${ref_pid}")
  load_ref_end="$(load_average)"
  wait_uac
fi

per_call() { awk -v c="$1" -v t="${hold}" -v n="${calls}" 'BEGIN { printf "%.3f", 1000 * c / t / n }'; }
echo
echo "voice-agent (load ${load_va} -> ${load_va_end}):"
echo "  calls: $(uac_summary va)"
echo "  RTP received ${va_received}, sent ${va_sent}; RFC 3550 lost ${va_lost} over ${va_calls_observed} calls" \
  "($(awk -v l="${va_lost}" -v r="${va_received}" 'BEGIN { if (l + r > 0) printf "%.4f", 100 * l / (l + r) }') %)"
echo "  datagrams dropped at voice-agent's sockets (full receive buffer) by the end of the window: ${va_drops}"
echo "  CPU over ${hold} s: ${va_cpu} s = $(per_call "${va_cpu}") ms of CPU per call per second" \
  "($(awk -v c="${va_cpu}" -v t="${hold}" 'BEGIN { printf "%.1f", 100 * c / t }') % of one core in all)"
echo "  RSS idle ${rss_idle} KiB, with ${calls} calls ${va_rss} KiB:" \
  "$(awk -v a="${rss_idle}" -v b="${va_rss}" -v n="${calls}" 'BEGIN { printf "%.1f", (b - a) / n }') KiB per call"
if [[ -n "${ref_cpu}" ]]; then
  echo "SIPp uas -rtp_echo (load ${load_ref} -> ${load_ref_end}):"
  echo "  calls: $(uac_summary ref)"
  echo "  datagrams dropped at SIPp uas's sockets by the end of the window: ${ref_drops}"
  echo "  CPU over ${hold} s: ${ref_cpu} s = $(per_call "${ref_cpu}") ms per call per second; RSS ${ref_rss} KiB"
  echo "ratio CPU voice-agent / SIPp uas -rtp_echo: $(awk -v a="${va_cpu}" -v b="${ref_cpu}" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
fi

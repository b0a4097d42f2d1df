#!/usr/bin/env bash
# Sustained call rate of the real voice-agent binary: SIPp's built-in `uac` places calls into the echo flow
# (dialled "100"), each answered at once, held 1 s, then ended with BYE. Each step runs at a fixed rate for
# DURATION seconds; a step holds when every call succeeded and the achieved rate is within 2 % of the target.
#
#   scripts/build release voice-agent
#   bench/sip_call_rate.sh                          # steps 100 200 300 400 calls/s, 60 s each
#   RATES="300 350" DURATION=30 bench/sip_call_rate.sh
#
# Environment: VA_BINARY (default build/release/bin/voice-agent), RATES (calls/s,
# space-separated), DURATION (seconds per step, 5..300, default 60), CALL_MS (call length, default 1000),
# REFERENCE=none (skip the SIPp uas reference), STOP_ON_FAIL=no (keep stepping after a failed step).
#
# Reference: in the same run, after each voice-agent step, SIPp's own built-in `uas` (which answers and
# hangs up with no media, no dialog state beyond SIPp's call table and no configuration) takes the same
# load on another port. CPU seconds come from /proc/<pid>/stat (utime + stime of all threads) before and after
# each step; the report gives voice-agent's CPU as a ratio of SIPp uas's. The machine is shared: the load
# average is printed with every step.
set -euo pipefail
bench_name=sip_call_rate
source "$(dirname "${BASH_SOURCE[0]}")/sip_bench_lib.sh"

rates="${RATES:-100 200 300 400}"
duration="${DURATION:-60}"
call_ms="${CALL_MS:-1000}"
[[ "${duration}" =~ ^[0-9]+$ ]] && ((duration >= 5 && duration <= 300)) || die "DURATION must be 5..300 seconds"
[[ -x "${binary}" ]] || die "no binary at ${binary} (build the release preset or set VA_BINARY)"
command -v sipp >/dev/null || die "SIPp is not installed (apt-get install sip-tester)"

work_dir="$(mktemp -d -t va-call-rate.XXXXXX)"
ref_pid=""
cleanup() {
  remove_voice_agent
  if [[ -n "${ref_pid}" ]]; then
    kill -USR1 "${ref_pid}" 2>/dev/null || true
    sleep 1
    kill -KILL "${ref_pid}" 2>/dev/null || true
    wait "${ref_pid}" 2>/dev/null || true
  fi
  rm -rf "${work_dir}"
}
trap cleanup EXIT

# run_uac NAME TARGET RATE: one step of SIPp uac against TARGET; prints "successful failed elapsed_s".
run_uac() {
  local name="$1" target="$2" rate="$3"
  local dir="${work_dir}/${name}"
  mkdir -p "${dir}"
  local calls=$((rate * duration))
  local media_port control_port
  media_port="$(free_port)"
  control_port="$(free_port)"
  # -l: at most twice the expected concurrency, so a stalled peer shows as failures, not as an endless ramp.
  (cd "${dir}" && timeout $((duration + 60)) sipp -sn uac -s 100 "${target}" \
    -i 127.0.0.1 -p 0 -mi 127.0.0.1 -mp "${media_port}" -ci 127.0.0.1 -cp "${control_port}" \
    -r "${rate}" -m "${calls}" -l $((rate * (call_ms / 1000 + 1) * 2 + 100)) -d "${call_ms}" \
    -recv_timeout 10000 -timeout $((duration + 45))s -nostdin -nd -max_socket 4096 \
    -trace_stat -stf stat.csv -fd 1 -trace_err -error_file errors.log >sipp.out 2>&1) || true
  local stat="${dir}/stat.csv"
  [[ -s "${stat}" ]] || { tail -5 "${dir}/sipp.out" >&2; echo "0 ${calls} 0"; return; }
  local ok failed elapsed
  ok="$(sipp_stat "${stat}" 'SuccessfulCall(C)')"
  failed="$(sipp_stat "${stat}" 'FailedCall(C)')"
  elapsed="$(sipp_stat "${stat}" 'ElapsedTime(C)')"  # hh:mm:ss:uuuuuu
  elapsed="$(awk -F: '{ printf "%.1f", $1 * 3600 + $2 * 60 + $3 + $4 / 1e6 }' <<<"${elapsed}")"
  echo "${ok:-0} ${failed:-0} ${elapsed}"
}

# Calls per second over the time SIPp spent placing them: its elapsed time less the length of the last call.
achieved_rate() {
  awk -v n="$1" -v t="$2" -v d="${call_ms}" 'BEGIN { t -= d / 1000; if (t > 0) printf "%.1f", n / t; else print 0 }'
}

echo "$("${binary}" version 2>/dev/null | head -n1 || true); $(nproc) cores; $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1)"
echo "steps: ${rates} calls/s, ${duration} s each, ${call_ms} ms calls"

sip_port="$(free_port)"
start_voice_agent "${sip_port}"
reference="${REFERENCE:-sipp}"
if [[ "${reference}" == sipp ]]; then
  ref_port="$(free_port)"
  ref_media="$(free_port)"
  ref_control="$(free_port)"
  mkdir -p "${work_dir}/uas"
  (cd "${work_dir}/uas" && exec sipp -sn uas -i 127.0.0.1 -p "${ref_port}" -mi 127.0.0.1 -mp "${ref_media}" \
    -ci 127.0.0.1 -cp "${ref_control}" -nostdin -nd -max_socket 4096 >uas.out 2>&1) &
  ref_pid=$!
  sleep 1
  kill -0 "${ref_pid}" 2>/dev/null || die "SIPp uas did not start: $(cat "${work_dir}/uas/uas.out")"
fi

printf '\n%-6s %-12s %9s %7s %9s %9s %8s %8s  %s\n' rate server successful failed elapsed achieved cpu_s \
  cpu_ms/call "load (1 5 15 min)"
held=0
summary=()
for rate in ${rates}; do
  load_before="$(load_average)"
  cpu0="$(cpu_seconds "${server_pid}")"
  read -r ok failed elapsed < <(run_uac "va-${rate}" "127.0.0.1:${sip_port}" "${rate}")
  sleep 2  # the last BYEs and the server's own wind-down belong to the step
  cpu1="$(cpu_seconds "${server_pid}")"
  va_cpu="$(awk -v a="${cpu0}" -v b="${cpu1}" 'BEGIN { printf "%.2f", b - a }')"
  achieved="$(achieved_rate "${ok}" "${elapsed}")"
  per_call="$(awk -v c="${va_cpu}" -v n="${ok}" 'BEGIN { if (n > 0) printf "%.3f", 1000 * c / n; else print "-" }')"
  printf '%-6s %-12s %9s %7s %9s %9s %8s %8s  %s\n' "${rate}" voice-agent "${ok}" "${failed}" "${elapsed}" \
    "${achieved}" "${va_cpu}" "${per_call}" "${load_before}"
  step_ok=no
  if [[ "${failed}" == 0 && "${ok}" -ge $((rate * duration)) ]] &&
    awk -v a="${achieved}" -v r="${rate}" 'BEGIN { exit !(a >= 0.98 * r) }'; then
    step_ok=yes
    held="${rate}"
  fi
  ratio="-"
  if [[ -n "${ref_pid}" ]]; then
    ref_load="$(load_average)"
    rcpu0="$(cpu_seconds "${ref_pid}")"
    read -r rok rfailed relapsed < <(run_uac "uas-${rate}" "127.0.0.1:${ref_port}" "${rate}")
    sleep 2
    rcpu1="$(cpu_seconds "${ref_pid}")"
    ref_cpu="$(awk -v a="${rcpu0}" -v b="${rcpu1}" 'BEGIN { printf "%.2f", b - a }')"
    rachieved="$(achieved_rate "${rok}" "${relapsed}")"
    rper_call="$(awk -v c="${ref_cpu}" -v n="${rok}" 'BEGIN { if (n > 0) printf "%.3f", 1000 * c / n; else print "-" }')"
    printf '%-6s %-12s %9s %7s %9s %9s %8s %8s  %s\n' "${rate}" "sipp uas" "${rok}" "${rfailed}" "${relapsed}" \
      "${rachieved}" "${ref_cpu}" "${rper_call}" "${ref_load}"
    ratio="$(awk -v a="${va_cpu}" -v b="${ref_cpu}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
  fi
  summary+=("${rate} calls/s: ${step_ok} (${ok} ok, ${failed} failed, ${achieved}/s), voice-agent ${va_cpu} CPU s, CPU ratio voice-agent / SIPp uas ${ratio}")
  if [[ "${step_ok}" != yes && "${STOP_ON_FAIL:-yes}" == yes ]]; then
    break
  fi
done

echo
echo "summary:"
for line in "${summary[@]}"; do echo "  ${line}"; done
echo "  highest rate that held for ${duration} s with 0 failed calls: ${held} calls/s"
echo "  voice-agent peak RSS: $(awk '/^VmHWM:/ { print $2 " KiB" }' "/proc/${server_pid}/status")"
if [[ -s "${server_log}" ]]; then
  echo "  voice-agent warnings/errors: $(wc -l <"${server_log}") lines; first:"
  head -3 "${server_log}" | cut -c1-300 | sed 's/^/    /'
fi

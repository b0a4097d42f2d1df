#!/usr/bin/env bash
# Conversation latency: scripted callers (scripts/lib/demo_caller.sh: baresip playing RHVoice speech) talk
# to voice-agent over SIP on 127.0.0.1, and the agent's per-turn latency log lines are summarised by
# bench/conversation_latency.py (p50/p95 of every stage and of the framework overhead).
#   bench/conversation_latency.sh [--turns N] [--levels "1 2 4 6 8"] [--concurrent-turns N] [--skip-single]
#       [--skip-concurrency] [--llm]
# 1. Single calls: one call per language (ru, en) and codec (PCMA, G.722) with --turns utterances (default
#    20), each answered by the bench flow (bench/conversation_flow.yaml) with one short phrase.
# 2. Concurrency: N simultaneous calls (PCMA, ru) at each level, --concurrent-turns utterances each, with
#    the default engines; stops at the first level whose p95 total is twice N=1's. Then the same levels
#    with DTMF turns (key 1, RFC 4733 from baresip) and no speech recognition (agent.engines.stt=none).
# 3. --llm (issue 13): the AI dialogue against the scripted flow in one run, ru PCMA, --turns utterances each
#    with 10 s after each: the bench flow (the baseline), Gemma 3 270M in-process (agent.engines.llm=llama.cpp),
#    and the same model behind llama-cpp-python's OpenAI-compatible server (agent.engines.llm=openai).
# VA_BIN picks the binary (default: build/release/bin/voice-agent, built here). Every call is bounded by
# its WAV and a timeout; the agent is stopped (SIGTERM) after each run. Results print as Markdown.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
turns=20 concurrent_turns=6 levels="1 2 4 6 8" single=1 concurrency=1 llm=0
while (($#)); do
  case "$1" in
    --turns) turns="$2"; shift 2 ;;
    --concurrent-turns) concurrent_turns="$2"; shift 2 ;;
    --levels) levels="$2"; shift 2 ;;
    --skip-single) single=0; shift ;;
    --skip-concurrency) concurrency=0; shift ;;
    --llm) llm=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
((turns > 0 && turns <= 100 && concurrent_turns > 0 && concurrent_turns <= 50)) || { echo "bad counts" >&2; exit 2; }

bin="${VA_BIN:-}"
if [[ -z "$bin" ]]; then
  "$root/scripts/build" release voice-agent | tail -n 1 >&2
  bin="$root/build/release/bin/voice-agent"
fi
caller="$root/scripts/lib/demo_caller.sh"
summarise=(python3 "$root/bench/conversation_latency.py" --trailing-silence-ms 700)
work="$(mktemp -d -t va-conv-bench.XXXXXX)"
agent_pid=""
cleanup() {
  [[ -n "$agent_pid" ]] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  [[ -n "${llm_server_pid:-}" ]] && kill -INT "$llm_server_pid" 2>/dev/null && wait "$llm_server_pid" 2>/dev/null
  jobs -p | xargs -r kill 2>/dev/null || true
  [[ -n "${VA_BENCH_KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

declare -A phrases=(
  [ru]="Часы работы|Какой у меня баланс|Где вы находитесь|Сколько стоит доставка|Мне нужна помощь"
  [en]="What are your opening hours|What is my balance|Where are you located|How much is delivery|I need some help"
)

port_free() { [[ -z "$(ss -Hlntu "sport = :$1" 2>/dev/null)" ]]; }
pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((42000 + RANDOM % 8000))
    port_free "$p" && { echo "$p"; return 0; }
  done
  return 1
}

# start_agent NAME LANG [--set ...]: serve the bench flow, JSON log in $work/NAME/agent.log.
start_agent() {
  local name="$1" lang="$2"
  shift 2
  mkdir -p "$work/$name"
  sip_port=$(pick_port) http_port=$(pick_port)
  (cd "$work/$name" && exec "$bin" serve --set "http.listen=127.0.0.1:$http_port" \
    --set "sip.listen=[udp://127.0.0.1:$sip_port]" --set logging.format=json --set logging.level=info \
    --set "agent.flow_file=$root/bench/conversation_flow.yaml" \
    --set "routing.inbound=[{match: \"+7999*\", flow: main, language: $lang}]" \
    --set agent.conversation.trailing_silence=700ms --set sip.max_calls=64 "$@") \
    >"$work/$name/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$agent_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "voice-agent did not become ready:" >&2
  tail -n 20 "$work/$name/agent.log" >&2
  return 1
}
stop_agent() {
  kill -TERM "$agent_pid" 2>/dev/null || true
  wait "$agent_pid" 2>/dev/null || true
  agent_pid=""
}

# speech_plan LANG COUNT WAIT: the caller's arguments for COUNT utterances, each followed by WAIT s.
speech_plan() {
  local lang="$1" count="$2" wait="$3" i
  IFS='|' read -r -a list <<<"${phrases[$lang]}"
  plan=()
  for ((i = 0; i < count; i++)); do plan+=(--say "${list[i % ${#list[@]}]}" --wait "$wait"); done
}
key_plan() {
  local count="$1" wait="$2" i
  plan=()
  for ((i = 0; i < count; i++)); do plan+=(--key 1 --wait "$wait"); done
}
# Runs N callers at once with $plan, each bounded by its WAV and a timeout; their RTP (baresip's ports,
# 35000-38999, on loopback) is captured by tshark into $work/NAME/rtp.tsv for the caller's side.
call_n() {
  local name="$1" n="$2" codec="$3" lang="$4" i pids=() failed=0 capture_pid
  tshark -i lo -f "udp portrange 35000-38999" -d udp.port==35000-38999,rtp -l -T fields \
    -e frame.time_epoch -e udp.srcport -e udp.dstport -e rtp.p_type -e rtp.timestamp \
    -a duration:600 >"$work/$name/rtp.tsv" 2>"$work/$name/tshark.err" &
  capture_pid=$!
  sleep 2 # tshark opens the interface
  for ((i = 0; i < n; i++)); do
    "$caller" --agent-bin "$bin" --to "sip:+79997654321@127.0.0.1:$sip_port" --lang "$lang" --codec "$codec" \
      --out "$work/$name/call$i" --lead 2 "${plan[@]}" --timeout 400 2>"$work/$name/call$i.err" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  sleep 0.5
  kill -INT "$capture_pid" 2>/dev/null || true
  wait "$capture_pid" 2>/dev/null || true
  ((failed == 0)) || echo "($name: $failed of $n calls did not complete)" >&2
}
load_now() { cut -d' ' -f1 /proc/loadavg; } # the 1-minute load average, before and after a run

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $bin ($("$bin" version 2>/dev/null | head -n 1))"

caller_side=(python3 "$root/bench/conversation_latency.py" --calls)
caller_side_of() { "${caller_side[@]}" --capture "$work/$1/rtp.tsv" --label "$2" "$work/$1"/call*/; }
agent_rows="" caller_rows=""
print_tables() { # the agent's stages (none for DTMF turns: the agent measures speech turns), then the caller's side
  if [[ -n "${agent_rows//[$'\n']/}" ]]; then
    "${summarise[@]}" --header
    printf '%s' "$agent_rows"
    echo
  fi
  "${caller_side[@]}" --header
  printf '%s' "$caller_rows"
  agent_rows="" caller_rows=""
}

if ((single)); then
  echo
  echo "### Single calls, $turns turns each"
  for lang in ru en; do
    for codec in PCMA G722; do
      name="single-$lang-$codec"
      start_agent "$name" "$lang"
      speech_plan "$lang" "$turns" 4
      load_before=$(load_now)
      call_n "$name" 1 "$codec" "$lang"
      label="$lang $codec (load $load_before–$(load_now))"
      sleep 1
      stop_agent
      agent_rows+="$("${summarise[@]}" --label "$label" "$work/$name/agent.log" || true)"$'\n'
      caller_rows+="$(caller_side_of "$name" "$label" || true)"$'\n'
    done
  done
  print_tables
fi

if ((concurrency)); then
  for mode in speech dtmf; do
    echo
    if [[ "$mode" == speech ]]; then
      echo "### Concurrency, speech turns (ru, PCMA, whisper + RHVoice), $concurrent_turns turns per call"
    else
      echo "### Concurrency, DTMF turns (key 1, no STT: agent.engines.stt=none), $concurrent_turns turns per call"
    fi
    base=""
    for n in $levels; do
      name="$mode-n$n"
      if [[ "$mode" == speech ]]; then
        start_agent "$name" ru
        speech_plan ru "$concurrent_turns" 6
      else
        start_agent "$name" ru --set agent.engines.stt=none
        key_plan "$concurrent_turns" 3
      fi
      load_before=$(load_now)
      call_n "$name" "$n" PCMA ru
      label="N=$n (load $load_before–$(load_now))"
      sleep 1
      stop_agent
      agent_rows+="$("${summarise[@]}" --label "$label" "$work/$name/agent.log" 2>/dev/null || true)"$'\n'
      row="$(caller_side_of "$name" "$label" || true)"
      caller_rows+="$row"$'\n'
      # The stop rule runs on the caller's side, measured alike for speech and DTMF turns.
      p95=$(awk -F'|' '{ split($4, a, "/"); print a[2] + 0 }' <<<"$row")
      [[ -n "$base" ]] || base="$p95"
      if [[ -n "$p95" ]] && awk -v p="$p95" -v b="$base" 'BEGIN { exit !(b > 0 && p >= 2 * b) }'; then
        caller_rows+="(p95 at N=$n is at least twice N=1's: stopped here)"$'\n'
        break
      fi
    done
    print_tables
  done
fi

if ((llm)); then
  source "$root/scripts/versions.sh"
  echo
  echo "### The AI dialogue against the scripted flow (ru, PCMA, $turns turns each, 10 s after each utterance)"
  # The model's server for the third run: llama-cpp-python (scripts/setup builds its venv) on the same GGUF.
  llm_port=$(pick_port)
  "$(va_llm_server_venv)/bin/python" -m llama_cpp.server --model "$(va_llm_model)" --host 127.0.0.1 \
    --port "$llm_port" --n_ctx 2048 --n_threads 2 --chat_format chatml-function-calling \
    >"$work/llm-server.log" 2>&1 &
  llm_server_pid=$!
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$llm_port/v1/models" >/dev/null 2>&1 && break
    sleep 0.1
  done
  llm_common=(--set agent.flow_file= --set agent.llm.max_tokens=40 --set agent.llm.timeout=30s)
  for run in flow llama.cpp openai; do
    name="llm-$run"
    case "$run" in
      flow) start_agent "$name" ru ;;
      llama.cpp) start_agent "$name" ru "${llm_common[@]}" --set agent.engines.llm=llama.cpp ;;
      openai)
        start_agent "$name" ru "${llm_common[@]}" --set agent.engines.llm=openai \
          --set "agent.llm.base_url=http://127.0.0.1:$llm_port/v1" --set "agent.llm.model=$(va_llm_model)"
        ;;
    esac
    speech_plan ru "$turns" 10
    load_before=$(load_now)
    call_n "$name" 1 PCMA ru
    label="$run (load $load_before–$(load_now))"
    sleep 1
    stop_agent
    agent_rows+="$("${summarise[@]}" --label "$label" "$work/$name/agent.log" || true)"$'\n'
    caller_rows+="$(caller_side_of "$name" "$label" || true)"$'\n'
  done
  kill -INT "$llm_server_pid" 2>/dev/null || true
  wait "$llm_server_pid" 2>/dev/null || true
  llm_server_pid=""
  print_tables
fi

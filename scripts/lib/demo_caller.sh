#!/usr/bin/env bash
# A scripted caller for voice-agent: speaks to the agent over SIP from baresip and records what it hears.
# Used by scripts/demo and bench/conversation_latency.sh.
#
#   scripts/lib/demo_caller.sh --agent-bin PATH --to SIP-URI --lang ru|en --codec PCMA|G722 --out DIR \
#       [--lead SECONDS] [--say TEXT --wait SECONDS | --key DIGIT --wait SECONDS]... [--timeout SECONDS]
#       [--wav-only]
#
# The caller's audio is one WAV assembled with sox: --lead seconds of silence (the agent greets), then each
# --say utterance (synthesised with `voice-agent say`, RHVoice, a male voice so the two sides differ)
# followed by --wait seconds of silence for the agent's answer. --key sends a DTMF digit instead (RFC 4733,
# baresip's sndcode) at that point of the WAV, which then holds 0.2 s of silence for it. baresip (aufile source, sndfile recording,
# ctrl_tcp control) dials --to with the one codec, plays the WAV and records the agent; the call ends when
# the agent hangs up, or when the WAV ends (baresip hangs up then), or at --timeout.
# Writes DIR/caller.wav (what was played), DIR/agent.wav (what was heard), DIR/baresip.log, DIR/events.jsonl
# (baresip's ctrl_tcp events), DIR/rtp_port (baresip's RTP port, for a capture), DIR/turns.txt (per utterance or key: "say|key START END", seconds into
# caller.wav; END is the end of the speech, for measuring from the caller's side). agent.wav holds only
# the audio received: the agent sends no RTP while it is silent, so its times are not the call's. Exit 0 when the call was established and closed; 1 otherwise.
# --wav-only: only step 1 (DIR/caller.wav and DIR/turns.txt, no --to needed), for a caller of another kind
# playing the same speech (bench/livekit_calls.cpp plays it into a LiveKit room).
# Loopback only: baresip listens and offers RTP on 127.0.0.1, on ports outside the agent's range.
set -euo pipefail
export LC_ALL=C # netstring lengths are bytes

agent_bin="" to="" lang="" codec="PCMA" out="" lead=3 timeout=120 wav_only=0
texts=() waits=()
while (($#)); do
  case "$1" in
    --agent-bin) agent_bin="$2"; shift 2 ;;
    --to) to="$2"; shift 2 ;;
    --lang) lang="$2"; shift 2 ;;
    --codec) codec="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --lead) lead="$2"; shift 2 ;;
    --say) texts+=("$2"); waits+=(4); shift 2 ;;
    --key) texts+=("key:$2"); waits+=(4); shift 2 ;;
    --wait) ((${#waits[@]})) || { echo "demo_caller: --wait before any --say" >&2; exit 2; }
            waits[${#waits[@]}-1]="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --wav-only) wav_only=1; shift ;;
    *) echo "demo_caller: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "$agent_bin" && (-n "$to" || $wav_only == 1) && -n "$lang" && -n "$out" ]] || {
  sed -n '5,7p' "${BASH_SOURCE[0]}" >&2
  exit 2
}
case "$codec" in
  PCMA) rate=8000 baresip_codec=PCMA ;;
  G722 | G.722) rate=16000 baresip_codec=G722/16000/1 ;; # baresip's name; a bare "G722" matches nothing
  *) echo "demo_caller: codec $codec: PCMA or G722" >&2; exit 2 ;;
esac
case "$lang" in
  ru) voice=Aleksandr ;;
  en) voice=BDL ;;
  *) voice="" ;;
esac

mkdir -p "$out"
work="$(mktemp -d -t va-caller.XXXXXX)"
baresip_pid=""
cleanup() {
  [[ -n "$baresip_pid" ]] && kill "$baresip_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The caller's WAV, mono 16-bit at the codec's rate (baresip's aufile does not resample).
parts=("$work/lead.wav")
sox -n -r "$rate" -c 1 -b 16 "$work/lead.wav" trim 0 "$lead"
position="$lead" key_times=() key_digits=() # seconds into the WAV, and the digit sent then
: >"$out/turns.txt"
for i in "${!texts[@]}"; do
  if [[ "${texts[$i]}" == key:* ]]; then
    key_times+=("$position") key_digits+=("${texts[$i]#key:}")
    echo "key $position $position" >>"$out/turns.txt"
    sox -n -r "$rate" -c 1 -b 16 "$work/say$i.wav" trim 0 0.2
    sox -n -r "$rate" -c 1 -b 16 "$work/wait$i.wav" trim 0 "${waits[$i]}"
    parts+=("$work/say$i.wav" "$work/wait$i.wav")
    position=$(awk -v a="$position" -v b="${waits[$i]}" 'BEGIN { print a + 0.2 + b }')
    continue
  fi
  "$agent_bin" say --lang "$lang" ${voice:+--voice "$voice"} -o "$work/say$i.raw.wav" "${texts[$i]}" >/dev/null 2>"$work/say.err" ||
    { cat "$work/say.err" >&2; exit 1; }
  sox "$work/say$i.raw.wav" -r "$rate" -c 1 -b 16 "$work/say$i.wav"
  sox -n -r "$rate" -c 1 -b 16 "$work/wait$i.wav" trim 0 "${waits[$i]}"
  parts+=("$work/say$i.wav" "$work/wait$i.wav")
  # The speech's end: the synthesised WAV's last sample above -40 dBFS (RHVoice leaves some silence).
  speech_end=$(sox "$work/say$i.wav" -n reverse silence 1 0.02 -40d reverse stat 2>&1 | awk '/^Length/ { print $3 }')
  echo "say $position $(awk -v a="$position" -v d="${speech_end:-0}" 'BEGIN { print a + d }')" >>"$out/turns.txt"
  position=$(awk -v a="$position" -v b="${waits[$i]}" -v d="$(soxi -D "$work/say$i.wav")" \
    'BEGIN { print a + d + b }')
done
sox "${parts[@]}" "$out/caller.wav"
((wav_only)) && exit 0

# 2. Ports: a free SIP port, RTP above the agent's default range (20000-30000), a control port.
port_free() { [[ -z "$(ss -Hlntu "sport = :$1" 2>/dev/null)" ]]; }
pick_port() {
  local lo=$1 span=$2 p
  for _ in $(seq 1 50); do
    p=$((lo + RANDOM % span))
    port_free "$p" && port_free "$((p + 1))" && { echo "$p"; return 0; }
  done
  echo "demo_caller: no free port in $lo-$((lo + span))" >&2
  return 1
}
sip_port=$(pick_port 31000 4000)
rtp_port=$(pick_port 35000 4000)
rtp_port=$((rtp_port & ~1))
ctrl_port=$(pick_port 39000 4000)
echo "$rtp_port" >"$out/rtp_port"

# 3. baresip's configuration, as tests/support/baresip.cpp writes it.
mkdir -p "$work/recordings"
cat >"$work/config" <<CONFIG
sip_listen 127.0.0.1:$sip_port
net_interface 127.0.0.1
rtp_ports $rtp_port-$((rtp_port + 3))
audio_source aufile,$out/caller.wav
module_path /usr/lib/baresip/modules
module g711.so
module g722.so
module aufile.so
module sndfile.so
snd_path $work/recordings
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$ctrl_port
CONFIG
echo "<sip:caller@127.0.0.1>;regint=0;audio_codecs=$baresip_codec" >"$work/accounts"
: >"$work/contacts"

baresip -f "$work" -t "$timeout" </dev/null >"$out/baresip.log" 2>&1 &
baresip_pid=$!
ctrl=""
for _ in $(seq 1 100); do
  if { exec {ctrl}<>"/dev/tcp/127.0.0.1/$ctrl_port"; } 2>/dev/null; then break; fi
  ctrl=""
  kill -0 "$baresip_pid" 2>/dev/null || break
  sleep 0.05
done
[[ -n "$ctrl" ]] || { echo "demo_caller: baresip did not come up (see $out/baresip.log)" >&2; exit 1; }

# ctrl_tcp speaks netstrings: LEN:{json},
send_command() {
  local payload="{\"command\":\"$1\",\"params\":\"$2\",\"token\":\"$1\"}"
  printf '%d:%s,' "${#payload}" "$payload" >&"$ctrl"
}
# One message into $message; fails at the deadline or when baresip closes the connection, returns 2 when
# nothing came within $1 seconds (fractions allowed).
read_message() {
  local length comma left=$((deadline - SECONDS)) status=0
  ((left > 0)) || return 1
  IFS= read -r -d : -t "${1:-$left}" -u "$ctrl" length || status=$?
  # A timeout may leave part of the length read: keep it for the next call.
  ((status > 128)) && { pending+="$length"; return 2; }
  ((status == 0)) || return 1
  length="$pending$length" pending=""
  [[ "$length" =~ ^[0-9]+$ ]] || return 1
  IFS= read -r -N "$length" -t 5 -u "$ctrl" message || return 1
  IFS= read -r -N 1 -t 5 -u "$ctrl" comma || true
}

deadline=$((SECONDS + timeout))
send_command dial "$to"
established=0 closed=0 next_key=0 started_ns=0 pending=""
: >"$out/events.jsonl"
now_ns() { date +%s%N; }
while true; do
  wait_s=""
  if ((established && next_key < ${#key_times[@]})); then
    # The next digit is due at its offset from the start of the WAV (the call's establishment).
    due_ns=$((started_ns + $(awk -v t="${key_times[$next_key]}" 'BEGIN { printf "%d", t * 1000 }') * 1000000))
    left_ns=$((due_ns - $(now_ns)))
    if ((left_ns <= 0)); then
      send_command sndcode "${key_digits[$next_key]}"
      next_key=$((next_key + 1))
      continue
    fi
    wait_s=$(awk -v n="$left_ns" 'BEGIN { printf "%.3f", n / 1e9 }')
  fi
  status=0
  read_message $wait_s || status=$?
  ((status == 2)) && continue
  ((status == 0)) || break
  [[ "$message" == *'"event":true'* ]] || continue
  echo "$message" >>"$out/events.jsonl"
  case "$message" in
    *'"type":"CALL_ESTABLISHED"'*) established=1 started_ns=$(now_ns) ;;
    *'"type":"CALL_CLOSED"'*) closed=1; break ;;
  esac
done
send_command quit "" 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$baresip_pid" 2>/dev/null || break; sleep 0.1; done
kill "$baresip_pid" 2>/dev/null || true
wait "$baresip_pid" 2>/dev/null || true
baresip_pid=""

recording="$(ls "$work"/recordings/dump-*-dec.wav 2>/dev/null | head -n 1 || true)"
[[ -n "$recording" ]] && cp "$recording" "$out/agent.wav"
((established && closed))

#!/usr/bin/env bash
# Prints the conversations a voice-agent JSON log holds: the transcript lines the agent logs when a call
# ends ("msg":"transcript": speaker, text, start_ms, interrupted) as `caller: ...` / `agent: ...`, and the
# per-turn latencies ("msg":"turn latency") as a table. Used by scripts/demo; needs jq.
#   scripts/lib/conversation_report.sh LOG [PREFIX]
# Lines that are not JSON (a warning on stderr) are skipped. Exit 0 when the log holds a conversation: an agent line, a recognised caller line and a turn latency;
# 1 otherwise (the reason on stderr).
set -euo pipefail
log="$1"
prefix="${2:-}"

transcript() { jq -Rc 'fromjson? | select(.msg == "transcript")' "$log"; }
turns() { jq -Rc 'fromjson? | select(.msg == "turn latency")' "$log"; }

# One decimal, also for whole numbers (jq prints 27.0 as 27).
f1='def f1: (. * 10 | round) as $t | "\($t / 10 | floor).\($t % 10)";'
transcript | jq -r --arg p "$prefix" "$f1"'
  "\($p)\(.start_ms / 1000 | f1 | (" " * (5 - length)) + .) s  " +
   (if .speaker == "caller" then "caller: " else "agent:  " end) + .text +
   (if .interrupted then "  [interrupted]" else "" end)'

if [[ -n "$(turns)" ]]; then
  echo "${prefix}turn latency, ms (total = caller stopped -> agent speaks; endpointing is the trailing silence):"
  {
    echo "turn total endpointing speech_end->final final->reply reply->audio audio->frame recognition"
    turns | jq -r "$f1"'[.total_ms, .endpointing_ms, .end_of_speech_to_final_ms, .final_to_reply_ms,
                      .reply_to_first_audio_ms, .first_audio_to_first_frame_ms, .recognition_ms]
                     | map(if . < 0 then "-" elif . < 10 then f1
                           else (round | tostring) end) | join(" ")' | nl -w1 -s' '
  } | column -t | sed "s/^/$prefix  /"
fi

agent_lines=$(transcript | jq -s '[.[] | select(.speaker == "agent" and .text != "")] | length')
caller_lines=$(transcript | jq -s '[.[] | select(.speaker == "caller" and .text != "")] | length')
turn_lines=$(turns | jq -s '[.[] | select(.total_ms >= 0)] | length')
((agent_lines > 0)) || { echo "no agent transcript in $log" >&2; exit 1; }
((caller_lines > 0)) || { echo "no caller turn recognised in $log" >&2; exit 1; }
((turn_lines > 0)) || { echo "no turn latency in $log" >&2; exit 1; }

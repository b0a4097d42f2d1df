#!/usr/bin/env python3
"""Prints the conversations a voice-agent JSON log holds, for scripts/demo.

  scripts/lib/conversation_report.py LOG [PREFIX]

The transcript lines the agent logs when a call ends ("msg":"transcript": speaker, text, start_ms,
interrupted) print as `caller: ...` / `agent: ...`, and the per-turn latencies ("msg":"turn latency") as a
table. Lines that are not JSON (a warning on stderr) are skipped. Exit 0 when the log holds a conversation:
an agent line, a recognised caller line and a measured turn; 1 otherwise, with the reason on stderr.
"""
import json
import sys

COLUMNS = [
    ("total", "total_ms"),
    ("endpointing", "endpointing_ms"),
    ("speech_end->final", "end_of_speech_to_final_ms"),
    ("final->reply", "final_to_reply_ms"),
    ("reply->audio", "reply_to_first_audio_ms"),
    ("audio->frame", "first_audio_to_first_frame_ms"),
    ("recognition", "recognition_ms"),
]


def records(path):
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def milliseconds(value):
    if not isinstance(value, (int, float)) or value < 0:
        return "-"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path, prefix = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
    lines, turns = [], []
    for record in records(path):
        if record.get("msg") == "transcript":
            lines.append(record)
        elif record.get("msg") == "turn latency":
            turns.append(record)
    for line in lines:
        speaker = "caller: " if line.get("speaker") == "caller" else "agent:  "
        seconds = line.get("start_ms", 0) / 1000
        note = "  [interrupted]" if line.get("interrupted") else ""
        print(f"{prefix}{seconds:5.1f} s  {speaker}{line.get('text', '')}{note}")
    if turns:
        print(f"{prefix}turn latency, ms (total = caller stopped -> agent speaks; "
              "endpointing is the trailing silence):")
        rows = [["turn"] + [name for name, _ in COLUMNS]]
        for number, turn in enumerate(turns, 1):
            rows.append([str(number)] + [milliseconds(turn.get(key)) for _, key in COLUMNS])
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print(f"{prefix}  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())

    def spoken(speaker):
        return sum(1 for line in lines if line.get("speaker") == speaker and line.get("text"))

    if spoken("agent") == 0:
        print(f"no agent transcript in {path}", file=sys.stderr)
        return 1
    if spoken("caller") == 0:
        print(f"no caller turn recognised in {path}", file=sys.stderr)
        return 1
    if not any(isinstance(t.get("total_ms"), (int, float)) and t["total_ms"] >= 0 for t in turns):
        print(f"no turn latency in {path}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

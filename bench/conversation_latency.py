#!/usr/bin/env python3
"""Summarises the per-turn latencies voice-agent logs at call end ("msg":"turn latency" JSON lines).

  conversation_latency.py --trailing-silence-ms 700 LOG...            one row of every stage's p50/p95
  conversation_latency.py --trailing-silence-ms 700 --header          the table's header

Framework overhead of a turn = total - recognition compute - (reply -> first synthesised audio, the
synthesis engine's time to its first audio) - (for a turn the language model answered: final -> reply, the
model's time to its first sentence) - the configured trailing silence: what the pipeline itself adds between
the caller's last word and the agent's first frame. Lines that are not JSON are skipped.
Prints the row as a Markdown table row; exits 1 when no turn was measured.

  conversation_latency.py --calls --capture FILE DIR... [--label L]   the caller's side, speech and DTMF

reads what scripts/lib/demo_caller.sh left in each DIR (turns.txt: the end of every utterance or the moment
of every key, in seconds into the caller's WAV; rtp_port: the first of the caller's 4 RTP ports) and a tshark capture of the
calls' RTP (fields: time, source port, destination port, payload type, RTP timestamp). Per turn: the wire
time of the caller's last word (its first RTP packet + the offset into the WAV; baresip sends 20 ms packets
without pause) or of its first RFC 4733 packet for the key → the agent's next RTP packet (the agent sends
none while it is silent, so that is the start of its answer). This includes the RTP path the agent's own
figures leave out (the agent's jitter buffer and decoding), not the caller's playout.
"""
import argparse
import os
import sys

# The agent's JSON log is read the same way as by the demo's report.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
import conversation_report  # noqa: E402

STAGES = [
    ("total", "total_ms"),
    ("endpointing", "endpointing_ms"),
    ("speech end→final", "end_of_speech_to_final_ms"),
    ("final→reply", "final_to_reply_ms"),
    ("reply→first audio", "reply_to_first_audio_ms"),
    ("first audio→frame", "first_audio_to_first_frame_ms"),
    ("recognition", "recognition_ms"),
    ("llm first token", "llm_ttft_ms"),
    ("overhead", None),
]


def number(value):
    """A logged figure, or -1 for one that is absent or not a number."""
    return value if isinstance(value, (int, float)) else -1


def percentile(values, fraction):
    """Nearest-rank percentile (no interpolation: every figure is one measured turn)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil(n * fraction)
    return ordered[int(rank) - 1]


def fmt(value):
    if value is None:
        return "–"
    return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


def turns(paths):
    for path in paths:
        yield from (r for r in conversation_report.records(path) if r.get("msg") == "turn latency")


def read_capture(path):
    packets = []  # (time, src port, dst port, payload type or None, rtp timestamp or None)
    with open(path, encoding="utf-8", errors="replace") as capture:
        for line in capture:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3 or not fields[1] or not fields[2]:
                continue
            try:
                packets.append((float(fields[0]), int(fields[1]), int(fields[2]),
                                int(fields[3]) if len(fields) > 3 and fields[3] else None,
                                fields[4] if len(fields) > 4 else ""))
            except ValueError:
                continue
    packets.sort()
    return packets


def caller_side(dirs, capture_path, label):
    packets = read_capture(capture_path)
    latencies = []
    for directory in dirs:
        try:
            with open(os.path.join(directory, "rtp_port"), encoding="utf-8") as port_file:
                port = int(port_file.read().strip())
            with open(os.path.join(directory, "turns.txt"), encoding="utf-8") as turns_file:
                turns_list = [line.split() for line in turns_file if len(line.split()) == 3]
        except (OSError, ValueError):
            continue
        # baresip picks its RTP port inside the 4-port range demo_caller.sh gave it.
        ports = range(port, port + 4, 2)  # RTP on the even ports, RTCP on the odd ones
        sent = [p for p in packets if p[1] in ports and p[3] is not None]
        heard = [p[0] for p in packets if p[2] in ports and p[3] is not None]
        audio = [p for p in sent if p[3] != 101]
        events = {}  # RFC 4733: one event per RTP timestamp, its first packet is the key press
        for packet in sent:
            if packet[3] == 101 and packet[4] not in events:
                events[packet[4]] = packet[0]
        key_presses = sorted(events.values())
        if not audio:
            continue
        first_audio = audio[0][0]
        key_index = 0
        for kind, _, end in turns_list:
            if kind == "key":
                if key_index >= len(key_presses):
                    continue
                said = key_presses[key_index]
                key_index += 1
            else:
                said = first_audio + float(end)
            following = [t for t in heard if t > said]
            if following:
                latencies.append((following[0] - said) * 1000)
    if not latencies:
        print(f"no answered turn in {' '.join(dirs)}", file=sys.stderr)
        return 1
    print(f"| {label} | {len(latencies)} | {fmt(percentile(latencies, 0.5))} / "
          f"{fmt(percentile(latencies, 0.95))} | {fmt(max(latencies))} |")
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trailing-silence-ms", type=float, default=700.0)
    parser.add_argument("--header", action="store_true")
    parser.add_argument("--label", default="")
    parser.add_argument("--calls", action="store_true", help="the arguments are demo_caller.sh directories")
    parser.add_argument("--capture", help="tshark fields of the calls' RTP (with --calls)")
    parser.add_argument("logs", nargs="*")
    args = parser.parse_args()
    if args.calls:
        if args.header:
            print("| run | turns | caller-side total p50 / p95 | max |\n|---|---|---|---|")
            return 0
        return caller_side(args.logs, args.capture, args.label)
    if args.header:
        cells = ["run", "turns"] + [f"{name} p50 / p95" for name, _ in STAGES]
        print("| " + " | ".join(cells) + " |")
        print("|" + "---|" * len(cells))
        return 0
    columns = {name: [] for name, _ in STAGES}
    count = 0
    for turn in turns(args.logs):
        total = turn.get("total_ms", -1)
        if total is None or total < 0:
            continue  # a turn the agent never answered (the call ended first)
        count += 1
        for name, key in STAGES:
            if key is not None and number(turn.get(key)) >= 0:
                columns[name].append(turn[key])
        engine = max(turn.get("recognition_ms", -1), 0) + max(turn.get("reply_to_first_audio_ms", -1), 0)
        if number(turn.get("llm_ttft_ms")) >= 0:  # the model's time to its first sentence is the engine's
            engine += max(turn.get("final_to_reply_ms", -1), 0)
        columns["overhead"].append(total - engine - args.trailing_silence_ms)
    if count == 0:
        print(f"no measured turn in {' '.join(args.logs)}", file=sys.stderr)
        return 1
    cells = [args.label, str(count)]
    for name, _ in STAGES:
        cells.append(f"{fmt(percentile(columns[name], 0.5))} / {fmt(percentile(columns[name], 0.95))}")
    print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

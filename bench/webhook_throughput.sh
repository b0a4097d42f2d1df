#!/usr/bin/env bash
# LiveKit webhook verification + parse throughput, voice-agent (C++) against the official Node SDK's
# WebhookReceiver, on the same signed events, each pinned to one core. See docs/benchmarks.md.
#   bench/webhook_throughput.sh [events per run, default 200000] [runs, default 5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
events="${1:-200000}"
runs="${2:-5}"
build="${VA_BENCH_BUILD_DIR:-build/release}"
[[ -f "$build/CMakeCache.txt" ]] || cmake --preset release -B "$build" >/dev/null
cmake --build "$build" -j2 --target webhook_throughput >/dev/null
[[ -d tests/node/node_modules/livekit-server-sdk ]] || (cd tests/node && npm ci --silent)
bin="$build/bench/webhook_throughput"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pin=(taskset -c 0)
command -v taskset >/dev/null || pin=()

"$bin" --write "$work/events.jsonl" --distinct 2000
echo "== voice-agent (C++, WebhookVerifier + parse_webhook_event)"
"${pin[@]}" "$bin" --read "$work/events.jsonl" --events "$events" --runs "$runs" | tee "$work/cpp.txt"
echo "== livekit-server-sdk $(node -p "require('./tests/node/node_modules/livekit-server-sdk/package.json').version") on node $(node --version) (WebhookReceiver.receive)"
"${pin[@]}" node bench/webhook_receiver.mjs "$work/events.jsonl" "$events" "$runs" | tee "$work/node.txt"
cpp=$(awk '/voice-agent median/ {print $3}' "$work/cpp.txt")
js=$(awk '/node sdk median/ {print $4}' "$work/node.txt")
echo "voice-agent ${cpp} events/s, node sdk ${js} events/s, ratio $(awk -v a="$cpp" -v b="$js" 'BEGIN {printf "%.2f", a / b}')x"

// The official LiveKit Node SDK's WebhookReceiver.receive(body, authorization) on the same events as
// bench/webhook_throughput.cpp (a file written by `webhook_throughput --write`), one after another on one
// thread, as a Node webhook endpoint would run them.
//   node bench/webhook_receiver.mjs events.jsonl [events=200000] [runs=5]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/node/package.json'));
const { WebhookReceiver } = await import(require.resolve('livekit-server-sdk'));

const [file, eventsArg, runsArg] = process.argv.slice(2);
const events = Number(eventsArg ?? 200000);
const runs = Number(runsArg ?? 5);
const input = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
const receiver = new WebhookReceiver('APIbenchKey0001', 'bench-secret-0123456789abcdefghijklmnop');

const rates = [];
for (let run = 0; run <= runs; run++) {  // run 0 warms up the JIT and is not reported
  let checksum = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < events; i++) {
    const e = input[i % input.length];
    const event = await receiver.receive(e.body, e.authorization);
    checksum += event.id.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run === 0) continue;
  rates.push(events / seconds);
  console.log(`run ${run}: ${events} events in ${seconds.toFixed(3)} s = ${(events / seconds).toFixed(0)} events/s (checksum ${checksum})`);
}
rates.sort((a, b) => a - b);
console.log(`node sdk median: ${rates[Math.floor(rates.length / 2)].toFixed(0)} events/s`);

// JSON in (a file named as the first argument, else stdin), one line of JSON out: how voice-agent's tests
// talk to these peer scripts.
import { webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';

// Debian 12's Node 18 has Web Crypto only as node:crypto's webcrypto (globalThis.crypto arrived in Node 19,
// hence the SDK's `engines: node >= 19`); the SDK's WebhookReceiver needs globalThis.crypto.subtle.
if (!globalThis.crypto) globalThis.crypto = webcrypto;

export async function readInput() {
  if (process.argv[2]) return JSON.parse(await readFile(process.argv[2], 'utf8'));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export function reply(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

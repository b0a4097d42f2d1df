// JSON in (a file named as the first argument, else stdin), one line of JSON out: how voice-agent's tests
// talk to these peer scripts.
import { readFile } from 'node:fs/promises';

export async function readInput() {
  if (process.argv[2]) return JSON.parse(await readFile(process.argv[2], 'utf8'));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export function reply(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

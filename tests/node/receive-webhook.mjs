// Receives a webhook with the official SDK's WebhookReceiver. Input: {apiKey, apiSecret, body, authorization}.
// Output: {"ok": true, "event": <the event as protobuf JSON>} or {"ok": false, "error": "..."}
import { WebhookReceiver } from 'livekit-server-sdk';
import { readInput, reply } from './peer-io.mjs';

const input = await readInput();
try {
  const event = await new WebhookReceiver(input.apiKey, input.apiSecret).receive(input.body, input.authorization);
  reply({ ok: true, event: event.toJson() });
} catch (e) {
  reply({ ok: false, error: String(e?.message ?? e) });
}

// Verifies a token with the official SDK's TokenVerifier. Input: {apiKey, apiSecret, token}.
// Output: {"ok": true, "claims": {...}} or {"ok": false, "error": "..."}
import { TokenVerifier } from 'livekit-server-sdk';
import { readInput, reply } from './peer-io.mjs';

const input = await readInput();
try {
  const claims = await new TokenVerifier(input.apiKey, input.apiSecret).verify(input.token);
  reply({ ok: true, claims });
} catch (e) {
  reply({ ok: false, error: String(e?.message ?? e) });
}

// Signs a webhook body the way LiveKit's server does: a bare JWT (key as issuer, 5 minutes valid unless
// `ttl` says otherwise) whose sha256 claim is base64(SHA-256(body)). Input: {apiKey, apiSecret, body, ttl?}.
// Output: {"authorization": "<jwt>"}
import { createHash } from 'node:crypto';
import { AccessToken } from 'livekit-server-sdk';
import { readInput, reply } from './peer-io.mjs';

const input = await readInput();
const at = new AccessToken(input.apiKey, input.apiSecret, { ttl: input.ttl ?? '5m' });
at.sha256 = createHash('sha256').update(input.body, 'utf8').digest('base64');
reply({ authorization: await at.toJwt() });

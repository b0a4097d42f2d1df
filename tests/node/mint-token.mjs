// Mints an access token with the official LiveKit server SDK. Input (JSON, see peer-io.mjs):
//   {apiKey, apiSecret, identity, name?, metadata?, attributes?, kind?, ttl?, video?, sip?, sha256?}
// Output: {"token": "..."}
import { AccessToken } from 'livekit-server-sdk';
import { readInput, reply } from './peer-io.mjs';

const input = await readInput();
const at = new AccessToken(input.apiKey, input.apiSecret, {
  identity: input.identity,
  name: input.name,
  metadata: input.metadata,
  attributes: input.attributes,
  ttl: input.ttl ?? '6h',
});
if (input.kind) at.kind = input.kind;
if (input.video) at.addGrant(input.video);
if (input.sip) at.addSIPGrant(input.sip);
if (input.sha256) at.sha256 = input.sha256;
reply({ token: await at.toJwt() });

// Check the Shopify and Linear requests of tests/vectors/senders.json with
// each provider's official library (@shopify/shopify-api, @linear/sdk): no
// example of theirs is published, so make.py signs them by the documented
// algorithm and this script proves the libraries accept exactly those
// requests, and refuse them with one byte of the body changed. .ci/run
// runs it; exit 1 on any disagreement.
//
//   (cd tests/vectors && npm install) && node tests/vectors/check.mjs

import '@shopify/shopify-api/adapters/node';
import { shopifyApi, ApiVersion } from '@shopify/shopify-api';
import { LinearWebhookClient } from '@linear/sdk/webhooks';
import { readFileSync } from 'node:fs';

const cases = JSON.parse(readFileSync(new URL('./senders.json', import.meta.url), 'utf8'));
const header = (c, name) =>
  c.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
const tampered = (body) => body.replace(/.$/, (ch) => (ch === '}' ? ' }' : '}'));

async function shopify(c, body) {
  const api = shopifyApi({
    apiKey: 'hookq', apiSecretKey: c.secret, scopes: [], hostName: 'localhost',
    apiVersion: Object.values(ApiVersion).at(-1), isEmbeddedApp: false,
    logger: { level: 0, log: () => {} },
  });
  // The library also wants the headers Shopify sends beside the signature;
  // they are not signed, so any values do.
  const headers = {
    'x-shopify-hmac-sha256': header(c, 'X-Shopify-Hmac-Sha256'),
    'x-shopify-webhook-id': header(c, 'X-Shopify-Webhook-Id'),
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': 'hookq.myshopify.com',
    'x-shopify-api-version': '2025-10',
  };
  const result = await api.webhooks.validate({
    rawBody: body, rawRequest: { method: 'POST', url: c.path, headers }, rawResponse: {},
  });
  return result.valid;
}

function linear(c, body) {
  // The library checks the body's webhookTimestamp against its clock.
  const now = Date.now;
  Date.now = () => c.now * 1000;
  try {
    return new LinearWebhookClient(c.secret).verify(Buffer.from(body), header(c, 'Linear-Signature'));
  } catch {
    return false;
  } finally {
    Date.now = now;
  }
}

const checks = { shopify, linear };
let failed = 0;
let checked = 0;
for (const c of cases) {
  const check = checks[c.kind];
  if (!check) continue;
  checked += 1;
  const accepted = await check(c, c.body);
  const refused = !(await check(c, tampered(c.body)));
  console.log(`${accepted && refused ? 'ok  ' : 'FAIL'} ${c.name} (accepted: ${accepted}, tampered refused: ${refused})`);
  if (!(accepted && refused)) failed += 1;
}
if (checked < Object.keys(checks).length) {
  console.log(`FAIL: expected a case per library, found ${checked}`);
  failed += 1;
}
process.exit(failed ? 1 : 0);

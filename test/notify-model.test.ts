// The self-contained pieces of notifications, without a server: subscription ids and
// watermarks are signed (a changed byte, a truncation or another secret is refused), the
// event endpoint's address check, and the streaming envelope that the EWS Managed API's
// ports can split (literal `<Envelope` / `</Envelope>`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivateAddress } from '../src/notify/endpoint.js';
import { newSubscription, openSubscription, openWatermark, sealSubscription, sealWatermark, subscriptionKey, userDigest } from '../src/notify/model.js';
import { renderStreamingEnvelope, streamingKeepAlive } from '../src/notify/render.js';

const secret = Buffer.from('model-test-secret');

test('a subscription id carries the subscription, signed', () => {
  const sub = newSubscription({ kind: 'stream', user: 'a@example.test', all: false, folders: ['0123abcd', 'p:Projects/2026', 'v:calendar'], events: ['NewMailEvent', 'ModifiedEvent'] });
  const id = sealSubscription(sub, secret);
  const opened = openSubscription(id, secret);
  assert.ok(opened.ok);
  if (!opened.ok) return;
  const { events, ...rest } = opened.sub;
  assert.deepEqual(JSON.parse(JSON.stringify(rest)), JSON.parse(JSON.stringify({ ...sub, events: undefined })));
  assert.deepEqual([...events].sort(), [...sub.events].sort());
  assert.equal(opened.key, subscriptionKey(id));
  // Two subscriptions alike still differ (nonce).
  assert.notEqual(sealSubscription(newSubscription({ ...sub }), secret), id);
  assert.deepEqual(openSubscription(id, Buffer.from('another-secret')), { ok: false, why: 'forged' });
  assert.deepEqual(openSubscription(id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A'), secret), { ok: false, why: 'forged' });
  assert.deepEqual(openSubscription(id.slice(0, 30), secret), { ok: false, why: 'malformed' });
  assert.deepEqual(openSubscription('f6bc657d-dde1-4f94-952d-143b95d6483d', secret), { ok: false, why: 'malformed' });
  assert.deepEqual(openSubscription('', secret), { ok: false, why: 'malformed' });
});

test('a watermark carries the folder states, signed and bound to a subscription and user', () => {
  const w = {
    sub: 'k1',
    user: userDigest('A@example.test'),
    issued: 1_700_000_000,
    folders: [
      { key: 'g1', parent: '', uidValidity: 7, modseq: 123456789012345678n, uidNext: 42, pathHash: 'abcdef' },
      { key: 'g2', parent: 'g1', uidValidity: 8, modseq: 5n, uidNext: 1, pathHash: 'ghijkl' },
      { key: 'p:Other', parent: 'gone', uidValidity: 9, modseq: 0n, uidNext: 3, pathHash: 'mnopqr' },
    ],
  };
  const text = sealWatermark(w, secret);
  assert.deepEqual(openWatermark(text, secret), w);
  assert.equal(userDigest('a@EXAMPLE.test'), w.user);
  assert.equal(openWatermark(text, Buffer.from('x')), undefined);
  assert.equal(openWatermark(text.slice(0, -2), secret), undefined);
  assert.equal(openWatermark('AAAAAMAGAAAAAAAAAQ==', secret), undefined);
});

test('the event endpoint takes loopback and private addresses only', () => {
  for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', 'fd00::1', 'fe80::1']) assert.ok(isPrivateAddress(a), a);
  for (const a of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:db8::1', '::ffff:1.2.3.4', undefined]) assert.ok(!isPrivateAddress(a), String(a));
});

test('streaming envelopes have an unprefixed Envelope element, as Exchange writes them', () => {
  const text = renderStreamingEnvelope(streamingKeepAlive());
  assert.ok(text.includes('<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"'));
  assert.ok(text.endsWith('</Envelope>'));
  assert.equal(text.split('<Envelope').length, 2);
});

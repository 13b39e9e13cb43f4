// A 20 MB attachment parses quickly and without holding many copies of itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makeLargeMessage, makeLargePayload } from './large-message.js';
import { readMessage } from '../../src/convert/message-properties.js';
import { parseMimeStructure } from '../../src/convert/mime-structure.js';

v8.setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

/** Lets finished streams drop their buffers, then collects (backing stores are freed lazily). */
async function settle() {
  await new Promise((r) => setTimeout(r, 50));
  gc();
  gc();
}

test('makeLargeMessage is deterministic', () => {
  const a = makeLargeMessage(100_000);
  const b = makeLargeMessage(100_000);
  assert.ok(a.equals(b));
  assert.equal(makeLargePayload(1000).length, 1000);
  assert.ok(!makeLargePayload(64).equals(Buffer.alloc(64)));
});

test('a 20 MB attachment: parsed within time and memory bounds, content intact', async () => {
  const size = 20 * MB;
  const raw = makeLargeMessage(size);
  const expected = createHash('sha256').update(makeLargePayload(size)).digest('hex');
  await settle();
  const base = process.memoryUsage();
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss - base.rss);
  }, 2);
  const t0 = Date.now();
  const m = await readMessage(raw);
  const elapsed = Date.now() - t0;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss - base.rss);
  await settle();
  const after = process.memoryUsage();
  const retained = after.heapUsed + after.arrayBuffers - (base.heapUsed + base.arrayBuffers);

  assert.deepEqual(m.attachments.map((a) => [a.id, a.name, a.contentType, a.size]), [['2', 'payload.bin', 'application/octet-stream', size]]);
  assert.equal(createHash('sha256').update(m.attachments[0].content).digest('hex'), expected);
  assert.equal(m.textBody, 'The nightly artefact is attached.');
  assert.equal(m.preview, 'The nightly artefact is attached.');
  assert.equal(m.size, raw.length);
  // measured on the dev machine: ~0.5 s, peak RSS growth ~120–150 MB, retained ~20 MB (the attachment)
  assert.ok(elapsed < 15_000, `took ${elapsed} ms`);
  assert.ok(peakRss < 400 * MB, `peak RSS grew by ${Math.round(peakRss / MB)} MB`);
  assert.ok(retained < 2 * size, `retained ${Math.round(retained / MB)} MB after parsing`);
});

test('the structure walker alone holds no copy of a 20 MB body', () => {
  const raw = makeLargeMessage(20 * MB);
  gc();
  const before = process.memoryUsage();
  const t0 = Date.now();
  const root = parseMimeStructure(raw);
  const elapsed = Date.now() - t0;
  const after = process.memoryUsage();
  assert.deepEqual(root.children.map((c) => c.part), ['1', '2']);
  assert.ok(root.children[1].end - root.children[1].bodyStart > 27 * MB);
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  assert.ok(after.arrayBuffers - before.arrayBuffers < 1 * MB, 'no body copies');
});

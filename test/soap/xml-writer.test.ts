// The answer writer: pieces kept by reference, escaping, and documents written
// while some of their pieces are still being read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Bytes, escapeAttr, escapeText, later, raw, releaseChunk, x } from '../../src/soap/xml.js';

const text = (bufs: Buffer[]) => Buffer.concat(bufs).toString('utf8');
async function streamed(doc: ReturnType<typeof x>, prefix = ''): Promise<string> {
  const out: Buffer[] = [];
  for await (const b of doc.stream(prefix)) out.push(b);
  return text(out);
}

test('escaping: clean text passes as it is, markup and forbidden characters do not', () => {
  assert.equal(escapeText('plain text, é ü 日本'), 'plain text, é ü 日本');
  assert.equal(escapeText('a & b < c > d'), 'a &amp; b &lt; c &gt; d');
  assert.equal(escapeText('bell\u0007 and \uFFFE and lone \uD800 gone'), 'bell and  and lone  gone');
  assert.equal(escapeText('pair \uD83D\uDE00 kept'), 'pair \uD83D\uDE00 kept');
  assert.equal(escapeAttr('say "hi"\r\n\tnow'), 'say &quot;hi&quot;&#13;&#10;&#9;now');
  assert.equal(escapeAttr('plain'), 'plain');
});

test('large pieces are kept by reference and written once, byte-exact', () => {
  const big = 'A'.repeat(200_000) + '&<' + 'é'.repeat(50_000);
  const bin = Buffer.alloc(300_000, 7);
  const doc = x('r', { k: 'v' }, x('a', null, big), x('b', null, base64Bytes(bin)), x('c', null, 'small'), x('e'));
  const expected = `<r k="v"><a>${'A'.repeat(200_000)}&amp;&lt;${'é'.repeat(50_000)}</a><b>${bin.toString('base64')}</b><c>small</c><e/></r>`;
  assert.equal(doc.raw, expected);
  const chunks = doc.chunks('<?xml?>');
  assert.ok(chunks.length > 3, 'written in pieces');
  assert.equal(text(chunks), '<?xml?>' + expected);
});

test('a document with pieces on their way is written in order as they arrive', async () => {
  let resolveFirst!: (v: string) => void;
  const first = new Promise<string>((r) => (resolveFirst = r));
  const doc = x('list', null, later(first.then((s) => x('item', null, s))), x('item', null, 'now'), later(Promise.resolve(raw('<item>raw</item>'))));
  assert.equal(doc.deferred, true);
  assert.throws(() => doc.raw, /stream/);
  assert.throws(() => doc.chunks(), /stream/);
  const out = streamed(doc, '<?xml?>');
  setTimeout(() => resolveFirst('later & safe'), 20);
  assert.equal(await out, '<?xml?><list><item>later &amp; safe</item><item>now</item><item>raw</item></list>');
});

test('a piece that fails is reported to the writer, and fails nobody else before it is reached', async () => {
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on('unhandledRejection', onUnhandled);
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const doc = x('list', null, later(gate.then(() => 'ok')), later(Promise.reject(new Error('backend gone'))));
    await new Promise((r) => setTimeout(r, 20)); // the failure happens long before the writer gets there
    release();
    await assert.rejects(streamed(doc), /backend gone/);
    assert.equal(unhandled, 0);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('binary content is written as base64 at every size, also from buffers given back after writing', async () => {
  const data = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));
  for (const round of [1, 2]) {
    for (const n of [0, 1, 2, 3, 49_151, 49_152, 49_153, 200_001]) {
      const bin = data(n, round);
      const doc = x('d', null, x('a', null, 'before'), base64Bytes(bin), x('b', null, 'after'));
      const expected = `<d><a>before</a>${bin.toString('base64')}<b>after</b></d>`;
      assert.equal(doc.raw, expected);
      const chunks = doc.chunks();
      assert.equal(text(chunks), expected, `chunks() of ${n} bytes, round ${round}`);
      const streamedChunks: Buffer[] = [];
      for await (const c of x('s', null, later(Promise.resolve(base64Bytes(bin)))).stream()) streamedChunks.push(c);
      assert.equal(text(streamedChunks), `<s>${bin.toString('base64')}</s>`, `stream() of ${n} bytes, round ${round}`);
      // What the HTTP writer does once the socket has the bytes: the next documents reuse them.
      for (const c of [...chunks, ...streamedChunks]) releaseChunk(c);
    }
  }
  releaseChunk(Buffer.from('not from the pool')); // ignored
});

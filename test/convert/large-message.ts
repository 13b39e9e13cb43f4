// A large message for the conversion tests, built at test time (never
// committed): multipart/mixed with a short text body and one attachment of
// deterministic pseudo-random bytes, base64 in 76-column CRLF lines.

/** `bytes` deterministic pseudo-random bytes (xorshift32, fixed seed). */
export function makeLargePayload(bytes: number, seed = 0x2545f491): Buffer {
  const words = new Uint32Array(Math.ceil(bytes / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, bytes);
}

function base64Lines(data: Buffer): Buffer {
  const b64 = data.toString('base64');
  const lineCount = Math.ceil(b64.length / 76);
  const out = Buffer.allocUnsafe(b64.length + lineCount * 2);
  let o = 0;
  for (let i = 0; i < b64.length; i += 76) {
    o += out.write(b64.slice(i, i + 76), o, 'latin1');
    out[o++] = 0x0d;
    out[o++] = 0x0a;
  }
  return out.subarray(0, o);
}

/**
 * A message whose attachment ("payload.bin", part 2) holds `bytes` bytes of
 * makeLargePayload(bytes). The message itself is about 4/3 of that.
 */
export function makeLargeMessage(bytes: number): Buffer {
  const head = [
    'From: Build Robot <robot@example.org>',
    'To: Archive <archive@example.org>',
    'Subject: Nightly artefact',
    'Date: Sun, 19 Jul 2026 03:00:00 +0000',
    'Message-ID: <artefact-large@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="large-boundary-7f3a"',
    '',
    '--large-boundary-7f3a',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'The nightly artefact is attached.',
    '--large-boundary-7f3a',
    'Content-Type: application/octet-stream; name="payload.bin"',
    'Content-Disposition: attachment; filename="payload.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), base64Lines(makeLargePayload(bytes)), Buffer.from('--large-boundary-7f3a--\r\n', 'latin1')]);
}

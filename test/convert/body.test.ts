// htmlToText, textToHtml and the Best / HTML / Text body choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { bestBody, decodeEntities, escapeHtml, htmlToText, textToHtml } from '../../src/convert/body.js';
import { readMessage } from '../../src/convert/message-properties.js';

const DIR = fileURLToPath(new URL('../../fixtures/mime/', import.meta.url));

test('htmlToText: the HTML-only fixture reads like a plain-text view', async () => {
  const m = await readMessage(fs.readFileSync(DIR + '12-html-only-tables.eml'));
  const text = htmlToText(m.htmlBody!);
  assert.equal(
    text,
    [
      'Your statement for June 2026',
      '',
      'Dear Ana Lima, here is a summary of your account & recent activity. Prices are in € and include VAT (19 %).',
      '',
      'Date\tDescription\tAmount',
      '02.06.2026\tCafé "Zur Post"\t€ 4,80',
      '15.06.2026\tBookshop — 2 items\t€ 31,00',
      'Total\t€ 35,80',
      '',
      'Things to do:',
      '',
      '- Check the online statement <https://bank.example.com/statements/2026-06>',
      '- Update your address <if it changed>',
      '',
      '1. First',
      '2. Second',
      '',
      '> Quoted note: 3 < 5 && 5 > 3',
      '',
      '  fixed   width',
      '  block',
      '',
      'Questions? Write to help@bank.example.com.',
      '',
      // a class-based hidden element stays: CSS classes are not evaluated
      'unsubscribe token 0xDEADBEEF',
    ].join('\n'),
  );
});

test('htmlToText: mailparser/html-to-text runs table cells together, ours keeps them apart', async () => {
  const raw = fs.readFileSync(DIR + '12-html-only-tables.eml');
  const mp = await simpleParser(raw);
  assert.match(mp.text!, /DateDescriptionAmount/, 'if this starts failing, mailparser improved: revisit using its text');
  assert.match(htmlToText(mp.html as string), /Date\tDescription\tAmount/);
});

test('htmlToText: blocks, breaks, lists, links, images', () => {
  assert.equal(htmlToText('<p>one</p><p>two</p>'), 'one\n\ntwo');
  assert.equal(htmlToText('<div>one</div><div>two</div>'), 'one\ntwo');
  assert.equal(htmlToText('a<br>b<br/><br>c'), 'a\nb\n\nc');
  assert.equal(htmlToText('<h1>Title</h1>text'), 'Title\n\ntext');
  assert.equal(htmlToText('<ul><li>a</li><li>b<ul><li>b1</li></ul></li></ul>'), '- a\n- b\n  - b1');
  assert.equal(htmlToText('<ol start="3"><li>c</li><li>d</li></ol>'), '3. c\n4. d');
  assert.equal(htmlToText('See <a href="https://example.com/x">the page</a>.'), 'See the page <https://example.com/x>.');
  assert.equal(htmlToText('<a href="https://example.com/">https://example.com</a>'), 'https://example.com');
  assert.equal(htmlToText('<a href="mailto:a@example.org">a@example.org</a>'), 'a@example.org');
  assert.equal(htmlToText('<a href="mailto:a@example.org">Write us</a>'), 'Write us <mailto:a@example.org>');
  assert.equal(htmlToText('<a href="#top">Top</a> <a href="javascript:x()">JS</a>'), 'Top JS');
  assert.equal(htmlToText('<a href="https://example.com/l"><img src="x.png" alt="Logo"></a>'), '[Logo] <https://example.com/l>');
  assert.equal(htmlToText('<a href="https://example.com/l"><img src="x.png"></a>'), '<https://example.com/l>');
  assert.equal(htmlToText('x<hr>y'), 'x\n----------\ny');
  assert.equal(htmlToText('<blockquote><p>q1</p><p>q2</p></blockquote>after'), '> q1\n\n> q2\n\nafter');
  assert.equal(htmlToText('<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>'), 'a\tb\nc\td');
});

test('htmlToText: whitespace, entities, dropped content', () => {
  assert.equal(htmlToText('  a \n\t b   <b> c </b>d  '), 'a b c d');
  assert.equal(htmlToText('a&nbsp;&nbsp;b &amp; &lt;c&gt; &quot;d&quot; &#39;e&#39; &euro; &#8364; &#x20ac; &#128; &hellip;'), 'a  b & <c> "d" \'e\' € € € € …');
  assert.equal(htmlToText('&amp &copy 2026 &notanentity; &AMP;'), '& © 2026 &notanentity; &');
  assert.equal(htmlToText('<head><title>T</title><style>p{}</style></head><body>x</body>'), 'x');
  assert.equal(htmlToText('<script>if (a < b) { document.write("</p>") }</script>y'), 'y');
  assert.equal(htmlToText('<!-- c --><!DOCTYPE html><?xml version="1.0"?>z'), 'z');
  assert.equal(htmlToText('<span style="display:none">preheader</span>visible'), 'visible');
  assert.equal(htmlToText('<div hidden>no</div>yes'), 'yes');
  assert.equal(htmlToText('<pre>  a\n    b</pre>'), '  a\n    b');
  assert.equal(htmlToText('1 < 2 and 3 > 2'), '1 < 2 and 3 > 2');
  assert.equal(htmlToText('<p>unclosed <b>bold'), 'unclosed bold');
  assert.equal(htmlToText('<img alt="a > b" src=x>'), '[a > b]');
  assert.equal(htmlToText(''), '');
});

test('htmlToText: large and deeply nested input stays linear', () => {
  const deep = '<div>'.repeat(20000) + 'core' + '</div>'.repeat(20000);
  assert.equal(htmlToText(deep), 'core');
  const big = '<p>' + 'word '.repeat(200000) + '</p>';
  const t0 = Date.now();
  assert.equal(htmlToText(big).length, 'word '.repeat(200000).trim().length);
  assert.ok(Date.now() - t0 < 3000);
});

test('decodeEntities and escapeHtml', () => {
  assert.equal(decodeEntities('&#0;&#xD800;&#x110000;'), '\ufffd\ufffd\ufffd');
  assert.equal(decodeEntities('&Eacute;&eacute;'), 'Éé');
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('textToHtml: escaping, paragraphs, breaks, indentation, links', () => {
  assert.equal(textToHtml('a < b & c'), '<p>a &lt; b &amp; c</p>');
  assert.equal(textToHtml('line1\nline2\n\npara2\r\n\r\n\r\npara3\n'), '<p>line1<br>\nline2</p>\n<p>para2</p>\n<p>para3</p>');
  assert.equal(textToHtml('  indented  twice'), '<p>&nbsp; indented&nbsp; twice</p>');
  assert.equal(textToHtml('\tx'), '<p>&nbsp; &nbsp; x</p>');
  assert.equal(
    textToHtml('See https://example.com/a?b=1&c=2). Or www.example.org, or mail help@example.com!'),
    '<p>See <a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>). Or <a href="http://www.example.org">www.example.org</a>, or mail <a href="mailto:help@example.com">help@example.com</a>!</p>',
  );
  assert.equal(textToHtml('(see https://en.example.org/wiki/X_(y))'), '<p>(see <a href="https://en.example.org/wiki/X_(y)">https://en.example.org/wiki/X_(y)</a>)</p>');
  assert.equal(textToHtml('<https://example.com/x>'), '<p>&lt;<a href="https://example.com/x">https://example.com/x</a>&gt;</p>');
  assert.equal(textToHtml('javascript:alert(1) "><script>'), '<p>javascript:alert(1) &quot;&gt;&lt;script&gt;</p>');
  assert.equal(textToHtml(''), '');
  assert.equal(textToHtml('\n\n'), '');
});

test('textToHtml and htmlToText round-trip ordinary text', () => {
  const text = 'Hallo Team,\n\ndie Zahlen: 3 < 5 & 7 > 2.\nLink: https://example.com/q?a=1&b=2\n\nGruß\nJana';
  assert.equal(htmlToText(textToHtml(text)), text);
});

test('mailparser textAsHtml, for comparison: no indentation kept, & left raw in href', async () => {
  const mp = await simpleParser('Content-Type: text/plain\r\n\r\n  indented https://example.com/a?b=1&c=2\r\n');
  assert.ok(!mp.textAsHtml!.includes('&nbsp;'));
  assert.match(mp.textAsHtml!, /href="https:\/\/example\.com\/a\?b=1&c=2"/);
  assert.match(textToHtml('  indented https://example.com/a?b=1&c=2'), /&nbsp; indented <a href="https:\/\/example\.com\/a\?b=1&amp;c=2">/);
});

test('bestBody: Best, HTML and Text over every body combination', () => {
  const both = { textBody: 'plain', htmlBody: '<p>rich</p>' };
  assert.deepEqual(bestBody(both, 'Best'), { type: 'HTML', content: '<p>rich</p>' });
  assert.deepEqual(bestBody(both, 'HTML'), { type: 'HTML', content: '<p>rich</p>' });
  assert.deepEqual(bestBody(both, 'Text'), { type: 'Text', content: 'plain' });

  const textOnly = { textBody: 'a & b\nc' };
  assert.deepEqual(bestBody(textOnly, 'Best'), { type: 'Text', content: 'a & b\nc' });
  const asHtml = bestBody(textOnly, 'HTML');
  assert.equal(asHtml.type, 'HTML');
  assert.equal(asHtml.content, '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><p>a &amp; b<br>\nc</p></body></html>');

  const htmlOnly = { htmlBody: '<p>x&amp;y</p><p>z</p>' };
  assert.deepEqual(bestBody(htmlOnly, 'Best'), { type: 'HTML', content: '<p>x&amp;y</p><p>z</p>' });
  assert.deepEqual(bestBody(htmlOnly, 'Text'), { type: 'Text', content: 'x&y\n\nz' });

  for (const r of ['Best', 'HTML', 'Text'] as const) {
    const b = bestBody({}, r);
    assert.equal(b.content, '', 'an empty body, never a missing one');
    assert.equal(b.type, r === 'HTML' ? 'HTML' : 'Text');
  }
  // an empty text part beside HTML: convert the HTML rather than answer nothing
  assert.deepEqual(bestBody({ textBody: '', htmlBody: '<b>hi</b>' }, 'Text'), { type: 'Text', content: 'hi' });
});

test('bestBody over the fixtures', async () => {
  const alt = await readMessage(fs.readFileSync(DIR + '01-alternative.eml'));
  assert.equal(bestBody(alt, 'Best').type, 'HTML');
  assert.match(bestBody(alt, 'Text').content, /^Hallo zusammen,\n\ndie Unterlagen/);
  const koi = await readMessage(fs.readFileSync(DIR + '06-koi8r.eml'));
  assert.equal(bestBody(koi, 'Best').type, 'Text');
  assert.match(bestBody(koi, 'HTML').content, /<p>Добрый день, коллеги!<\/p>/);
  assert.match(bestBody(koi, 'HTML').content, /<br>\n&nbsp; выручка - 4,2 млн руб\./);
});

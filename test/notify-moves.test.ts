// MovedEvent and CopiedEvent for messages (src/notify/moves.ts), with Dovecot pushing and
// with the IMAP watcher: an IMAP MOVE of a message the subscription saw arrive becomes one
// MovedEvent naming the old item and folder (no DeletedEvent, no CreatedEvent); a copy
// naming its source by X-Ewsgate-Item-Id becomes a CopiedEvent; a subscription that does
// not ask for moves keeps Deleted + Created.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Document, Element } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { M, T, all } from './support/gateway.js';
import { IdentityCache, pairMoves } from '../src/notify/moves.js';
import type { NotifyEvent } from '../src/notify/model.js';
import { StreamReader, addPushUser, deliverLmtp, did, rawMessage, startNotifyGateway, subscribe, type NotifyGateway } from './notify-support.js';

interface MoveInfo {
  kind: string;
  itemId?: string;
  parentFolderId?: string;
  oldItemId?: string;
  oldParentFolderId?: string;
}

function itemEvents(docs: Document[]): MoveInfo[] {
  const out: MoveInfo[] = [];
  for (const d of docs) {
    for (const n of all(d, 'Notification', M)) {
      for (let c = n.firstChild; c; c = c.nextSibling) {
        const e = c as unknown as Element;
        if (c.nodeType !== 1 || !/Event$/.test(e.localName ?? '')) continue;
        const kid = (name: string) => all(e, name, T)[0]?.getAttribute('Id') ?? undefined;
        if (!kid('ItemId')) continue;
        out.push({
          kind: e.localName!,
          itemId: kid('ItemId'),
          parentFolderId: kid('ParentFolderId'),
          oldItemId: kid('OldItemId'),
          oldParentFolderId: kid('OldParentFolderId'),
        });
      }
    }
  }
  return out;
}

async function folderId(g: NotifyGateway, user: TestUser, name: string): Promise<string> {
  const { soap } = await import('./notify-support.js');
  const r = await soap(
    g,
    user,
    `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:DisplayName"/></t:AdditionalProperties></m:FolderShape><m:ParentFolderIds>${did('msgfolderroot')}</m:ParentFolderIds></m:FindFolder>`,
  );
  const f = all(r.doc, 'Folder', T).find((x) => all(x, 'DisplayName', T)[0]?.textContent === name);
  if (!f) throw new Error(`no folder ${name}: ${r.text.slice(0, 1000)}`);
  return all(f, 'FolderId', T)[0]!.getAttribute('Id')!;
}

describe('pairMoves (pure)', () => {
  const t = new Date(0);
  const inbox = { id: 'F-inbox' };
  const sent = { id: 'F-sent' };
  const arch = { id: 'F-arch' };
  const created = (id: string, parent: { id: string }, o: { ident?: string; source?: string } = {}): NotifyEvent => ({
    kind: 'CreatedEvent',
    time: t,
    itemId: { id },
    parentFolderId: parent,
    scope: [parent.id],
    ...o,
  });
  const newMail = (id: string, parent: { id: string }): NotifyEvent => ({
    kind: 'NewMailEvent',
    time: t,
    itemId: { id },
    parentFolderId: parent,
    scope: [parent.id],
  });
  const deleted = (id: string, parent: { id: string }): NotifyEvent => ({
    kind: 'DeletedEvent',
    time: t,
    itemId: { id },
    parentFolderId: parent,
    scope: [parent.id],
  });

  test('an arrival whose Message-ID left another folder in the same batch is one MovedEvent', () => {
    const cache = new IdentityCache();
    pairMoves([created('I1', inbox, { ident: 'a@x' }), newMail('I1', inbox)], cache);
    const out = pairMoves([deleted('I1', inbox), created('A1', arch, { ident: 'a@x' }), newMail('A1', arch)], cache);
    assert.deepEqual(
      out.map((e) => e.kind),
      ['MovedEvent'],
    );
    assert.deepEqual([out[0].itemId?.id, out[0].parentFolderId?.id, out[0].oldItemId?.id, out[0].oldParentFolderId?.id], ['A1', 'F-arch', 'I1', 'F-inbox']);
    assert.deepEqual(new Set(out[0].scope), new Set(['F-arch', 'F-inbox']));
    assert.ok(!('ident' in out[0]));
  });

  test('the same Message-ID in Sent and then Inbox (mail to oneself) stays a CreatedEvent + NewMailEvent', () => {
    const cache = new IdentityCache();
    pairMoves([created('S1', sent, { ident: 'self@x' })], cache);
    const out = pairMoves([created('I2', inbox, { ident: 'self@x' }), newMail('I2', inbox)], cache);
    assert.deepEqual(
      out.map((e) => e.kind),
      ['CreatedEvent', 'NewMailEvent'],
    );
  });

  test('X-Ewsgate-Item-Id naming a message that stays elsewhere is a CopiedEvent; in the same folder (a rewrite) nothing is paired', () => {
    const cache = new IdentityCache();
    pairMoves([created('I3', inbox, { ident: 'c@x' })], cache);
    const copy = pairMoves([created('A3', arch, { ident: 'c@x', source: 'I3' })], cache);
    assert.deepEqual(
      copy.map((e) => [e.kind, e.oldItemId?.id, e.oldParentFolderId?.id]),
      [['CopiedEvent', 'I3', 'F-inbox']],
    );
    const rewrite = pairMoves([deleted('I3', inbox), created('I4', inbox, { ident: 'c@x', source: 'I3' })], cache);
    assert.deepEqual(
      rewrite.map((e) => e.kind),
      ['DeletedEvent', 'CreatedEvent'],
    );
  });

  test('the cache is bounded: the oldest arrivals are forgotten', () => {
    const cache = new IdentityCache(2);
    pairMoves([created('X1', inbox, { ident: '1' }), created('X2', inbox, { ident: '2' }), created('X3', inbox, { ident: '3' })], cache);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('X1'), undefined);
  });
});

for (const mode of ['dovecot push', 'imap watcher'] as const) {
  describe(`moves and copies (${mode})`, () => {
    let g: NotifyGateway;
    let user: TestUser;
    let archive: string;
    let inbox: string;

    before(async () => {
      g = await startNotifyGateway({ push: mode === 'dovecot push', notify: { pollMs: 300, heartbeatMs: 60_000, minuteMs: 60_000 } });
      user = await addPushUser(g.backends, mode === 'dovecot push' ? g.eventsUrl : undefined);
      await withImap(g.backends, user, async (c) => {
        await c.mailboxCreate('Archive2');
      });
      archive = await folderId(g, user, 'Archive2');
      inbox = await folderId(g, user, 'Inbox');
    });

    after(async () => {
      await g?.close();
    });

    test('an IMAP MOVE of a delivered message is one MovedEvent with OldItemId and OldParentFolderId', async () => {
      const { id } = await subscribe(g, user, 'Streaming', { folders: [did('inbox'), `<t:FolderId Id="${archive}"/>`] });
      const s = new StreamReader(g, user, [id], 10);
      try {
        await deliverLmtp(g.backends, user.email, `to be moved (${mode})`);
        await s.waitFor((d) => itemEvents([d]).some((e) => e.kind === 'NewMailEvent'));
        const delivered = itemEvents(s.docs).find((e) => e.kind === 'NewMailEvent')!;
        assert.equal(delivered.parentFolderId, inbox);
        const before = s.docs.length;
        await withImap(g.backends, user, async (c) => {
          await c.mailboxOpen('INBOX');
          const uids = (await c.search({ subject: `to be moved (${mode})` }, { uid: true })) as number[];
          assert.equal(uids.length, 1);
          await c.messageMove(String(uids[0]), 'Archive2', { uid: true });
        });
        await s.waitFor(() => itemEvents(s.docs.slice(before)).some((e) => e.kind === 'MovedEvent'));
        const after = itemEvents(s.docs.slice(before));
        const moved = after.filter((e) => e.kind === 'MovedEvent');
        assert.equal(moved.length, 1, JSON.stringify(after));
        assert.equal(moved[0].oldItemId, delivered.itemId);
        assert.equal(moved[0].oldParentFolderId, inbox);
        assert.equal(moved[0].parentFolderId, archive);
        assert.notEqual(moved[0].itemId, delivered.itemId);
        assert.ok(!after.some((e) => e.kind === 'DeletedEvent' && e.itemId === delivered.itemId), JSON.stringify(after));
        assert.ok(!after.some((e) => (e.kind === 'CreatedEvent' || e.kind === 'NewMailEvent') && e.itemId === moved[0].itemId), JSON.stringify(after));
      } finally {
        s.abort();
      }
    });

    test('a message naming its source by X-Ewsgate-Item-Id, the source staying, is a CopiedEvent', async () => {
      const { id } = await subscribe(g, user, 'Streaming', { all: true });
      const s = new StreamReader(g, user, [id], 10);
      try {
        await deliverLmtp(g.backends, user.email, `to be copied (${mode})`);
        await s.waitFor((d) => itemEvents([d]).some((e) => e.kind === 'NewMailEvent'));
        const source = itemEvents(s.docs).find((e) => e.kind === 'NewMailEvent')!;
        const before = s.docs.length;
        const copy = Buffer.concat([Buffer.from(`X-Ewsgate-Item-Id: ${source.itemId}\r\n`), rawMessage(`the copy (${mode})`)]);
        await withImap(g.backends, user, async (c) => {
          await c.append('Archive2', copy, []);
        });
        await s.waitFor(() => itemEvents(s.docs.slice(before)).some((e) => e.kind === 'CopiedEvent'));
        const after = itemEvents(s.docs.slice(before));
        const copied = after.filter((e) => e.kind === 'CopiedEvent');
        assert.equal(copied.length, 1, JSON.stringify(after));
        assert.equal(copied[0].oldItemId, source.itemId);
        assert.equal(copied[0].oldParentFolderId, inbox);
        assert.equal(copied[0].parentFolderId, archive);
        assert.ok(!after.some((e) => e.kind === 'CreatedEvent' && e.itemId === copied[0].itemId));
      } finally {
        s.abort();
      }
    });

    test('a subscription without MovedEvent still gets DeletedEvent and CreatedEvent', async () => {
      const { id } = await subscribe(g, user, 'Streaming', { all: true, types: ['CreatedEvent', 'DeletedEvent'] });
      const s = new StreamReader(g, user, [id], 10);
      try {
        const uid = await withImap(g.backends, user, async (c) => ((await c.append('INBOX', rawMessage(`plain move (${mode})`), [])) as { uid: number }).uid);
        await s.waitFor(() => itemEvents(s.docs).some((e) => e.kind === 'CreatedEvent'));
        const before = s.docs.length;
        await withImap(g.backends, user, async (c) => {
          await c.mailboxOpen('INBOX');
          await c.messageMove(String(uid), 'Archive2', { uid: true });
        });
        await s.waitFor(() => {
          const evs = itemEvents(s.docs.slice(before));
          return evs.some((e) => e.kind === 'DeletedEvent') && evs.some((e) => e.kind === 'CreatedEvent');
        });
        assert.ok(!itemEvents(s.docs).some((e) => e.kind === 'MovedEvent'));
      } finally {
        s.abort();
      }
    });
  });
}

"""Mail items through ewsgate as exchangelib 4.9 (Debian's python3-exchangelib) sees them.

Run by test/clients/exchangelib-items.test.ts with /usr/bin/python3 (the system Python that has
exchangelib; the pyenv `python3` on PATH has not). Environment:

  EWS_URL                       the gateway's EWS endpoint
  EWS_USER, EWS_PASSWORD        a seeded user (fixtures/mail in INBOX; Projects, Reçus folders)
  PEER_USER, PEER_PASSWORD      a second, empty user: mail is sent to it through Postfix
  IMAP_HOST, IMAP_PORT          the Dovecot behind the gateway (every step is checked with imaplib)
  EXCHANGELIB_XML_DUMP          optional: a file to write every EWS request/response to (JSON)

Every step runs in order and is recorded (ok, detail, error, traceback, and the EWS request /
response XML exchanged during a failed step). The last line of stdout is the JSON summary
{"ok": bool, "steps": [...], "tag": "..."}. Exit code 0 only if every step passed. Steps are
independent where they can be: one that fails does not stop the others (a step whose failure
leaves nothing to continue with says so and the steps needing it are listed as not run).

Everything this script creates carries TAG in its subject.
"""

import base64
import email
import email.policy
import imaplib
import os
import re
import time
import uuid
from email.header import decode_header, make_header

from exchangelib import ExtendedProperty, FileAttachment, HTMLBody, ItemAttachment, Mailbox, Message
from exchangelib.errors import ErrorItemNotFound
from exchangelib_scenario import StepFailed, account_for, check, run, step

EWS_USER = os.environ["EWS_USER"]
EWS_PASSWORD = os.environ["EWS_PASSWORD"]
PEER_USER = os.environ["PEER_USER"]
PEER_PASSWORD = os.environ["PEER_PASSWORD"]
IMAP_HOST = os.environ.get("IMAP_HOST", "127.0.0.1")
IMAP_PORT = int(os.environ["IMAP_PORT"])

TAG = "exi" + uuid.uuid4().hex[:8]
ARRIVAL_TIMEOUT_S = 10.0
# Mail to another domain is accepted and dropped by the harness's Postfix (no bounce to us).
OUTSIDE = "someone@elsewhere.example.org"
BINARY = bytes(range(256)) * 4 + b"\r\n\x00end"

# ------------------------------------------------------------------ IMAP (imaplib, straight to Dovecot)


def mutf7(s):
    """str -> RFC 3501 modified UTF-7 (for mailbox names like Reçus)."""
    out, buf = [], []

    def flush():
        if buf:
            b64 = base64.b64encode("".join(buf).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append("&" + b64 + "-")
            buf.clear()

    for ch in s:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


class Imap:
    """One short IMAP session: `with Imap(user, password) as m: ...`."""

    def __init__(self, user=EWS_USER, password=EWS_PASSWORD):
        self.user, self.password = user, password

    def __enter__(self):
        self.m = imaplib.IMAP4(IMAP_HOST, IMAP_PORT)
        self.m.login(self.user, self.password)
        return self

    def __exit__(self, *exc):
        try:
            self.m.logout()
        except Exception:
            pass

    def select(self, mailbox):
        typ, data = self.m.select('"' + mutf7(mailbox) + '"', readonly=True)
        if typ != "OK":
            raise RuntimeError(f"IMAP SELECT {mailbox}: {typ} {data}")
        return int(data[0])

    def status(self, mailbox):
        typ, data = self.m.status('"' + mutf7(mailbox) + '"', "(MESSAGES UNSEEN)")
        if typ != "OK":
            raise RuntimeError(f"IMAP STATUS {mailbox}: {typ} {data}")
        line = data[0].decode()
        return {k.lower(): int(v) for k, v in re.findall(r"(MESSAGES|UNSEEN) (\d+)", line)}

    def search(self, mailbox, *criteria):
        self.select(mailbox)
        typ, data = self.m.uid("SEARCH", *criteria)
        if typ != "OK":
            raise RuntimeError(f"IMAP SEARCH {criteria} in {mailbox}: {typ} {data}")
        return [int(x) for x in data[0].split()]

    def by_subject(self, mailbox, text):
        """UIDs whose Subject contains `text` (ASCII)."""
        return self.search(mailbox, "HEADER", "Subject", f'"{text}"')

    def by_exact_subject(self, mailbox, subject):
        """UIDs whose (decoded) Subject is `subject`."""
        return [uid for uid, _, s, _ in self.all_messages(mailbox) if s == subject]

    def fetch(self, mailbox, uid, what="(FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[])"):
        self.select(mailbox)
        typ, data = self.m.uid("FETCH", str(uid), what)
        if typ != "OK" or not data or data[0] is None:
            raise RuntimeError(f"IMAP FETCH {uid} in {mailbox}: {typ} {data}")
        meta, raw = (data[0][0].decode(), data[0][1]) if isinstance(data[0], tuple) else (data[0].decode(), b"")
        flags = re.search(r"FLAGS \(([^)]*)\)", meta)
        size = re.search(r"RFC822\.SIZE (\d+)", meta)
        return {
            "flags": flags.group(1).split() if flags else [],
            "size": int(size.group(1)) if size else None,
            "raw": raw,
        }

    def flags(self, mailbox, uid):
        return self.fetch(mailbox, uid, "(FLAGS)")["flags"]

    def all_messages(self, mailbox):
        """[(uid, internaldate epoch, subject, flags)] of a mailbox."""
        n = self.select(mailbox)
        if n == 0:
            return []
        typ, data = self.m.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        out = []
        for part in data:
            if not isinstance(part, tuple):
                continue
            meta = part[0].decode()
            uid = int(re.search(r"UID (\d+)", meta).group(1))
            idate = time.mktime(imaplib.Internaldate2tuple(part[0]))
            flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()
            hdr = email.message_from_bytes(part[1], policy=email.policy.compat32)
            subj = str(make_header(decode_header(hdr.get("Subject", "")))).replace("\r\n", "").replace("\n", "")
            out.append((uid, idate, subj, flags))
        return out


def imap_one(user, password, mailbox, text):
    with Imap(user, password) as m:
        uids = m.by_subject(mailbox, text)
        check(len(uids) == 1, f"IMAP {mailbox} of {user} has {len(uids)} messages with {text!r} in the subject")
        return m.fetch(mailbox, uids[0])


def wait_arrival(user, password, text, mailbox="INBOX", count=1):
    """Polls (bounded) until `count` messages with `text` in the subject are in the mailbox; their UIDs."""
    until = time.monotonic() + ARRIVAL_TIMEOUT_S
    while True:
        with Imap(user, password) as m:
            uids = m.by_subject(mailbox, text)
        if len(uids) >= count:
            return uids
        if time.monotonic() > until:
            raise StepFailed(f"{count} message(s) with {text!r} did not arrive in {user}'s {mailbox} within {ARRIVAL_TIMEOUT_S} s (found {len(uids)})")
        time.sleep(0.2)


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class FlagStatus(ExtendedProperty):
    """PidTagFlagStatus (0x1090): exchangelib 4.9 has no Item.flag; this is how its users flag mail."""

    property_tag = 0x1090
    property_type = "Integer"


Message.register("flag_status", FlagStatus)


def fetch_one(account, item_or_id, **kw):
    got = list(account.fetch(ids=[item_or_id], **kw))
    check(len(got) == 1, f"fetch() gave {len(got)} results")
    if isinstance(got[0], Exception):
        raise got[0]
    return got[0]


def gone(account, item_id):
    """True if GetItem of the id answers ErrorItemNotFound (fetch() hands errors back in place)."""
    got = list(account.fetch(ids=[(item_id, None)]))
    return len(got) == 1 and isinstance(got[0], ErrorItemNotFound)


def subjects(qs):
    return [m.subject for m in qs]


def main():
    a = account_for(EWS_USER, EWS_PASSWORD)
    peer = account_for(PEER_USER, PEER_PASSWORD)
    ctx = {}

    # ---------------------------------------------------------------- reading: QuerySet

    @step("inbox: count() and is_read counts agree with IMAP")
    def _():
        with Imap() as m:
            st = m.status("INBOX")
        inbox = a.inbox
        total = inbox.all().count()
        unread = inbox.filter(is_read=False).count()
        read = inbox.filter(is_read=True).count()
        got = {"count": total, "unread": unread, "read": read, "total_count": inbox.total_count, "unread_count": inbox.unread_count}
        check(total == st["messages"], f"inbox.all().count() {total} != IMAP MESSAGES {st['messages']}")
        check(unread == st["unseen"], f"inbox.filter(is_read=False).count() {unread} != IMAP UNSEEN {st['unseen']}")
        check(read == st["messages"] - st["unseen"], f"inbox.filter(is_read=True).count() {read} != {st['messages'] - st['unseen']}")
        check(inbox.unread_count == st["unseen"], f"inbox.unread_count {inbox.unread_count} != {st['unseen']}")
        check(0 < unread < total, f"seed sanity: {got}")
        return got

    @step("filter(subject__contains=...).only('subject', 'datetime_received')")
    def _():
        with Imap() as m:
            expected = sorted(s for _, _, s, _ in m.all_messages("INBOX") if "pilot" in s.lower())
        found = list(a.inbox.filter(subject__contains="pilot").only("subject", "datetime_received"))
        got = sorted(x.subject for x in found)
        check(got == expected, f"subjects {got} != IMAP's {expected}")
        check(len(got) == 2, f"seed sanity: {got}")
        for x in found:
            check(x.datetime_received is not None, f"{x.subject!r}: no datetime_received")
            # only() asked for two fields: the others are not filled in
            check(x.author is None and x.body is None and x.to_recipients is None, f"{x.subject!r}: only() fetched more: author={x.author!r} body={x.body!r}")
            check(x.id and x.changekey, f"{x.subject!r}: no id / changekey")
        # __contains is ContainmentComparison="Exact" (case-sensitive), __icontains is IgnoreCase
        exact = sorted(subjects(a.inbox.filter(subject__contains="PILOT").only("subject")))
        check(exact == [], f"subject__contains='PILOT' (Exact) gave {exact}")
        upper = sorted(subjects(a.inbox.filter(subject__icontains="PILOT").only("subject")))
        check(upper == expected, f"subject__icontains='PILOT' gave {upper}")
        icontains = sorted(subjects(a.inbox.filter(subject__icontains="réunion").only("subject")))
        check(icontains == ["Réunion du comité - jeudi 12 novembre"], f"subject__icontains='réunion' gave {icontains}")
        return {"subjects": got}

    @step("order_by('-datetime_received')[:3], slicing and paging agree with IMAP INTERNALDATE")
    def _():
        with Imap() as m:
            msgs = m.all_messages("INBOX")
        # (INTERNALDATE, subject), newest first; items received in the same second may come in any order,
        # so lists are compared as their dates in sequence plus the (date, subject) pairs as a set
        imap_desc = sorted(((int(d), s) for _, d, s, _ in msgs), key=lambda x: -x[0])

        def pairs(items):
            return [(int(x.datetime_received.timestamp()), x.subject) for x in items]

        def same(got, expected, what):
            check([d for d, _ in got] == [d for d, _ in expected], f"{what}: received times {[d for d, _ in got]} != IMAP's {[d for d, _ in expected]}")
            check(sorted(got) == sorted(expected) or len({d for d, _ in expected}) < len(expected), f"{what}: {got} != IMAP's {expected}")

        top3 = pairs(a.inbox.all().order_by("-datetime_received").only("subject", "datetime_received")[:3])
        same(top3, imap_desc[:3], "order_by('-datetime_received')[:3]")
        whole = pairs(a.inbox.all().order_by("-datetime_received").only("subject", "datetime_received"))
        same(whole, imap_desc, "order_by('-datetime_received')")
        mid = pairs(a.inbox.all().order_by("-datetime_received").only("subject", "datetime_received")[2:5])
        same(mid, imap_desc[2:5], "[2:5]")
        asc = pairs(a.inbox.all().order_by("datetime_received").only("subject", "datetime_received"))
        same(asc, list(reversed(imap_desc)), "order_by('datetime_received')")
        titles = list(a.inbox.all().order_by("-datetime_received").values_list("subject", flat=True))
        check(sorted(titles) == sorted(s for _, s in imap_desc), f"values_list('subject', flat=True) gave {titles}")
        # small pages (FindItem IndexedPageItemView, offset after offset) give the same list
        qs = a.inbox.all().order_by("-datetime_received").only("subject", "datetime_received")
        qs.page_size = 3
        same(pairs(qs), imap_desc, "page_size=3")
        # a date restriction
        pivot = a.inbox.all().order_by("-datetime_received").only("datetime_received")[len(whole) // 2].datetime_received
        later = a.inbox.filter(datetime_received__gt=pivot).count()
        check(later == len([d for d, _ in imap_desc if d > pivot.timestamp()]), f"datetime_received__gt={pivot}: {later}")
        check(a.inbox.filter(subject__contains=TAG).exists() is False, "exists() of nothing is True")
        return {"newest": [s for _, s in top3]}

    @step("inbox.get(id=...) and account.fetch(ids=...)")
    def _():
        with Imap() as m:
            uid = m.by_subject("INBOX", "Monthly operations report")[0]
            imap = m.fetch("INBOX", uid)
        ref = a.inbox.get(subject="Monthly operations report - October 2026")
        got = a.inbox.get(id=ref.id)
        check(got.id == ref.id, "get(id=) answered another id")
        parsed = parse(imap["raw"])
        check(got.subject == parsed["subject"], f"subject {got.subject!r}")
        check(got.author.email_address == parsed["from"].addresses[0].addr_spec, f"author {got.author!r}")
        check([r.email_address for r in got.to_recipients] == [x.addr_spec for x in parsed["to"].addresses], f"to {got.to_recipients!r}")
        check(got.message_id == parsed["message-id"], f"message_id {got.message_id!r} != {parsed['message-id']!r}")
        check(got.is_read == ("\\Seen" in imap["flags"]), f"is_read {got.is_read} but IMAP flags {imap['flags']}")
        check(got.size == imap["size"], f"size {got.size} != RFC822.SIZE {imap['size']}")
        check(got.has_attachments is True, "has_attachments is not True for the report with a PDF")
        check(got.text_body and "report" in got.text_body.lower(), f"text_body {got.text_body!r}")
        names = sorted(x.name for x in got.attachments)
        expected_names = sorted(p.get_filename() for p in parsed.iter_attachments())
        check(names == expected_names, f"attachments {names} != {expected_names}")
        three = list(a.inbox.all().order_by("datetime_received")[:3])
        fetched = list(a.fetch(ids=list(reversed(three))))
        check([x.id for x in fetched] == [x.id for x in reversed(three)], "fetch(ids) did not keep the order")
        check([x.subject for x in fetched] == [x.subject for x in reversed(three)], "fetch(ids) subjects differ")
        by_tuples = list(a.fetch(ids=[(x.id, x.changekey) for x in three], only_fields=["subject", "size"]))
        check([x.subject for x in by_tuples] == [x.subject for x in three], "fetch((id, changekey)) subjects differ")
        check(all(x.size for x in by_tuples) and all(x.body is None for x in by_tuples), "only_fields not honoured")
        ctx["report"] = {"id": got.id, "uid": uid}
        return {"attachments": names}

    @step("mime_content (GetItem FieldURI item:MimeContent) is the IMAP message byte for byte")
    def _():
        with Imap() as m:
            uid = m.by_subject("INBOX", "Welcome to the ewsgate pilot")
            raws = {u: m.fetch("INBOX", u)["raw"] for u in uid}
        item = a.inbox.get(subject="Welcome to the ewsgate pilot")
        got = fetch_one(a, item, only_fields=["mime_content"])
        check(got.mime_content is not None, "mime_content is None: the server left MimeContent out of the GetItem answer")
        check(got.mime_content in raws.values(), f"mime_content differs from IMAP BODY[] ({len(got.mime_content)} vs {[len(r) for r in raws.values()]} octets)")
        # the whole-item get() (every field, as exchangelib does by default) carries it too
        full = a.inbox.get(id=item.id)
        check(full.mime_content == got.mime_content, "get(id=) has no / another mime_content")

    # ---------------------------------------------------------------- flags

    @step("is_read = ...; save(update_fields=['is_read']) is IMAP \\Seen")
    def _():
        with Imap() as m:
            uid = m.by_subject("INBOX", "Agenda for Thursday")[0]
            before = "\\Seen" in m.flags("INBOX", uid)
        msg = a.inbox.get(subject="Agenda for Thursday — planning session")
        check(msg.is_read == before, f"is_read {msg.is_read} but IMAP \\Seen {before}")
        old_id = msg.id
        msg.is_read = not before
        msg.save(update_fields=["is_read"])
        check(msg.id == old_id, "the id changed on a flag-only update")
        with Imap() as m:
            after = "\\Seen" in m.flags("INBOX", uid)
        check(after == (not before), f"IMAP \\Seen is {after} after is_read={not before}")
        check(a.inbox.get(id=msg.id).is_read == (not before), "re-read is_read is not what was saved")
        msg.is_read = before
        msg.save(update_fields=["is_read"])
        with Imap() as m:
            check(("\\Seen" in m.flags("INBOX", uid)) == before, "IMAP \\Seen not restored")

    @step("flag (PidTagFlagStatus 0x1090 as an ExtendedProperty) is IMAP \\Flagged")
    def _():
        with Imap() as m:
            uid = m.by_subject("INBOX", "Your November digest")[0]
            check("\\Flagged" not in m.flags("INBOX", uid), "seed sanity: already flagged")
        msg = a.inbox.get(subject="Your November digest: new regions, lower prices")
        check(msg.flag_status in (None, 0), f"flag_status of an unflagged message: {msg.flag_status!r}")
        msg.flag_status = 2  # followupFlagged
        msg.save(update_fields=["flag_status"])
        with Imap() as m:
            check("\\Flagged" in m.flags("INBOX", uid), "IMAP \\Flagged not set")
        check(a.inbox.get(id=msg.id).flag_status == 2, "re-read flag_status is not 2")
        flagged = subjects(a.inbox.filter(flag_status=2).only("subject"))
        check("Your November digest: new regions, lower prices" in flagged, f"filter(flag_status=2) gave {flagged}")
        msg.flag_status = 0
        msg.save(update_fields=["flag_status"])
        with Imap() as m:
            check("\\Flagged" not in m.flags("INBOX", uid), "IMAP \\Flagged not cleared")

    @step("the changekey save() got is current: save(conflict_resolution='NeverOverwrite') right after")
    def _():
        d = Message(account=a, folder=a.drafts, subject=f"{TAG} changekey", body="x")
        d.save()
        answered = d.changekey
        current = fetch_one(a, (d.id, None), only_fields=["subject"]).changekey
        d.flag_status = 2  # a flag-only change (STORE): the id stays
        d.save(update_fields=["flag_status"], conflict_resolution="NeverOverwrite")
        with Imap() as m:
            check("\\Flagged" in m.flags("Drafts", m.by_subject("Drafts", f"{TAG} changekey")[0]), "not flagged in IMAP")
        check(answered == current, f"CreateItem answered ChangeKey {answered!r}, GetItem has {current!r}")

    @step("categories with a space round-trip (IMAP keyword underneath)")
    def _():
        msg = a.inbox.get(subject="Your November digest: new regions, lower prices")
        msg.categories = ["Red category", "Projekt Ü"]
        msg.save(update_fields=["categories"])
        got = a.inbox.get(id=msg.id).categories
        msg.categories = None
        msg.save(update_fields=["categories"])
        check(sorted(got or []) == ["Projekt Ü", "Red category"], f"categories read back as {got!r}")

    # ---------------------------------------------------------------- drafts

    @step("save a draft: Message(folder=drafts, body=HTMLBody, to_recipients=...).save()")
    def _():
        d = Message(
            account=a,
            folder=a.drafts,
            subject=f"{TAG} draft Grüße",
            body=HTMLBody("<p>Hallo <b>Welt</b> — ein Entwurf</p>"),
            to_recipients=[Mailbox(name="Zoë Peer", email_address=PEER_USER)],
            cc_recipients=[OUTSIDE],
        )
        d.save()
        check(d.id and d.changekey, "save() left no id / changekey")
        got = a.drafts.get(id=d.id)
        check(got.subject == f"{TAG} draft Grüße", f"subject {got.subject!r}")
        check(got.is_draft is True, f"is_draft {got.is_draft!r}")
        check(isinstance(got.body, HTMLBody) and "<b>Welt</b>" in got.body, f"body {got.body!r}")
        check([(r.name, r.email_address) for r in got.to_recipients] == [("Zoë Peer", PEER_USER)], f"to {got.to_recipients!r}")
        check([r.email_address for r in got.cc_recipients] == [OUTSIDE], f"cc {got.cc_recipients!r}")
        check(got.parent_folder_id.id == a.drafts.id, "parent folder is not Drafts")
        imap = imap_one(EWS_USER, EWS_PASSWORD, "Drafts", f"{TAG} draft")
        check("\\Draft" in imap["flags"], f"IMAP flags {imap['flags']} lack \\Draft")
        p = parse(imap["raw"])
        check(p["subject"] == f"{TAG} draft Grüße", f"IMAP Subject {p['subject']!r}")
        html = p.get_body(("html",))
        check(html is not None and "<b>Welt</b>" in html.get_content(), "IMAP message has no text/html part with the body")
        check(PEER_USER in str(p["to"]) and "Zoë Peer" in str(p["to"]), f"IMAP To {p['to']!r}")
        ctx["draft"] = d

    @step("edit the saved draft: save(update_fields=['subject', 'body']) keeps the item", needs=["save a draft: Message(folder=drafts, body=HTMLBody, to_recipients=...).save()"])
    def _():
        d = ctx["draft"]
        d.subject = f"{TAG} draft Grüße (v2)"
        d.body = HTMLBody("<p>Zweite <i>Fassung</i></p>")
        try:
            d.save(update_fields=["subject", "body"])
        finally:
            # whatever save() says: what is in Drafts now?
            with Imap() as m:
                ctx["drafts_after_edit"] = [s for _, _, s, _ in m.all_messages("Drafts") if TAG in s and "draft Gr" in s]
        got = a.drafts.get(id=d.id)
        check(got.subject == f"{TAG} draft Grüße (v2)", f"subject after edit {got.subject!r}")
        check("<i>Fassung</i>" in got.body, f"body after edit {got.body!r}")
        check(ctx["drafts_after_edit"] == [f"{TAG} draft Grüße (v2)"], f"IMAP Drafts holds {ctx['drafts_after_edit']}")

    @step("attachments at creation: FileAttachment bytes and a text file read back through .content")
    def _():
        d = Message(account=a, folder=a.drafts, subject=f"{TAG} with files", body="two files attached")
        d.attach(FileAttachment(name="blob.bin", content=BINARY, content_type="application/octet-stream"))
        d.attach(FileAttachment(name="Prüfbericht.txt", content="Grüße, Welt\n".encode("utf-8"), content_type="text/plain"))
        d.save()
        got = a.drafts.get(id=d.id)
        check(got.has_attachments is True, "has_attachments is not True")
        files = {x.name: x for x in got.attachments}
        check(sorted(files) == sorted(["blob.bin", "Prüfbericht.txt"]), f"attachment names {sorted(files)}")
        check(files["blob.bin"].content == BINARY, "blob.bin .content differs from what was attached")
        check(files["Prüfbericht.txt"].content == "Grüße, Welt\n".encode("utf-8"), f"Prüfbericht.txt .content {files['Prüfbericht.txt'].content!r}")
        check(files["blob.bin"].size in (None, len(BINARY)) or files["blob.bin"].size >= len(BINARY), f"size {files['blob.bin'].size}")
        # streaming read (GetAttachment through exchangelib's fp) gives the same bytes
        with files["blob.bin"].fp as fp:
            check(fp.read() == BINARY, "attachment.fp read differs")
        p = parse(imap_one(EWS_USER, EWS_PASSWORD, "Drafts", f"{TAG} with files")["raw"])
        in_imap = {x.get_filename(): x.get_payload(decode=True) for x in p.iter_attachments()}
        check(in_imap.get("blob.bin") == BINARY, "IMAP: blob.bin part differs")
        check(in_imap.get("Prüfbericht.txt") == "Grüße, Welt\n".encode("utf-8"), f"IMAP: Prüfbericht.txt part {in_imap.get('Prüfbericht.txt')!r}")
        # exchangelib takes the AttachmentIds from the CreateItem answer (Exchange lists them there)
        check(all(x.attachment_id for x in d.attachments), f"save() left attachments without ids (the CreateItem answer lists none): {d.attachments!r}")

    @step("ItemAttachment: an inbox message attached to a draft, read back as an item")
    def _():
        inner = a.inbox.get(subject="Welcome to the ewsgate pilot")
        d = Message(account=a, folder=a.drafts, subject=f"{TAG} with an item", body="see the attached message")
        d.attach(ItemAttachment(name="Welcome (attached)", item=inner))
        d.save()
        got = a.drafts.get(id=d.id)
        items = [x for x in got.attachments if isinstance(x, ItemAttachment)]
        check(len(items) == 1, f"attachments read back: {got.attachments!r}")
        check(items[0].item is not None and items[0].item.subject == "Welcome to the ewsgate pilot", f"attached item {items[0].item!r}")
        check("welcome to the ewsgate pilot" in (items[0].item.body or "").lower(), "attached item has no body")
        p = parse(imap_one(EWS_USER, EWS_PASSWORD, "Drafts", f"{TAG} with an item")["raw"])
        rfc822 = [x for x in p.walk() if x.get_content_type() == "message/rfc822"]
        check(len(rfc822) == 1, "IMAP: no message/rfc822 part")

    @step("attach() on a saved draft keeps the draft's id (CreateAttachment)")
    def _():
        d = Message(account=a, folder=a.drafts, subject=f"{TAG} attach later", body="attachment comes later")
        d.save()
        ctx["late"] = d
        att = FileAttachment(name="later.bin", content=BINARY[::-1])
        d.attach(att)
        check(att.attachment_id is not None, "attach() left no attachment id")
        got = list(a.fetch(ids=[d]))[0]
        check(not isinstance(got, Exception), f"the draft's id no longer resolves after attach(): {got!r}")
        check([x.name for x in got.attachments] == ["later.bin"], f"attachments {got.attachments!r}")

    @step("reading attachment.content of the attachment added later")
    def _():
        found = list(a.drafts.filter(subject__contains=f"{TAG} attach later"))
        check(len(found) == 1, f"{len(found)} drafts '{TAG} attach later' (attach() must not leave two)")
        atts = found[0].attachments
        check([x.name for x in atts] == ["later.bin"], f"attachments {atts!r}")
        check(atts[0].content == BINARY[::-1], "content differs")
        p = parse(imap_one(EWS_USER, EWS_PASSWORD, "Drafts", f"{TAG} attach later")["raw"])
        check([x.get_payload(decode=True) for x in p.iter_attachments()] == [BINARY[::-1]], "IMAP: attachment part differs")

    # ---------------------------------------------------------------- sending

    @step("send(save_copy=False): SendOnly, delivered to the peer's INBOX, no Sent copy")
    def _():
        subject = f"{TAG} sendonly"
        Message(account=a, subject=subject, body="sent only", to_recipients=[PEER_USER]).send(save_copy=False)
        wait_arrival(PEER_USER, PEER_PASSWORD, subject)
        p = parse(imap_one(PEER_USER, PEER_PASSWORD, "INBOX", subject)["raw"])
        check(EWS_USER in str(p["from"]), f"From {p['from']!r}")
        check("sent only" in p.get_body(("plain", "html")).get_content(), "body lost")
        with Imap() as m:
            check(m.by_subject("Sent", subject) == [], "a Sent copy was saved for SendOnly")
            check(m.by_subject("Drafts", subject) == [], "left in Drafts")

    @step("send_and_save(): delivered, one copy in Sent")
    def _():
        subject = f"{TAG} sendandsave"
        Message(
            account=a, folder=a.sent, subject=subject, body=HTMLBody("<p>with <b>HTML</b></p>"), to_recipients=[PEER_USER], cc_recipients=[OUTSIDE]
        ).send_and_save()
        wait_arrival(PEER_USER, PEER_PASSWORD, subject)
        at_peer = parse(imap_one(PEER_USER, PEER_PASSWORD, "INBOX", subject)["raw"])
        check("<b>HTML</b>" in at_peer.get_body(("html",)).get_content(), "HTML body lost")
        check(OUTSIDE in str(at_peer["cc"]), f"Cc {at_peer['cc']!r}")
        sent = imap_one(EWS_USER, EWS_PASSWORD, "Sent", subject)
        check("\\Seen" in sent["flags"], f"Sent copy flags {sent['flags']}")
        copies = list(a.sent.filter(subject=subject))
        check(len(copies) == 1 and copies[0].is_draft is False, f"Sent through EWS: {copies!r}")
        # the peer sees it through EWS too
        got = peer.inbox.get(subject=subject)
        check(got.author.email_address == EWS_USER and got.is_read is False, f"at the peer: {got.author!r} read={got.is_read}")

    @step("send() of a saved draft: SendItem, delivered, moved from Drafts to Sent")
    def _():
        subject = f"{TAG} draft to send"
        d = Message(account=a, folder=a.drafts, subject=subject, body="drafted first", to_recipients=[PEER_USER])
        d.save()
        d.send()
        wait_arrival(PEER_USER, PEER_PASSWORD, subject)
        with Imap() as m:
            check(m.by_subject("Drafts", subject) == [], "the draft is still in Drafts")
            check(len(m.by_subject("Sent", subject)) == 1, "no copy in Sent")
        check(a.drafts.filter(subject=subject).count() == 0, "Drafts still lists it")

    @step("reply() / reply_all() / forward() from the peer: delivered, threaded, original marked")
    def _():
        subject = f"{TAG} please answer"
        Message(account=a, subject=subject, body="question?", to_recipients=[PEER_USER], cc_recipients=[OUTSIDE]).send(save_copy=False)
        wait_arrival(PEER_USER, PEER_PASSWORD, subject)
        orig = peer.inbox.get(subject=subject)
        orig.reply(subject=f"Re: {subject}", body="the answer")
        orig.reply_all(subject=f"Re: {subject} (all)", body="answer to all")
        orig.forward(subject=f"Fw: {subject}", body="have a look", to_recipients=[EWS_USER])
        wait_arrival(EWS_USER, EWS_PASSWORD, subject, count=3)
        with Imap() as m:
            uids = m.by_subject("INBOX", subject)
            got = {parse(m.fetch("INBOX", u)["raw"])["subject"]: parse(m.fetch("INBOX", u)["raw"]) for u in uids}
        check(sorted(got) == sorted([f"Re: {subject}", f"Re: {subject} (all)", f"Fw: {subject}"]), f"arrived: {sorted(got)}")
        for s in (f"Re: {subject}", f"Re: {subject} (all)"):
            check(got[s]["in-reply-to"] == orig.message_id, f"{s}: In-Reply-To {got[s]['in-reply-to']!r} != {orig.message_id!r}")
            check(orig.message_id in (got[s]["references"] or ""), f"{s}: References {got[s]['references']!r}")
        check("the answer" in got[f"Re: {subject}"].get_body(("plain", "html")).get_content(), "reply body lost")
        check(OUTSIDE in str(got[f"Re: {subject} (all)"]["cc"]) or OUTSIDE in str(got[f"Re: {subject} (all)"]["to"]), "reply_all lost the Cc")
        fwd = got[f"Fw: {subject}"]
        check("question?" in fwd.as_string(), "the forward does not carry the original")
        # through EWS, at the original sender
        replies = list(a.inbox.filter(subject__contains=f"Re: {subject}").only("subject", "in_reply_to"))
        check(len(replies) == 2 and all(r.in_reply_to == orig.message_id for r in replies), f"in_reply_to through EWS: {[(r.subject, r.in_reply_to) for r in replies]}")
        # the peer's original is answered and forwarded; its copies are in its Sent
        with Imap(PEER_USER, PEER_PASSWORD) as m:
            uid = m.by_exact_subject("INBOX", subject)
            check(len(uid) == 1, f"peer INBOX has {len(uid)} messages {subject!r}")
            flags = m.flags("INBOX", uid[0])
            check("\\Answered" in flags, f"peer's original flags {flags} lack \\Answered")
            check("$Forwarded" in flags, f"peer's original flags {flags} lack $Forwarded")
            check(len(m.by_subject("Sent", subject)) == 3, f"peer's Sent holds {len(m.by_subject('Sent', subject))} of the 3 answers")
        return {"subjects": sorted(got)}

    # ---------------------------------------------------------------- filing

    @step("copy() and move() to other folders: new ids, IMAP follows")
    def _():
        projects = a.root / "Top of Information Store" / "Projects"
        recus = a.root / "Top of Information Store" / "Reçus"
        subject = f"{TAG} to file"
        (res,) = a.bulk_create(folder=a.inbox, items=[Message(account=a, subject=subject, body="file me")])
        m = a.inbox.get(id=res.id)
        copied = m.copy(recus)
        check(copied is not None and copied[0] != m.id, f"copy() answered {copied!r}")
        cp = fetch_one(a, copied)
        check(cp.subject == subject and cp.parent_folder_id.id == recus.id, f"the copy: {cp.subject!r} in {cp.parent_folder_id!r}")
        old_id = m.id
        m.move(projects)
        check(m.id and m.id != old_id, "move() left the old id")
        check(gone(a, old_id), "the old id still resolves after move()")
        check(projects.get(id=m.id).subject == subject, "not found in Projects by the new id")
        with Imap() as i:
            check(i.by_subject("INBOX", subject) == [], "still in IMAP INBOX after move")
            check(len(i.by_subject("Projects", subject)) == 1, "not in IMAP Projects")
            check(len(i.by_subject("Reçus", subject)) == 1, "copy not in IMAP Reçus")
        ctx["filed"] = {"moved": m, "copy": cp}

    @step("delete(): HardDelete, gone from EWS and Dovecot, not in Trash", needs=["copy() and move() to other folders: new ids, IMAP follows"])
    def _():
        cp = ctx["filed"]["copy"]
        cid = cp.id
        cp.delete()
        check(gone(a, cid), "GetItem still finds it")
        with Imap() as i:
            check(i.by_subject("Reçus", f"{TAG} to file") == [], "still in IMAP")
            check(i.by_subject("Trash", f"{TAG} to file") == [], "in IMAP Trash after a hard delete")

    @step("move_to_trash(): MoveToDeletedItems, in Trash", needs=["copy() and move() to other folders: new ids, IMAP follows"])
    def _():
        m = ctx["filed"]["moved"]
        mid = m.id
        m.move_to_trash()
        check(gone(a, mid), "the old id still resolves")
        in_trash = list(a.trash.filter(subject=f"{TAG} to file"))
        check(len(in_trash) == 1, f"Trash lists {len(in_trash)}")
        with Imap() as i:
            check(i.by_subject("Projects", f"{TAG} to file") == [], "still in IMAP Projects")
            check(len(i.by_subject("Trash", f"{TAG} to file")) == 1, "not in IMAP Trash")
        in_trash[0].delete()
        with Imap() as i:
            check(i.by_subject("Trash", f"{TAG} to file") == [], "delete() in Trash left it there")

    @step("soft_delete(): gone from the folder, not in Trash")
    def _():
        subject = f"{TAG} soft"
        (res,) = a.bulk_create(folder=a.inbox, items=[Message(account=a, subject=subject, body="soft")])
        m = a.inbox.get(id=res.id)
        m.soft_delete()
        check(gone(a, res.id), "GetItem still finds it")
        check(a.inbox.filter(subject=subject).count() == 0, "inbox still lists it")
        check(a.trash.filter(subject=subject).count() == 0, "soft delete put it in Trash (that is MoveToDeletedItems)")
        with Imap() as i:
            check(i.by_subject("INBOX", subject) == [], "still in IMAP INBOX")

    @step("mark_as_junk(): moved to Junk with $Junk, and back")
    def _():
        subject = f"{TAG} spam"
        (res,) = a.bulk_create(folder=a.inbox, items=[Message(account=a, subject=subject, body="buy now")])
        m = a.inbox.get(id=res.id)
        m.mark_as_junk(is_junk=True, move_item=True)
        check(m.id and m.id != res.id, f"mark_as_junk left id {m.id!r}")
        check(a.junk.get(id=m.id).subject == subject, "not in Junk by the moved id")
        with Imap() as i:
            uid = i.by_subject("Junk", subject)
            check(len(uid) == 1, "not in IMAP Junk")
            check("$Junk" in i.flags("Junk", uid[0]), "no $Junk keyword")
        m.mark_as_junk(is_junk=False, move_item=True)
        check(a.inbox.get(id=m.id).subject == subject, "not back in the inbox")
        m.delete()

    # ---------------------------------------------------------------- bulk

    @step("bulk_create(folder=Projects/2026, items=[...]): every item there, in EWS and IMAP")
    def _():
        folder = a.root / "Top of Information Store" / "Projects" / "2026"
        items = [
            Message(account=a, folder=folder, subject=f"{TAG} bulk {i}", body=f"bulk body {i}", to_recipients=[OUTSIDE])
            for i in range(5)
        ]
        res = a.bulk_create(folder=folder, items=items)
        check(len(res) == 5 and all(not isinstance(r, Exception) for r in res), f"bulk_create answered {res!r}")
        ids = [r.id for r in res]
        check(len(set(ids)) == 5, "ids are not distinct")
        listed = sorted(subjects(folder.filter(subject__startswith=f"{TAG} bulk").only("subject")))
        check(listed == [f"{TAG} bulk {i}" for i in range(5)], f"folder lists {listed}")
        fetched = [x.subject for x in a.fetch(ids=res)]
        check(fetched == [f"{TAG} bulk {i}" for i in range(5)], f"fetch(ids) gave {fetched}")
        with Imap() as i:
            check(len(i.by_subject("Projects/2026", f"{TAG} bulk")) == 5, "IMAP Projects/2026 does not hold the 5")
        ctx["bulk"] = res

    @step("items created with is_read=True are read (CreateItem <t:IsRead>1</t:IsRead>)")
    def _():
        subject = f"{TAG} created read"
        (res,) = a.bulk_create(folder=a.inbox, items=[Message(account=a, subject=subject, body="x", is_read=True)])
        got = a.inbox.get(id=res.id)
        with Imap() as i:
            flags = i.flags("INBOX", i.by_subject("INBOX", subject)[0])
        got.delete()
        check(got.is_read is True, f"is_read read back as {got.is_read!r}")
        check("\\Seen" in flags, f"IMAP flags {flags}")

    @step("bulk_delete(ids=...): all gone", needs=["bulk_create(folder=Projects/2026, items=[...]): every item there, in EWS and IMAP"])
    def _():
        res = ctx["bulk"]
        out = a.bulk_delete(ids=res)
        check(out == [True] * 5, f"bulk_delete answered {out!r}")
        check(all(gone(a, r.id) for r in res), "some ids still resolve")
        with Imap() as i:
            check(i.by_subject("Projects/2026", f"{TAG} bulk") == [], "IMAP still holds some")

    @step("clean up the drafts this run made")
    def _():
        left = list(a.drafts.filter(subject__contains=TAG))
        if left:
            a.bulk_delete(ids=left)
        with Imap() as i:
            check(i.by_subject("Drafts", TAG) == [], "drafts left in IMAP")
        return {"deleted": len(left)}



if __name__ == "__main__":
    run(main, tag=TAG)

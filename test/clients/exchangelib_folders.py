"""The folder surface of ewsgate as exchangelib 4.9 (Debian's python3-exchangelib) sees it.

Run by test/clients/exchangelib.test.ts with /usr/bin/python3 (the system Python that has
exchangelib; the pyenv `python3` on PATH has not). Environment:

  EWS_URL, EWS_USER, EWS_PASSWORD   the gateway's EWS endpoint and a seeded user
  IMAP_HOST, IMAP_PORT              the Dovecot behind the gateway (checked with imaplib)
  EXPECT_INBOX_TOTAL, EXPECT_INBOX_UNREAD
                                    INBOX's MESSAGES / UNSEEN as IMAP STATUS reports them
  EXCHANGELIB_XML_DUMP              optional: a file to write every EWS request/response to (JSON)

Every step runs in order and is recorded (ok, detail, error, traceback, and the EWS request /
response XML exchanged during a failed step). The tree is printed; the last line of stdout is
the JSON summary {"ok": bool, "steps": [...], "names": {...}}. Exit code 0 only if every step
passed. A step whose failure leaves nothing to continue with stops the run (later steps are
listed as not run).
"""

import base64
import imaplib
import os
import uuid

from exchangelib import Folder
from exchangelib.errors import ErrorFolderNotFound, ErrorItemNotFound
from exchangelib.folders import FolderCollection
from exchangelib_scenario import STEPS, StepFailed, check, connect, run
from exchangelib_scenario import step as scenario_step

EWS_USER = os.environ["EWS_USER"]
EWS_PASSWORD = os.environ["EWS_PASSWORD"]
IMAP_HOST = os.environ.get("IMAP_HOST", "127.0.0.1")
IMAP_PORT = int(os.environ["IMAP_PORT"])
EXPECT_TOTAL = int(os.environ["EXPECT_INBOX_TOTAL"])
EXPECT_UNREAD = int(os.environ["EXPECT_INBOX_UNREAD"])

TAG = uuid.uuid4().hex[:8]
NAME_CREATED = f"exl-{TAG}"
NAME_RENAMED = f"exl-{TAG} Prüfung"  # non-ASCII and a space: IMAP modified UTF-7 on the way

# ------------------------------------------------------------------ IMAP (imaplib, straight to Dovecot)


def mutf7_decode(s):
    """RFC 3501 modified UTF-7 -> str."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "&":
            out.append(c)
            i += 1
            continue
        j = s.index("-", i)
        chunk = s[i + 1 : j]
        if chunk == "":
            out.append("&")
        else:
            b64 = chunk.replace(",", "/")
            b64 += "=" * (-len(b64) % 4)
            out.append(base64.b64decode(b64).decode("utf-16-be"))
        i = j + 1
    return "".join(out)


def imap_folders():
    """All mailbox names (decoded) and the hierarchy delimiter, from a fresh IMAP session."""
    m = imaplib.IMAP4(IMAP_HOST, IMAP_PORT)
    try:
        m.login(EWS_USER, EWS_PASSWORD)
        typ, lines = m.list('""', "*")
        if typ != "OK":
            raise RuntimeError(f"IMAP LIST failed: {typ} {lines}")
        names, delim = [], "/"
        for raw in lines:
            line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            # (\Flags) "/" name   (name possibly quoted)
            rest = line.split(") ", 1)[1]
            d, name = rest.split(" ", 1)
            delim = d.strip('"')
            if name.startswith('"') and name.endswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            names.append(mutf7_decode(name))
        return names, delim
    finally:
        try:
            m.logout()
        except Exception:
            pass


# ------------------------------------------------------------------ steps


def step(name, fatal=True):
    """Most steps here leave nothing to continue with when they fail: fatal unless said otherwise."""
    return scenario_step(name, fatal=fatal)


def reread(account, folder_id):
    """GetFolder by id with all of Folder's fields, whatever class the server says the folder is."""
    res = list(FolderCollection(account=account, folders=[Folder(root=account.root, id=folder_id)]).resolve())
    check(len(res) == 1, f"GetFolder returned {len(res)} results: {res!r}")
    if isinstance(res[0], Exception):
        raise res[0]
    return res[0]


def main():
    account = connect()
    ctx = {}

    @step("root.tree")
    def _():
        tree = account.root.tree()
        print(tree)
        lines = tree.split("\n")
        check(lines[0].strip() != "", "the root has no name")
        tois = account.root / "Top of Information Store"
        check(tois.id == account.msg_folder_root.id, "'Top of Information Store' under root is not msg_folder_root")
        for n in ("Inbox", "Projects", "2026", "Reçus"):
            check(any(l.endswith("── " + n) for l in lines), f"{n!r} missing from the tree:\n{tree}")
        ctx["tois"] = tois
        return {"lines": len(lines)}

    @step("inbox counts")
    def _():
        inbox = account.inbox
        got = {"name": inbox.name, "total_count": inbox.total_count, "unread_count": inbox.unread_count}
        check(inbox.total_count == EXPECT_TOTAL, f"inbox.total_count {inbox.total_count} != IMAP MESSAGES {EXPECT_TOTAL}")
        check(inbox.unread_count == EXPECT_UNREAD, f"inbox.unread_count {inbox.unread_count} != IMAP UNSEEN {EXPECT_UNREAD}")
        check(inbox.parent.id == account.msg_folder_root.id, "inbox's parent is not msg_folder_root")
        return got

    @step("msg_folder_root.walk", fatal=False)
    def _():
        walked = [(f.name, f.absolute) for f in account.msg_folder_root.walk()]
        names = [n for n, _ in walked]
        abs_paths = [a for _, a in walked]
        for n in ("Inbox", "Drafts", "Projects", "2026", "Reçus"):
            check(n in names, f"{n!r} not walked: {names}")
        check(
            any(a.endswith("/Top of Information Store/Projects/2026") for a in abs_paths),
            f"Projects/2026 has the wrong path: {abs_paths}",
        )
        imap, _ = imap_folders()
        # every IMAP mailbox shows up in the walk (the leaf name)
        for mbox in imap:
            leaf = mbox.split("/")[-1]
            if mbox.upper() == "INBOX":
                continue
            check(leaf in names, f"IMAP mailbox {mbox!r} not in msg_folder_root.walk(): {names}")
        return {"names": names}

    @step("inbox.glob('*') before create", fatal=False)
    def _():
        found = [f.name for f in account.inbox.glob("*")]
        check(found == [], f"INBOX has no children in IMAP yet, glob('*') gave {found}")

    @step("create Folder(parent=inbox)")
    def _():
        f = Folder(parent=account.inbox, name=NAME_CREATED)
        f.save()
        check(f.id, "save() left no id")
        ctx["f"] = f
        ctx["fid"] = f.id
        imap, delim = imap_folders()
        ctx["delim"] = delim
        check(f"INBOX{delim}{NAME_CREATED}" in imap, f"INBOX{delim}{NAME_CREATED} not in IMAP: {imap}")
        return {"id": f.id, "changekey": f.changekey}

    @step("created folder seen by the server", fatal=False)
    def _():
        f = ctx["f"]
        child = account.inbox // NAME_CREATED  # FindFolder Shallow with a restriction, no cache
        check(child.id == f.id, f"inbox // name gave id {child.id}, created {f.id}")
        glob = [c.name for c in account.inbox.glob("*")]
        check(NAME_CREATED in glob, f"inbox.glob('*') = {glob}")
        account.inbox.refresh()
        check(account.inbox.child_folder_count == 1, f"inbox.child_folder_count {account.inbox.child_folder_count}")
        account.root.clear_cache()  # children from a fresh Deep FindFolder of root
        kids = [c.name for c in account.inbox.children]
        check(kids == [NAME_CREATED], f"inbox.children after clear_cache: {kids}")
        return {"glob": glob}

    @step("refresh() of the created Folder", fatal=False)
    def _():
        # exchangelib's own test_counts does exactly this: Folder(parent=inbox, name=...).save(); f.refresh().
        # refresh() insists that the server returns the same folder class (a folder created without a
        # FolderClass must not come back as IPF.Note / Messages).
        f = Folder(root=account.root, id=ctx["fid"])
        f.refresh()
        check(f.name == NAME_CREATED, f"refreshed name {f.name!r}")
        return {"folder_class": f.folder_class}

    @step("rename with save()", fatal=False)
    def _():
        f = ctx["f"]
        f.name = NAME_RENAMED
        try:
            f.save()  # what exchangelib users write; it also sends DeleteFolderField folder:PermissionSet
        except Exception:
            imap, delim = imap_folders()
            ctx["imap_after_failed_save"] = [n for n in imap if TAG in n]
            raise

    if not STEPS[-1]["ok"]:
        STEPS[-1]["imap_after_failed_save"] = ctx.get("imap_after_failed_save")

        @step("rename with save(update_fields=['name']) (fallback)")
        def _():
            f = ctx["f"]
            f.name = NAME_RENAMED
            f.save(update_fields=["name"])

    @step("renamed folder seen by server and IMAP")
    def _():
        f = ctx["f"]
        delim = ctx["delim"]
        check(f.id == ctx["fid"], "the FolderId changed on rename")
        g = reread(account, ctx["fid"])
        check(g.name == NAME_RENAMED, f"GetFolder by the old id: name {g.name!r}")
        check(g.parent_folder_id.id == account.inbox.id, "renamed folder left the inbox")
        child = account.inbox // NAME_RENAMED
        check(child.id == ctx["fid"], "inbox // new name has another id")
        try:
            account.inbox // NAME_CREATED
            raise StepFailed(f"{NAME_CREATED!r} is still found under inbox")
        except ErrorFolderNotFound:
            pass
        imap, _ = imap_folders()
        check(f"INBOX{delim}{NAME_RENAMED}" in imap, f"INBOX{delim}{NAME_RENAMED} not in IMAP: {imap}")
        check(f"INBOX{delim}{NAME_CREATED}" not in imap, f"old name still in IMAP: {imap}")

    @step("move to Top of Information Store/Projects")
    def _():
        f = ctx["f"]
        projects = account.root / "Top of Information Store" / "Projects"
        ctx["projects"] = projects
        f.move(projects)
        check(f.id == ctx["fid"], "move changed the id (exchangelib checks this too)")

    @step("moved folder re-read by id")
    def _():
        delim = ctx["delim"]
        projects = ctx["projects"]
        g = reread(account, ctx["fid"])
        check(g.name == NAME_RENAMED, f"name after move {g.name!r}")
        check(g.parent_folder_id is not None and g.parent_folder_id.id == projects.id,
              f"parent after move {g.parent_folder_id!r}, Projects is {projects.id}")
        check((projects // NAME_RENAMED).id == ctx["fid"], "Projects // name has another id")
        inbox_glob = [c.name for c in account.inbox.glob("*")]
        check(NAME_RENAMED not in inbox_glob, f"still under inbox: {inbox_glob}")
        account.root.clear_cache()
        glob = [c.absolute for c in account.msg_folder_root.glob("Projects/*")]
        check(any(a.endswith(f"/Projects/{NAME_RENAMED}") for a in glob), f"msg_folder_root.glob('Projects/*') = {glob}")
        imap, _ = imap_folders()
        check(f"Projects{delim}{NAME_RENAMED}" in imap, f"Projects{delim}{NAME_RENAMED} not in IMAP: {imap}")
        check(f"INBOX{delim}{NAME_RENAMED}" not in imap, f"still under INBOX in IMAP: {imap}")
        return {"glob": glob}

    @step("delete")
    def _():
        f = ctx["f"]
        f.delete()
        check(f.id is None, "delete() left the id")

    @step("deleted folder is gone")
    def _():
        projects = ctx["projects"]
        try:
            projects // NAME_RENAMED
            raise StepFailed("still found under Projects")
        except ErrorFolderNotFound:
            pass
        try:
            reread(account, ctx["fid"])
            raise StepFailed("GetFolder by id still finds the deleted folder")
        except (ErrorFolderNotFound, ErrorItemNotFound):
            pass
        account.root.clear_cache()
        walked = [f.name for f in account.msg_folder_root.walk()]
        check(not any(TAG in n for n in walked), f"left in walk(): {walked}")
        imap, _ = imap_folders()
        check(not any(TAG in n for n in imap), f"left in IMAP: {imap}")



if __name__ == "__main__":
    run(main, names={"created": NAME_CREATED, "renamed": NAME_RENAMED})

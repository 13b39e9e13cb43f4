"""Contacts, distribution lists, ResolveNames, ExpandDL and FindPeople as exchangelib 4.9 sees them.

Run by test/clients/exchangelib-contacts.test.ts with /usr/bin/python3 (Debian's python3-exchangelib).
Environment:

  EWS_URL, EWS_USER, EWS_PASSWORD   the gateway's EWS endpoint and a user with a CardDAV address book
  DAV_BOOK_URL                      that address book on Radicale (checked straight over CardDAV)

Every step is recorded (ok, detail, error, traceback, the EWS XML of a failed step); the last line
of stdout is the JSON summary {"ok": bool, "steps": [...], "tag": str}. Exit 0 only if all passed.
"""

import os
import re
import uuid

import requests
from exchangelib.ewsdatetime import EWSDate
from exchangelib.indexed_properties import EmailAddress, PhoneNumber
from exchangelib.items import Contact, DistributionList
from exchangelib.properties import DLMailbox, Mailbox, Member
from exchangelib_scenario import check, connect, run, step

EWS_USER = os.environ["EWS_USER"]
EWS_PASSWORD = os.environ["EWS_PASSWORD"]
DAV_BOOK_URL = os.environ["DAV_BOOK_URL"]

TAG = uuid.uuid4().hex[:8]
GIVEN = "Łucja"
SURNAME = f"Exl{TAG}"
NAME = f"{GIVEN} {SURNAME}"
EMAIL = f"lucja.{TAG}@example.org"
DL_NAME = f"Exl-DL {TAG}"

# ------------------------------------------------------------------ CardDAV (straight to Radicale)


def dav_cards():
    """{href: vCard text} of every object in the address book."""
    auth = (EWS_USER, EWS_PASSWORD)
    r = requests.request("PROPFIND", DAV_BOOK_URL, auth=auth, headers={"Depth": "1"}, timeout=10)
    check(r.status_code == 207, f"PROPFIND {r.status_code}")
    hrefs = re.findall(r"<(?:\w+:)?href>([^<]+\.vcf)</(?:\w+:)?href>", r.text)
    out = {}
    for h in hrefs:
        g = requests.get(requests.compat.urljoin(DAV_BOOK_URL, h), auth=auth, timeout=10)
        check(g.status_code == 200, f"GET {h}: {g.status_code}")
        out[h] = g.content.decode("utf-8")
    return out


def dav_card_with(text):
    found = [c for c in dav_cards().values() if text in c]
    check(len(found) == 1, f"{len(found)} vCards in Radicale contain {text!r}")
    return found[0]


def unfold(card):
    return re.sub(r"\r?\n[ \t]", "", card)


def main():
    a = connect()
    state = {}

    @step("Contact(...).save()")
    def _():
        c = Contact(
            folder=a.contacts,
            given_name=GIVEN,
            surname=SURNAME,
            display_name=NAME,
            company_name="Exl Testing",
            job_title="Prüferin",
            email_addresses=[EmailAddress(email=EMAIL, label="EmailAddress1")],
            phone_numbers=[PhoneNumber(phone_number="+48 22 123 45 67", label="MobilePhone")],
            birthday=EWSDate(1984, 2, 29),
        )
        c.save()
        check(c.id and c.changekey, "no id / changekey after save()")
        state["contact"] = c
        return {"id_len": len(c.id)}

    @step("the contact is a vCard in Radicale", needs=["Contact(...).save()"])
    def _():
        card = unfold(dav_card_with(SURNAME))
        check(EMAIL in card, "EMAIL missing from the vCard")
        check("+48 22 123 45 67" in card, "the mobile number is missing from the vCard")
        check(re.search(r"^BDAY[;:].*1984-?02-?29", card, re.M), "BDAY 1984-02-29 missing")
        check("Prüferin" in card, "TITLE missing (or not UTF-8)")

    @step("filter(display_name=...)", needs=["Contact(...).save()"])
    def _():
        got = list(a.contacts.filter(display_name=NAME))
        check(len(got) == 1, f"{len(got)} contacts with that display name")
        check(got[0].id == state["contact"].id, "another id than save() gave")

    @step("filter(email_addresses__EmailAddress1=...)", needs=["Contact(...).save()"])
    def _():
        got = list(a.contacts.filter(email_addresses__EmailAddress1=EMAIL))
        check(len(got) == 1, f"{len(got)} contacts with that address")

    @step("get(id=...) reads every field back", needs=["Contact(...).save()"])
    def _():
        c = a.contacts.get(id=state["contact"].id)
        check(c.given_name == GIVEN and c.surname == SURNAME, f"name {c.given_name!r} {c.surname!r}")
        check(c.display_name == NAME, f"display_name {c.display_name!r}")
        check(c.company_name == "Exl Testing" and c.job_title == "Prüferin", f"{c.company_name!r} {c.job_title!r}")
        emails = {e.label: e.email for e in c.email_addresses or []}
        check(emails.get("EmailAddress1") == EMAIL, f"email_addresses {emails}")
        phones = {p.label: p.phone_number for p in c.phone_numbers or []}
        check(phones.get("MobilePhone") == "+48 22 123 45 67", f"phone_numbers {phones}")
        check(c.birthday == EWSDate(1984, 2, 29), f"birthday {c.birthday!r}")
        state["contact"] = c
        return {"birthday": str(c.birthday)}

    @step("save(update_fields=[...])", needs=["get(id=...) reads every field back"])
    def _():
        c = state["contact"]
        c.job_title = "Chief Tester"
        c.department = "QA"
        c.save(update_fields=["job_title", "department"])
        again = a.contacts.get(id=c.id)
        check(again.job_title == "Chief Tester" and again.department == "QA", f"{again.job_title!r} {again.department!r}")
        card = unfold(dav_card_with(SURNAME))
        check("Chief Tester" in card, "TITLE not updated in Radicale")
        check(re.search(r"^ORG[;:].*QA", card, re.M), "the department is not in ORG")
        check(EMAIL in card, "the update lost the e-mail address")
        state["contact"] = again

    @step("resolve_names([surname])", needs=["Contact(...).save()"])
    def _():
        got = a.protocol.resolve_names([SURNAME])
        check(len(got) == 1, f"{len(got)} resolutions: {got!r}")
        mb = got[0]
        check(isinstance(mb, Mailbox), f"not a Mailbox: {mb!r}")
        check(mb.email_address == EMAIL, f"email_address {mb.email_address!r}")
        check(mb.mailbox_type == "Contact", f"mailbox_type {mb.mailbox_type!r}")
        return {"name": mb.name}

    @step("resolve_names(return_full_contact_data=True)", needs=["Contact(...).save()"])
    def _():
        got = a.protocol.resolve_names([EMAIL], return_full_contact_data=True)
        check(len(got) == 1, f"{len(got)} resolutions")
        mb, contact = got[0]
        check(mb.email_address == EMAIL, f"email_address {mb.email_address!r}")
        check(contact is not None and contact.surname == SURNAME, f"contact {contact!r}")
        check(contact.job_title in ("Chief Tester", "Prüferin"), f"job_title {contact.job_title!r}")

    @step("resolve_names of nobody is empty")
    def _():
        # exchangelib hands the ErrorNameResolutionNoResults message back as an exception in the list.
        from exchangelib.errors import ErrorNameResolutionNoResults

        got = a.protocol.resolve_names([f"nobody-{TAG}"])
        check(len(got) == 1 and isinstance(got[0], ErrorNameResolutionNoResults), f"{got!r}")

    @step("DistributionList with members .save()", needs=["Contact(...).save()"])
    def _():
        dl = DistributionList(
            folder=a.contacts,
            display_name=DL_NAME,
            members=[
                Member(mailbox=Mailbox(name="Ann Example", email_address=f"ann.{TAG}@example.org", routing_type="SMTP", mailbox_type="OneOff")),
                Member(mailbox=Mailbox(name=NAME, email_address=EMAIL, routing_type="SMTP", mailbox_type="OneOff")),
            ],
        )
        dl.save()
        check(dl.id, "no id after save()")
        state["dl"] = dl

    @step("the distribution list is a group vCard in Radicale", needs=["DistributionList with members .save()"])
    def _():
        card = unfold(dav_card_with(DL_NAME))
        check(re.search(r"^(KIND:group|X-ADDRESSBOOKSERVER-KIND:group)", card, re.M | re.I), "not a group vCard")
        check(f"ann.{TAG}@example.org" in card and EMAIL in card, "a member is missing")

    @step("get(id=...) of the distribution list lists its members", needs=["DistributionList with members .save()"])
    def _():
        dl = a.contacts.get(id=state["dl"].id)
        check(isinstance(dl, DistributionList), f"{type(dl).__name__}")
        got = sorted(m.mailbox.email_address for m in dl.members or [])
        check(got == sorted([f"ann.{TAG}@example.org", EMAIL]), f"members {got}")

    @step("expand_dl(name of the list)", needs=["DistributionList with members .save()"])
    def _():
        # exchangelib 4.9 cannot send a Mailbox by ItemId (Mailbox.item_id is read-only there): it names the list.
        got = a.protocol.expand_dl(DLMailbox(name=DL_NAME, email_address=DL_NAME, mailbox_type="PrivateDL"))
        emails = sorted(m.email_address for m in got)
        check(emails == sorted([f"ann.{TAG}@example.org", EMAIL]), f"{emails}")

    @step("people().filter(display_name=...) (FindPeople)", needs=["Contact(...).save()"])
    def _():
        got = list(a.contacts.people().filter(display_name=NAME).only("display_name", "email_address"))
        check(len(got) == 1, f"{len(got)} personas")
        p = got[0]
        check(p.display_name == NAME, f"display_name {p.display_name!r}")
        check(p.email_address is not None and p.email_address.email_address == EMAIL, f"email_address {p.email_address!r}")
        return {"persona_type": p.persona_type}

    @step("delete() the distribution list and the contact", needs=["Contact(...).save()"])
    def _():
        if "dl" in state:
            state["dl"].delete()
        state["contact"].delete()
        check(list(a.contacts.filter(display_name=NAME)) == [], "the contact is still found")
        left = [c for c in dav_cards().values() if TAG in c]
        check(left == [], f"{len(left)} vCards of this run are left in Radicale")



if __name__ == "__main__":
    run(main, tag=TAG)

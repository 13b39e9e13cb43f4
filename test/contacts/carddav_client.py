#!/usr/bin/python3
# A small CardDAV client built only on Debian's python3-requests and
# python3-vobject (the vCard library Radicale itself uses): the other side of
# test/contacts/interop.test.ts. Prints one JSON object per call.
#
#   carddav_client.py put    URL USER PASS FILE        PUT If-None-Match: *
#   carddav_client.py read   BOOK_URL USER PASS        PROPFIND + addressbook-multiget, cards parsed by vobject
#   carddav_client.py update URL USER PASS TITLE       GET, change TITLE and add a car phone with vobject, PUT If-Match
#   carddav_client.py sync   BOOK_URL USER PASS TOKEN  sync-collection REPORT ("-" for the initial sync)
import json
import sys
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import requests
import vobject

D = "DAV:"
C = "urn:ietf:params:xml:ns:carddav"
NS = {"d": D, "c": C}


def session(user, password):
    s = requests.Session()
    s.auth = (user, password)
    return s


def card_json(text):
    card = vobject.readOne(text)
    out = {"fn": card.fn.value if hasattr(card, "fn") else None, "emails": [], "tels": [], "x": {}}
    for child in card.getChildren():
        name = child.name.upper()
        if name == "EMAIL":
            out["emails"].append(child.value)
        elif name == "TEL":
            out["tels"].append({"types": [t.upper() for t in child.params.get("TYPE", [])], "value": child.value})
        elif name == "ORG":
            out["org"] = list(child.value)
        elif name == "TITLE":
            out["title"] = child.value
        elif name == "NOTE":
            out["note"] = child.value
        elif name == "CATEGORIES":
            out["categories"] = list(child.value)
        elif name == "UID":
            out["uid"] = child.value
        elif name == "N":
            out["n"] = {"family": child.value.family, "given": child.value.given}
        elif name.startswith("X-"):
            out["x"].setdefault(name, []).append(child.value)
    return out


def put(url, user, password, path):
    with open(path, "rb") as f:
        body = f.read()
    r = session(user, password).put(url, data=body, headers={"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"})
    return {"status": r.status_code, "etag": r.headers.get("ETag")}


def read(book, user, password):
    s = session(user, password)
    r = s.request("PROPFIND", book, headers={"Depth": "1", "Content-Type": "application/xml"},
                  data='<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>')
    r.raise_for_status()
    hrefs = []
    for resp in ET.fromstring(r.content).findall("d:response", NS):
        href = resp.find("d:href", NS).text
        if not href.endswith("/"):
            hrefs.append(href)
    body = '<?xml version="1.0"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">' \
           '<d:prop><d:getetag/><c:address-data/></d:prop>' + "".join(f"<d:href>{h}</d:href>" for h in hrefs) + \
           '</c:addressbook-multiget>'
    r = s.request("REPORT", book, headers={"Depth": "1", "Content-Type": "application/xml"}, data=body.encode("utf-8"))
    r.raise_for_status()
    cards = []
    for resp in ET.fromstring(r.content).findall("d:response", NS):
        data = resp.find(".//c:address-data", NS)
        if data is None:
            continue
        item = card_json(data.text)
        item["href"] = resp.find("d:href", NS).text
        item["etag"] = resp.find(".//d:getetag", NS).text
        cards.append(item)
    return {"cards": sorted(cards, key=lambda c: c["href"])}


def update(url, user, password, title):
    s = session(user, password)
    r = s.get(url)
    r.raise_for_status()
    card = vobject.readOne(r.text)
    if hasattr(card, "title"):
        card.title.value = title
    else:
        card.add("title").value = title
    tel = card.add("tel")
    tel.value = "+1 555 0199"
    tel.type_param = "CAR"
    r = s.put(url, data=card.serialize().encode("utf-8"),
              headers={"Content-Type": "text/vcard; charset=utf-8", "If-Match": r.headers["ETag"]})
    return {"status": r.status_code, "etag": r.headers.get("ETag")}


def sync(book, user, password, token):
    token_xml = "<d:sync-token/>" if token == "-" else f"<d:sync-token>{token}</d:sync-token>"
    body = f'<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:">{token_xml}<d:sync-level>1</d:sync-level>' \
           '<d:prop><d:getetag/></d:prop></d:sync-collection>'
    r = session(user, password).request("REPORT", book, headers={"Content-Type": "application/xml"}, data=body)
    r.raise_for_status()
    root = ET.fromstring(r.content)
    changed, deleted = [], []
    for resp in root.findall("d:response", NS):
        href = resp.find("d:href", NS).text
        status = resp.find("d:status", NS)
        if status is not None and " 404 " in status.text:
            deleted.append(href)
        elif not href.endswith("/"):
            changed.append(href)
    return {"token": root.find("d:sync-token", NS).text, "changed": sorted(changed), "deleted": sorted(deleted)}


def main(argv):
    cmd, url, user, password, *rest = argv
    if cmd == "put":
        out = put(url, user, password, rest[0])
    elif cmd == "read":
        out = read(url, user, password)
    elif cmd == "update":
        out = update(url, user, password, rest[0])
    elif cmd == "sync":
        out = sync(url, user, password, rest[0])
    else:
        raise SystemExit(f"unknown command {cmd}")
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1:])

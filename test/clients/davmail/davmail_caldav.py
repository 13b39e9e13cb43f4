#!/usr/bin/python3
# Debian's python3-caldav as the CalDAV client of test/clients/davmail/caldav.test.ts,
# pointed either at DavMail's CalDAV port (DavMail → EWS → ewsgate → Radicale)
# or straight at Radicale, so the test can compare what each side holds.
# Run with Debian's /usr/bin/python3. Prints one JSON document on stdout.
#
#   davmail_caldav.py calendars URL USER PASS                    principal's calendars (name, url)
#   davmail_caldav.py list      URL USER PASS CAL_URL            every event: url, uid, the VEVENTs
#   davmail_caldav.py put       URL USER PASS CAL_URL            stdin: a VCALENDAR; saves it (create)
#   davmail_caldav.py update    URL USER PASS CAL_URL UID        stdin: a VCALENDAR; replaces the event holding UID
#   davmail_caldav.py delete    URL USER PASS CAL_URL UID
#   davmail_caldav.py freebusy  URL USER PASS START END ATTENDEE (ISO UTC; schedule-outbox POST)
#
# Events are found by listing the collection and reading each one, not by a
# UID calendar-query: DavMail answers calendar-query REPORTs without applying a
# UID text-match, so event_by_uid would pick an arbitrary event there.
import json
import sys
from datetime import datetime, timezone

import caldav
import icalendar


def when(v):
    if v is None:
        return None
    d = v.dt
    if isinstance(d, datetime):
        if d.tzinfo is None:
            return {"floating": d.strftime("%Y-%m-%dT%H:%M:%S")}
        return {"utc": d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return {"date": d.isoformat()}


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def vevent(comp):
    rrule = comp.get("RRULE")
    return {
        "uid": str(comp.get("UID")),
        "summary": str(comp.get("SUMMARY", "")),
        "location": str(comp.get("LOCATION")) if comp.get("LOCATION") is not None else None,
        "description": str(comp.get("DESCRIPTION")) if comp.get("DESCRIPTION") is not None else None,
        "dtstart": when(comp.get("DTSTART")),
        "dtend": when(comp.get("DTEND")),
        "recurrenceId": when(comp.get("RECURRENCE-ID")),
        "rrule": {k: [str(x) for x in v] for k, v in rrule.items()} if rrule else None,
        "exdates": sorted(
            (when(icalendar.prop.vDDDTypes(x.dt)) or {}).get("utc") or x.dt.isoformat() for e in as_list(comp.get("EXDATE")) for x in e.dts
        ),
    }


def events_of(cal):
    out = []
    for ev in cal.events():
        ev.load()
        ical = icalendar.Calendar.from_ical(ev.data)
        comps = [vevent(c) for c in ical.walk("VEVENT")]
        if not comps:
            continue
        out.append({"url": str(ev.url), "uid": comps[0]["uid"], "vevents": comps})
    return out


def find(cal, uid):
    for ev in cal.events():
        ev.load()
        if any(str(c.get("UID")) == uid for c in icalendar.Calendar.from_ical(ev.data).walk("VEVENT")):
            return ev
    raise SystemExit(f"no event with UID {uid} in {cal.url}")


def main():
    cmd, url, user, password = sys.argv[1:5]
    args = sys.argv[5:]
    client = caldav.DAVClient(url=url, username=user, password=password)
    if cmd == "calendars":
        out = [{"name": c.name, "url": str(c.url)} for c in client.principal().calendars()]
    elif cmd == "freebusy":
        start, end, attendee = args
        s = datetime.fromisoformat(start.replace("Z", "+00:00"))
        e = datetime.fromisoformat(end.replace("Z", "+00:00"))
        principal = client.principal()
        outbox = principal.schedule_outbox()
        fb = icalendar.Calendar()
        fb.add("prodid", "-//ewsgate tests//EN")
        fb.add("version", "2.0")
        fb.add("method", "REQUEST")
        comp = icalendar.FreeBusy()
        comp.add("uid", "fb-" + attendee)
        comp.add("dtstamp", datetime.now(timezone.utc))
        comp.add("dtstart", s)
        comp.add("dtend", e)
        comp.add("organizer", "mailto:" + user)
        comp.add("attendee", "mailto:" + attendee)
        fb.add_component(comp)
        r = client.post(str(outbox.url), fb.to_ical().decode(), headers={"Content-Type": "text/calendar; charset=utf-8"})
        out = {"status": r.status, "body": r.raw if isinstance(r.raw, str) else r.raw.decode("utf-8", "replace")}
    else:
        cal = client.calendar(url=args[0])
        if cmd == "list":
            out = events_of(cal)
        elif cmd == "put":
            ev = cal.save_event(sys.stdin.read())
            out = {"url": str(ev.url)}
        elif cmd == "update":
            # a plain conditional PUT: DavMail answers an overwrite with 200, which
            # python-caldav's save() takes for a failure (it wants 201 or 204)
            ev = find(cal, args[1])
            etag = client.request(str(ev.url), "GET").headers.get("ETag")
            headers = {"Content-Type": "text/calendar; charset=utf-8"}
            if etag:
                headers["If-Match"] = etag
            r = client.put(str(ev.url), sys.stdin.read(), headers)
            if r.status not in (200, 201, 204):
                raise SystemExit(f"PUT {ev.url} answered {r.status} {r.raw}")
            out = {"url": str(ev.url), "status": r.status, "ifMatch": etag}
        elif cmd == "delete":
            ev = find(cal, args[1])
            ev.delete()
            out = {"deleted": str(ev.url)}
        else:
            raise SystemExit(f"unknown command {cmd}")
    json.dump(out, sys.stdout)


main()

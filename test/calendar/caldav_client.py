#!/usr/bin/python3
# A real CalDAV client nobody here wrote (Debian's python3-caldav, with
# python3-icalendar and python3-recurring-ical-events) reading and writing the
# same Radicale calendar as ewsgate, for test/calendar/python-caldav.test.ts.
# Run with Debian's /usr/bin/python3. Prints one JSON document on stdout.
#
#   caldav_client.py read   URL USER PASS CALENDAR_URL UID
#   caldav_client.py search URL USER PASS CALENDAR_URL START END   (ISO UTC; expanded instances)
#   caldav_client.py create URL USER PASS CALENDAR_URL UID          (a daily series written by this client)
#   caldav_client.py retitle URL USER PASS CALENDAR_URL UID SUMMARY
import json
import sys
from datetime import datetime, timedelta, timezone

import caldav
import icalendar


def connect(url, user, password, cal_url):
    client = caldav.DAVClient(url=url, username=user, password=password)
    return client.calendar(url=cal_url)


def when(v):
    if v is None:
        return None
    d = v.dt
    if isinstance(d, datetime):
        tz = d.tzinfo
        name = None
        if tz is not None:
            name = getattr(tz, "zone", None) or getattr(tz, "key", None) or str(tz)
        return {"utc": d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if tz else None, "local": d.strftime("%Y-%m-%dT%H:%M:%S"), "tz": name}
    return {"date": d.isoformat()}


def master_of(cal):
    for comp in cal.walk("VEVENT"):
        if comp.get("RECURRENCE-ID") is None:
            return comp
    return None


def cmd_read(cal, uid):
    ev = cal.event_by_uid(uid)
    ical = icalendar.Calendar.from_ical(ev.data)
    vev = master_of(ical)
    rrule = vev.get("RRULE")
    alarms = [str(a.get("TRIGGER").to_ical(), "ascii") for a in vev.walk("VALARM")]
    out = {
        "url": str(ev.url),
        "summary": str(vev.get("SUMMARY", "")),
        "location": str(vev.get("LOCATION", "")) if vev.get("LOCATION") is not None else None,
        "dtstart": when(vev.get("DTSTART")),
        "dtend": when(vev.get("DTEND")),
        "rrule": {k: [str(x) for x in v] for k, v in rrule.items()} if rrule else None,
        "exdates": [when(x)["utc"] if "utc" in when(x) else when(x)["date"] for e in (vev.get("EXDATE") if isinstance(vev.get("EXDATE"), list) else [vev.get("EXDATE")] if vev.get("EXDATE") else []) for x in e.dts],
        "attendees": [{"email": str(a).replace("mailto:", ""), "role": a.params.get("ROLE"), "partstat": a.params.get("PARTSTAT"), "cutype": a.params.get("CUTYPE")} for a in (vev.get("ATTENDEE") if isinstance(vev.get("ATTENDEE"), list) else [vev.get("ATTENDEE")] if vev.get("ATTENDEE") else [])],
        "organizer": str(vev.get("ORGANIZER")).replace("mailto:", "") if vev.get("ORGANIZER") else None,
        "alarms": alarms,
        "x": {k: str(v) for k, v in vev.items() if k.startswith("X-")},
        "overrides": len([c for c in ical.walk("VEVENT") if c.get("RECURRENCE-ID") is not None]),
        "timezones": [str(t.get("TZID")) for t in ical.walk("VTIMEZONE")],
    }
    return out


def cmd_search(cal, start, end):
    s = datetime.fromisoformat(start.replace("Z", "+00:00"))
    e = datetime.fromisoformat(end.replace("Z", "+00:00"))
    found = cal.search(start=s, end=e, event=True, expand=True)
    out = []
    for ev in found:
        ical = icalendar.Calendar.from_ical(ev.data)
        for comp in ical.walk("VEVENT"):
            out.append({"uid": str(comp.get("UID")), "summary": str(comp.get("SUMMARY", "")), "start": when(comp.get("DTSTART"))})
    out.sort(key=lambda x: (x["uid"], x["start"].get("utc") or x["start"].get("date")))
    return out


def cmd_create(cal, uid):
    ical = icalendar.Calendar()
    ical.add("prodid", "-//python-caldav test client//EN")
    ical.add("version", "2.0")
    ev = icalendar.Event()
    ev.add("uid", uid)
    ev.add("dtstamp", datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc))
    ev.add("dtstart", datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc))
    ev.add("dtend", datetime(2026, 12, 1, 15, 45, tzinfo=timezone.utc))
    ev.add("summary", "Written by python-caldav")
    ev.add("description", "Daily for three days, the second one removed.")
    ev.add("rrule", {"FREQ": "DAILY", "COUNT": 3})
    ev.add("exdate", datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc))
    ev.add("categories", ["Python", "Interop"])
    ev.add("x-python-client-note", "keep me")
    ical.add_component(ev)
    obj = cal.save_event(ical.to_ical().decode("utf-8"))
    return {"url": str(obj.url)}


def cmd_retitle(cal, uid, summary):
    ev = cal.event_by_uid(uid)
    ical = icalendar.Calendar.from_ical(ev.data)
    master_of(ical)["SUMMARY"] = icalendar.vText(summary)
    ev.data = ical.to_ical().decode("utf-8")
    ev.save()
    return {"url": str(ev.url)}


def main(argv):
    cmd, url, user, password, cal_url = argv[1:6]
    cal = connect(url, user, password, cal_url)
    rest = argv[6:]
    if cmd == "read":
        out = cmd_read(cal, rest[0])
    elif cmd == "search":
        out = cmd_search(cal, rest[0], rest[1])
    elif cmd == "create":
        out = cmd_create(cal, rest[0])
    elif cmd == "retitle":
        out = cmd_retitle(cal, rest[0], rest[1])
    else:
        raise SystemExit("unknown command " + cmd)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)

"""Calendar items, recurring series and tasks as exchangelib 4.9 sees them, checked in Radicale.

Run by test/clients/exchangelib-calendar.test.ts with /usr/bin/python3 (Debian's python3-exchangelib
and python3-caldav). Environment:

  EWS_URL, EWS_USER, EWS_PASSWORD   the gateway's EWS endpoint and a user with a seeded calendar
  DAV_URL, DAV_CAL_URL              Radicale and that user's calendar (every step is checked there
                                    with python-caldav, a CalDAV client nobody here wrote)
  EXCHANGELIB_XML_DUMP              optional: a file to write every EWS request/response to (JSON)

Every step is recorded (ok, detail, error, traceback, the EWS XML of a failed step); the last line
of stdout is the JSON summary {"ok": bool, "steps": [...], "tag": str}. Exit 0 only if all passed.
Everything this script creates carries TAG in its subject (or UID).
"""

import os
import uuid
from datetime import date, datetime, timedelta, timezone

import caldav
import icalendar
from exchangelib.ewsdatetime import EWSDate, EWSDateTime, EWSTimeZone
from exchangelib.errors import ErrorItemNotFound
from exchangelib.fields import MONDAY, SECOND, TUESDAY, WEDNESDAY
from exchangelib.items import CalendarItem, Task
from exchangelib.properties import HTMLBody
from exchangelib.recurrence import DailyPattern, Recurrence, RelativeMonthlyPattern, WeeklyPattern
from exchangelib_scenario import check, connect, run, step

EWS_USER = os.environ["EWS_USER"]
EWS_PASSWORD = os.environ["EWS_PASSWORD"]
DAV_URL = os.environ["DAV_URL"]
DAV_CAL_URL = os.environ["DAV_CAL_URL"]

TAG = "exc" + uuid.uuid4().hex[:8]
BERLIN = EWSTimeZone("Europe/Berlin")
UTC = EWSTimeZone("UTC")

# ------------------------------------------------------------------ CalDAV (straight to Radicale)

_dav_cal = None


def dav_calendar():
    global _dav_cal
    if _dav_cal is None:
        client = caldav.DAVClient(url=DAV_URL, username=EWS_USER, password=EWS_PASSWORD)
        _dav_cal = client.calendar(url=DAV_CAL_URL)
    return _dav_cal


def dav_objects(comp="VEVENT"):
    """[(url, icalendar.Calendar)] of every VEVENT (or VTODO) object in the calendar."""
    cal = dav_calendar()
    objs = cal.events() if comp == "VEVENT" else cal.todos(include_completed=True)
    return [(str(o.url), icalendar.Calendar.from_ical(o.data)) for o in objs]


def dav_object_with(text, comp="VEVENT"):
    """The one calendar object whose components mention `text` in SUMMARY."""
    found = [(u, c) for u, c in dav_objects(comp) if any(text in str(x.get("SUMMARY", "")) for x in c.walk(comp))]
    check(len(found) == 1, f"{len(found)} {comp} objects in Radicale have {text!r} in SUMMARY")
    return found[0][1]


def master(cal, comp="VEVENT"):
    ms = [x for x in cal.walk(comp) if x.get("RECURRENCE-ID") is None]
    check(len(ms) == 1, f"{len(ms)} masters in the object")
    return ms[0]


def overrides(cal):
    return [x for x in cal.walk("VEVENT") if x.get("RECURRENCE-ID") is not None]


def utc(dt):
    return dt.astimezone(timezone.utc) if isinstance(dt, datetime) else dt


def tzid(prop):
    return prop.params.get("TZID") if prop is not None else None


def exdates(vev):
    ex = vev.get("EXDATE")
    if ex is None:
        return []
    ex = ex if isinstance(ex, list) else [ex]
    return [utc(d.dt) for e in ex for d in e.dts]


def rrule(vev):
    r = vev.get("RRULE")
    check(r is not None, "no RRULE")
    return {k: [str(v) if not isinstance(v, datetime) else utc(v).strftime("%Y%m%dT%H%M%SZ") for v in vs] for k, vs in r.items()}


def bln(*a):
    return EWSDateTime(*a, tzinfo=BERLIN)


def z(*a):
    return datetime(*a, tzinfo=timezone.utc)


def run_view(a, start, end):
    """The occurrences / exceptions / singles of this run between start and end (CalendarView)."""
    return [x for x in a.calendar.view(start=start, end=end) if TAG in (x.subject or "")]


def main():
    a = connect(default_timezone=BERLIN)
    st = {}

    # ---------------------------------------------------------------- a single event

    @step("CalendarItem(...).save() with every attendee-free field")
    def _():
        ev = CalendarItem(
            account=a,
            folder=a.calendar,
            subject=f"{TAG} dentist",
            start=bln(2026, 12, 10, 9, 0),
            end=bln(2026, 12, 10, 9, 45),
            location="Praxis Dr. Weiß",
            body=HTMLBody("<p>bring the <b>card</b></p>"),
            categories=["Health", "Personal stuff"],
            reminder_is_set=True,
            reminder_minutes_before_start=20,
            legacy_free_busy_status="Tentative",
            sensitivity="Private",
            is_all_day=False,
        )
        ev.save()
        check(ev.id and ev.changekey, "no id / changekey after save()")
        st["single"] = ev

    @step("the single event is a VEVENT in Radicale with those fields", needs=["CalendarItem(...).save() with every attendee-free field"])
    def _():
        cal = dav_object_with(f"{TAG} dentist")
        v = master(cal)
        check(utc(v["DTSTART"].dt) == z(2026, 12, 10, 8, 0), f"DTSTART {v['DTSTART'].dt!r}")
        check(utc(v["DTEND"].dt) == z(2026, 12, 10, 8, 45), f"DTEND {v['DTEND'].dt!r}")
        check(tzid(v["DTSTART"]) in ("Europe/Berlin", "W. Europe Standard Time"), f"DTSTART TZID {tzid(v['DTSTART'])!r}")
        check(str(v.get("LOCATION")) == "Praxis Dr. Weiß", f"LOCATION {v.get('LOCATION')!r}")
        check("card" in str(v.get("DESCRIPTION", "")) and "<b>" not in str(v.get("DESCRIPTION", "")), f"DESCRIPTION {v.get('DESCRIPTION')!r}")
        cats = sorted(str(c) for cl in (v.get("CATEGORIES") if isinstance(v.get("CATEGORIES"), list) else [v.get("CATEGORIES")]) if cl for c in cl.cats)
        check(cats == ["Health", "Personal stuff"], f"CATEGORIES {cats}")
        check(str(v.get("CLASS")) == "PRIVATE", f"CLASS {v.get('CLASS')!r}")
        check(str(v.get("X-MICROSOFT-CDO-BUSYSTATUS", "")) == "TENTATIVE" or str(v.get("STATUS", "")) == "TENTATIVE", "neither X-MICROSOFT-CDO-BUSYSTATUS nor STATUS says TENTATIVE")
        alarms = [a_ for a_ in v.walk("VALARM")]
        check(len(alarms) == 1 and alarms[0]["TRIGGER"].dt == timedelta(minutes=-20), f"VALARM {[x.get('TRIGGER') for x in alarms]}")
        return {"uid": str(v["UID"])}

    @step("get(id=...) reads every field back", needs=["CalendarItem(...).save() with every attendee-free field"])
    def _():
        ev = a.calendar.get(id=st["single"].id)
        check(ev.subject == f"{TAG} dentist", f"subject {ev.subject!r}")
        check(ev.start == bln(2026, 12, 10, 9, 0) and ev.end == bln(2026, 12, 10, 9, 45), f"start/end {ev.start} {ev.end}")
        check(ev.location == "Praxis Dr. Weiß", f"location {ev.location!r}")
        check("card" in (ev.body or ""), f"body {ev.body!r}")
        check(sorted(ev.categories or []) == ["Health", "Personal stuff"], f"categories {ev.categories}")
        check(ev.reminder_is_set and ev.reminder_minutes_before_start == 20, f"reminder {ev.reminder_is_set} {ev.reminder_minutes_before_start}")
        check(ev.legacy_free_busy_status == "Tentative", f"legacy_free_busy_status {ev.legacy_free_busy_status!r}")
        check(ev.sensitivity == "Private", f"sensitivity {ev.sensitivity!r}")
        check(ev.is_all_day is False, f"is_all_day {ev.is_all_day!r}")
        check(ev.type == "Single", f"type {ev.type!r}")
        tzname = getattr(ev._start_timezone, "key", None) or getattr(ev._start_timezone, "zone", None)
        check(tzname == "Europe/Berlin", f"start timezone {ev._start_timezone!r}")
        st["single"] = ev
        return {"start_timezone": tzname}

    @step("save(update_fields=[...]) and re-read", needs=["get(id=...) reads every field back"])
    def _():
        ev = st["single"]
        ev.subject = f"{TAG} dentist (moved)"
        ev.start = bln(2026, 12, 11, 14, 0)
        ev.end = bln(2026, 12, 11, 15, 0)
        ev.location = "Praxis 2"
        ev.categories = ["Health"]
        ev.legacy_free_busy_status = "OOF"
        ev.reminder_minutes_before_start = 60
        ev.save(update_fields=["subject", "start", "end", "location", "categories", "legacy_free_busy_status", "reminder_minutes_before_start"])
        again = a.calendar.get(id=ev.id)
        check(again.subject == f"{TAG} dentist (moved)", f"subject {again.subject!r}")
        check(again.start == bln(2026, 12, 11, 14, 0) and again.end == bln(2026, 12, 11, 15, 0), f"{again.start} {again.end}")
        check(again.location == "Praxis 2" and again.categories == ["Health"], f"{again.location!r} {again.categories}")
        check(again.legacy_free_busy_status == "OOF" and again.reminder_minutes_before_start == 60, f"{again.legacy_free_busy_status} {again.reminder_minutes_before_start}")
        check(again.sensitivity == "Private" and "card" in (again.body or ""), "the update lost sensitivity or body")
        v = master(dav_object_with(f"{TAG} dentist (moved)"))
        check(utc(v["DTSTART"].dt) == z(2026, 12, 11, 13, 0), f"DTSTART in Radicale {v['DTSTART'].dt!r}")
        check(str(v.get("LOCATION")) == "Praxis 2", f"LOCATION in Radicale {v.get('LOCATION')!r}")
        check(str(v.get("X-MICROSOFT-CDO-BUSYSTATUS", "")) == "OOF", f"X-MICROSOFT-CDO-BUSYSTATUS {v.get('X-MICROSOFT-CDO-BUSYSTATUS')!r}")
        check([x["TRIGGER"].dt for x in v.walk("VALARM")] == [timedelta(minutes=-60)], "VALARM not -PT60M")
        st["single"] = again

    @step("an all-day event (is_all_day=True, dates) is VALUE=DATE in Radicale")
    def _():
        ev = CalendarItem(account=a, folder=a.calendar, subject=f"{TAG} holiday", start=EWSDate(2026, 12, 24), end=EWSDate(2026, 12, 26), is_all_day=True, legacy_free_busy_status="Free")
        ev.save()
        st["allday"] = ev
        v = master(dav_object_with(f"{TAG} holiday"))
        check(type(v["DTSTART"].dt) is date and v["DTSTART"].dt == date(2026, 12, 24), f"DTSTART {v['DTSTART'].to_ical()!r}")
        # exchangelib's all-day end date is inclusive: it sends the next midnight, iCalendar's exclusive DTEND
        check(type(v["DTEND"].dt) is date and v["DTEND"].dt == date(2026, 12, 27), f"DTEND {v['DTEND'].to_ical()!r}")
        back = a.calendar.get(id=ev.id)
        check(back.is_all_day is True, f"is_all_day {back.is_all_day!r}")
        check(back.start == EWSDate(2026, 12, 24) and back.end == EWSDate(2026, 12, 26), f"{back.start!r} {back.end!r}")

    # ---------------------------------------------------------------- recurring series

    series = {
        "weekly": dict(
            subject=f"{TAG} weekly standup",
            start=bln(2027, 1, 4, 9, 0),
            end=bln(2027, 1, 4, 9, 15),
            recurrence=Recurrence(pattern=WeeklyPattern(interval=1, weekdays=[MONDAY, WEDNESDAY], first_day_of_week=MONDAY), start=EWSDate(2027, 1, 4), number=10),
        ),
        "daily-count": dict(
            subject=f"{TAG} daily count",
            start=bln(2027, 2, 1, 7, 30),
            end=bln(2027, 2, 1, 8, 0),
            recurrence=Recurrence(pattern=DailyPattern(interval=2), start=EWSDate(2027, 2, 1), number=5),
        ),
        "daily-until": dict(
            subject=f"{TAG} daily until",
            start=bln(2027, 3, 1, 12, 0),
            end=bln(2027, 3, 1, 12, 30),
            recurrence=Recurrence(pattern=DailyPattern(interval=1), start=EWSDate(2027, 3, 1), end=EWSDate(2027, 3, 5)),
        ),
        "monthly": dict(
            subject=f"{TAG} second tuesday",
            start=bln(2027, 1, 12, 16, 0),
            end=bln(2027, 1, 12, 17, 0),
            recurrence=Recurrence(pattern=RelativeMonthlyPattern(interval=1, weekday=TUESDAY, week_number=SECOND), start=EWSDate(2027, 1, 12), number=4),
        ),
    }

    @step("recurring series save(): WeeklyPattern, DailyPattern (count / end date), RelativeMonthlyPattern")
    def _():
        for key, fields in series.items():
            ev = CalendarItem(account=a, folder=a.calendar, **fields)
            ev.save()
            check(ev.id, f"{key}: no id")
            st[key] = ev

    rec_saved = "recurring series save(): WeeklyPattern, DailyPattern (count / end date), RelativeMonthlyPattern"

    @step("each series is one VEVENT with the right RRULE in Radicale", needs=[rec_saved])
    def _():
        got = {}
        for key in series:
            got[key] = rrule(master(dav_object_with(series[key]["subject"])))
        w = got["weekly"]
        check(w["FREQ"] == ["WEEKLY"] and sorted(w["BYDAY"]) == ["MO", "WE"] and w.get("COUNT") == ["10"], f"weekly {w}")
        check(w.get("INTERVAL", ["1"]) == ["1"], f"weekly INTERVAL {w}")
        d = got["daily-count"]
        check(d["FREQ"] == ["DAILY"] and d.get("INTERVAL") == ["2"] and d.get("COUNT") == ["5"], f"daily-count {d}")
        u = got["daily-until"]
        check(u["FREQ"] == ["DAILY"] and "COUNT" not in u and u.get("UNTIL"), f"daily-until {u}")
        until = u["UNTIL"][0]
        check(until[:8] in ("20270305", "20270306"), f"UNTIL {until} (the last occurrence is 2027-03-05)")
        m = got["monthly"]
        ok_m = (m.get("BYDAY") == ["2TU"]) or (m.get("BYDAY") == ["TU"] and m.get("BYSETPOS") == ["2"])
        check(m["FREQ"] == ["MONTHLY"] and ok_m and m.get("COUNT") == ["4"], f"monthly {m}")
        return got

    @step("get(id=...) of each master reads the recurrence back", needs=[rec_saved])
    def _():
        for key in series:
            ev = a.calendar.get(id=st[key].id)
            check(ev.type == "RecurringMaster", f"{key}: type {ev.type!r}")
            want = series[key]["recurrence"]
            check(type(ev.recurrence.pattern) is type(want.pattern), f"{key}: pattern {ev.recurrence.pattern!r}")
            check(ev.recurrence.pattern == want.pattern, f"{key}: {ev.recurrence.pattern} != {want.pattern}")
            check(type(ev.recurrence.boundary) is type(want.boundary), f"{key}: boundary {ev.recurrence.boundary!r}")
            check(ev.recurrence.boundary.start == want.boundary.start, f"{key}: boundary start {ev.recurrence.boundary.start!r}")
            if hasattr(want.boundary, "number"):
                check(ev.recurrence.boundary.number == want.boundary.number, f"{key}: number {ev.recurrence.boundary.number!r}")
            if hasattr(want.boundary, "end"):
                check(ev.recurrence.boundary.end == want.boundary.end, f"{key}: end {ev.recurrence.boundary.end!r}")
            st[key] = ev

    @step("calendar.view(start, end) expands every series", needs=[rec_saved])
    def _():
        occ = run_view(a, bln(2027, 1, 1, 0, 0), bln(2027, 5, 1, 0, 0))
        by = {}
        for x in occ:
            by.setdefault(x.subject, []).append(x)
        counts = {k: len(by.get(v["subject"], [])) for k, v in series.items()}
        check(counts == {"weekly": 10, "daily-count": 5, "daily-until": 5, "monthly": 4}, f"occurrences per series {counts}")
        check(all(x.type == "Occurrence" for x in occ), f"types {sorted(set(x.type for x in occ))}")
        weekly = sorted(x.start for x in by[series["weekly"]["subject"]])
        check(weekly[:3] == [bln(2027, 1, 4, 9, 0), bln(2027, 1, 6, 9, 0), bln(2027, 1, 11, 9, 0)], f"weekly starts {weekly[:3]}")
        monthly = sorted(x.start.date() for x in by[series["monthly"]["subject"]])
        check(monthly == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13)], f"monthly dates {monthly}")
        until = sorted(x.start.date() for x in by[series["daily-until"]["subject"]])
        check(until[-1] == date(2027, 3, 5), f"daily-until last {until[-1]}")
        # a view of a narrower window: only what falls in it
        part = [x for x in run_view(a, bln(2027, 1, 10, 0, 0), bln(2027, 1, 14, 0, 0)) if x.subject == series["weekly"]["subject"]]
        check(sorted(x.start.day for x in part) == [11, 13], f"Jan 10-14 holds {[str(x.start) for x in part]}")
        return counts

    @step("master.occurrence(3): refresh(), change subject and time, save()", needs=[rec_saved])
    def _():
        occ = st["weekly"].occurrence(3)
        occ.refresh()
        check(occ.type == "Occurrence", f"type {occ.type!r}")
        check(occ.start == bln(2027, 1, 11, 9, 0), f"3rd occurrence starts {occ.start}")
        occ.subject = f"{TAG} weekly standup (moved)"
        occ.start = bln(2027, 1, 11, 11, 0)
        occ.end = bln(2027, 1, 11, 11, 30)
        occ.save(update_fields=["subject", "start", "end"])
        st["moved_id"] = occ.id

    @step("master.occurrence(5).delete()", needs=[rec_saved])
    def _():
        st["weekly"].occurrence(5).delete()

    @step("Radicale holds the exception as RECURRENCE-ID and the deletion as EXDATE", needs=["master.occurrence(3): refresh(), change subject and time, save()", "master.occurrence(5).delete()"])
    def _():
        cal = dav_object_with(series["weekly"]["subject"])
        m = master(cal)
        check(exdates(m) == [z(2027, 1, 18, 8, 0)], f"EXDATE {exdates(m)}")
        ov = overrides(cal)
        check(len(ov) == 1, f"{len(ov)} overrides")
        o = ov[0]
        check(utc(o["RECURRENCE-ID"].dt) == z(2027, 1, 11, 8, 0), f"RECURRENCE-ID {o['RECURRENCE-ID'].dt!r}")
        check(utc(o["DTSTART"].dt) == z(2027, 1, 11, 10, 0), f"override DTSTART {o['DTSTART'].dt!r}")
        check(str(o["SUMMARY"]) == f"{TAG} weekly standup (moved)", f"override SUMMARY {o['SUMMARY']!r}")
        check(str(o["UID"]) == str(m["UID"]), "the override has another UID")
        check(rrule(m).get("COUNT") == ["10"], f"RRULE changed: {rrule(m)}")

    @step("view() after: 9 of the weekly series, one an Exception; the master lists modified/deleted occurrences", needs=["Radicale holds the exception as RECURRENCE-ID and the deletion as EXDATE"])
    def _():
        occ = [x for x in run_view(a, bln(2027, 1, 1, 0, 0), bln(2027, 3, 1, 0, 0)) if "weekly standup" in x.subject]
        check(len(occ) == 9, f"{len(occ)} occurrences")
        exc = [x for x in occ if x.type == "Exception"]
        check(len(exc) == 1 and exc[0].start == bln(2027, 1, 11, 11, 0) and exc[0].subject.endswith("(moved)"), f"exceptions {[(x.subject, str(x.start)) for x in exc]}")
        check(not any(x.start.date() == date(2027, 1, 18) for x in occ), "the deleted occurrence is still there")
        m = a.calendar.get(id=st["weekly"].id)
        mods = m.modified_occurrences or []
        dels = m.deleted_occurrences or []
        check(len(mods) == 1 and mods[0].start == bln(2027, 1, 11, 11, 0), f"modified_occurrences {mods!r}")
        check(len(dels) == 1 and dels[0].start == bln(2027, 1, 18, 9, 0), f"deleted_occurrences {dels!r}")
        check(m.first_occurrence is not None and m.first_occurrence.start == bln(2027, 1, 4, 9, 0), f"first_occurrence {m.first_occurrence!r}")
        check(m.last_occurrence is not None and m.last_occurrence.start == bln(2027, 2, 3, 9, 0), f"last_occurrence {m.last_occurrence!r}")
        st["an_occurrence"] = [x for x in occ if x.type == "Occurrence"][0]

    @step("occurrence.recurring_master().refresh() is the master", needs=["view() after: 9 of the weekly series, one an Exception; the master lists modified/deleted occurrences"])
    def _():
        m = st["an_occurrence"].recurring_master()
        m.refresh()
        check(m.type == "RecurringMaster", f"type {m.type!r}")
        check(m.id == st["weekly"].id, "another id than the master's")
        check(m.subject == series["weekly"]["subject"], f"subject {m.subject!r}")

    @step("filter(start__lt=..., end__gt=...) finds what overlaps the window")
    def _():
        got = [x.subject for x in a.calendar.filter(start__lt=bln(2026, 12, 12, 0, 0), end__gt=bln(2026, 12, 11, 0, 0)) if TAG in (x.subject or "")]
        check(f"{TAG} dentist (moved)" in got, f"got {got}")
        check(f"{TAG} holiday" not in got, f"the holiday is outside the window: {got}")
        none = [x.subject for x in a.calendar.filter(start__lt=bln(2026, 12, 1, 0, 0), end__gt=bln(2026, 11, 30, 0, 0)) if TAG in (x.subject or "")]
        check(none == [], f"an empty window gave {none}")
        return got

    # ---------------------------------------------------------------- the other way

    @step("an event python-caldav creates in Radicale shows up right in exchangelib")
    def _():
        uid = f"{TAG}-from-caldav@example.org"
        ics = "\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//python-caldav test//EN",
            "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
            "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
            "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
            "END:VTIMEZONE",
            "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261101T000000Z",
            "DTSTART;TZID=Europe/Berlin:20270315T100000", "DTEND;TZID=Europe/Berlin:20270315T110000",
            "RRULE:FREQ=DAILY;COUNT=3", f"SUMMARY:{TAG} from caldav", "LOCATION:Room 7", "DESCRIPTION:written by python-caldav",
            "CATEGORIES:Imported", "CLASS:CONFIDENTIAL", "TRANSP:TRANSPARENT",
            "END:VEVENT", "END:VCALENDAR", "",
        ])
        dav_calendar().save_event(ics)
        occ = sorted(run_view(a, bln(2027, 3, 14, 0, 0), bln(2027, 3, 20, 0, 0)), key=lambda x: x.start)
        check([x.start for x in occ] == [bln(2027, 3, 15, 10, 0), bln(2027, 3, 16, 10, 0), bln(2027, 3, 17, 10, 0)], f"occurrences {[str(x.start) for x in occ]}")
        check(all(x.end - x.start == timedelta(hours=1) for x in occ), "durations")
        masters = [x for x in a.calendar.filter(subject=f"{TAG} from caldav")]
        check(len(masters) == 1, f"{len(masters)} items with that subject")
        m = a.calendar.get(id=masters[0].id)
        check(m.type == "RecurringMaster" and isinstance(m.recurrence.pattern, DailyPattern) and m.recurrence.boundary.number == 3, f"{m.type} {m.recurrence}")
        check(m.location == "Room 7" and "python-caldav" in (m.body or ""), f"{m.location!r} {m.body!r}")
        check(m.categories == ["Imported"], f"categories {m.categories}")
        check(m.sensitivity == "Confidential", f"sensitivity {m.sensitivity!r}")
        check(m.legacy_free_busy_status == "Free", f"legacy_free_busy_status {m.legacy_free_busy_status!r}")
        check(m.uid == uid, f"uid {m.uid!r}")
        st["from_caldav"] = m

    @step("delete() every event of this run: gone from EWS and from Radicale")
    def _():
        single_id = st["single"].id  # delete() forgets the id
        for key in ["single", "allday", "from_caldav", *series.keys()]:
            if key in st:
                st[key].delete()
        left = [str(x.get("SUMMARY")) for _, c in dav_objects() for x in c.walk("VEVENT") if TAG in str(x.get("SUMMARY", ""))]
        check(left == [], f"left in Radicale: {left}")
        check(run_view(a, bln(2026, 12, 1, 0, 0), bln(2027, 5, 1, 0, 0)) == [], "still in the calendar view")
        # get(id=...) hands the response's error back as the item
        gone = a.calendar.get(id=single_id)
        check(isinstance(gone, ErrorItemNotFound), f"get() of the deleted single event: {gone!r}")

    # ---------------------------------------------------------------- tasks

    @step("Task(status, percent_complete, due_date).save() in account.tasks is a VTODO")
    def _():
        from decimal import Decimal

        t = Task(account=a, folder=a.tasks, subject=f"{TAG} file the report", status="InProgress", percent_complete=Decimal(40), due_date=EWSDate(2027, 1, 15), body="numbers for Q4")
        t.save()
        check(t.id, "no id")
        st["task"] = t
        v = master(dav_object_with(f"{TAG} file the report", "VTODO"), "VTODO")
        check(str(v.get("STATUS")) == "IN-PROCESS", f"STATUS {v.get('STATUS')!r}")
        check(int(str(v.get("PERCENT-COMPLETE"))) == 40, f"PERCENT-COMPLETE {v.get('PERCENT-COMPLETE')!r}")
        due = v["DUE"].dt
        check((due if type(due) is date else due.date()) == date(2027, 1, 15), f"DUE {v['DUE'].to_ical()!r}")
        back = a.tasks.get(id=t.id)
        check(back.status == "InProgress" and int(back.percent_complete) == 40, f"{back.status} {back.percent_complete}")
        check(back.due_date == EWSDate(2027, 1, 15), f"due_date {back.due_date!r}")
        st["task"] = back

    @step("Task status='Completed' save(), then delete()", needs=["Task(status, percent_complete, due_date).save() in account.tasks is a VTODO"])
    def _():
        from decimal import Decimal

        t = st["task"]
        t.status = "Completed"
        t.percent_complete = Decimal(100)
        t.save(update_fields=["status", "percent_complete"])
        back = a.tasks.get(id=t.id)
        check(back.status == "Completed" and int(back.percent_complete) == 100 and back.is_complete, f"{back.status} {back.percent_complete} {back.is_complete}")
        v = master(dav_object_with(f"{TAG} file the report", "VTODO"), "VTODO")
        check(str(v.get("STATUS")) == "COMPLETED", f"STATUS {v.get('STATUS')!r}")
        back.delete()
        left = [1 for _, c in dav_objects("VTODO") for x in c.walk("VTODO") if TAG in str(x.get("SUMMARY", ""))]
        check(left == [], "the VTODO is still in Radicale")



if __name__ == "__main__":
    run(main, tag=TAG)

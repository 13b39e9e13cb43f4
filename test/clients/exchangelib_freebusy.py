"""Other users' free/busy as exchangelib 4.9 asks for it: account.protocol.get_free_busy_info.

Run by test/availability-others.test.ts with /usr/bin/python3 (Debian's python3-exchangelib).
Self-contained on purpose (the shared scenario runner is not needed for one call). Environment:

  EWS_URL, EWS_USER, EWS_PASSWORD   the gateway and the asking user
  OTHER, UNKNOWN                    an address with a calendar, one without

Prints one JSON line: {"views": [...]} with, per mailbox asked for, either
{"type", "merged", "events": [[start, end, busy_type, subject or null, is_private or null]],
"working_hours": [[weekdays, start, end]]} or {"error": exception class name}. Exit 0 when the call itself went through.
"""

import json
import os

from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, Version
from exchangelib.ewsdatetime import EWSDateTime, EWSTimeZone

config = Configuration(
    service_endpoint=os.environ["EWS_URL"],
    credentials=Credentials(os.environ["EWS_USER"], os.environ["EWS_PASSWORD"]),
    auth_type=BASIC,
    version=Version(build=Build(15, 1)),
)
account = Account(primary_smtp_address=os.environ["EWS_USER"], config=config, autodiscover=False, access_type=DELEGATE)

BERLIN = EWSTimeZone("Europe/Berlin")
start = EWSDateTime(2027, 3, 8, 0, 0, tzinfo=BERLIN)
end = EWSDateTime(2027, 3, 9, 0, 0, tzinfo=BERLIN)

views = []
for view in account.protocol.get_free_busy_info(
    accounts=[(os.environ["OTHER"], "Required", False), (os.environ["UNKNOWN"], "Required", False)],
    start=start,
    end=end,
    merged_free_busy_interval=30,
    requested_view="DetailedMerged",
):
    if isinstance(view, Exception):
        views.append({"error": type(view).__name__})
        continue
    events = []
    for e in view.calendar_events or []:
        d = e.details
        events.append([e.start.isoformat(), e.end.isoformat(), e.busy_type, d.subject if d else None, d.is_private if d else None])
    wh = view.working_hours
    views.append(
        {
            "type": view.view_type,
            "merged": view.merged,
            "events": events,
            "working_hours": [[list(p.weekdays), str(p.start), str(p.end)] for p in wh or []],
        }
    )
print(json.dumps({"views": views}, default=str))

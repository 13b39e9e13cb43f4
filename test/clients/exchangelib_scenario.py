"""What every exchangelib 4.9 scenario against ewsgate shares: the account, the steps, the summary.

The scenarios (test/clients/exchangelib_*.py, fixtures/meetings/exchangelib_meetings.py) run with
/usr/bin/python3, the system Python that has Debian's python3-exchangelib. Environment read here:

  EWS_URL, EWS_USER, EWS_PASSWORD   the gateway's EWS endpoint and the scenario's user
  EXCHANGELIB_XML_DUMP              optional: a file to write every EWS request/response to (JSON)

The protocol the TypeScript side (test/clients/support/exchangelib.ts) reads: each step is
recorded in order as {"name", "ok", "detail"?, "error"?, "traceback"?, "xml"?, "skipped"?, "ms"};
the last line of stdout is the JSON summary {"ok": bool, "steps": [...], ...extra}; the exit
code is 0 only if every step passed. An exception outside a step is a traceback on stderr and
exit 1 (no summary line), which the TypeScript side reports as such.
"""

import json
import logging
import os
import sys
import time
import traceback

from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, Version

# ------------------------------------------------------------------ XML capture

XML_LOG = []  # {"request", "response"} of every EWS call, decoded

# the last calls of a failed step are the ones that explain it
XML_PER_FAILURE = 4


class _XmlCapture(logging.Handler):
    def emit(self, record):
        args = record.args if isinstance(record.args, dict) else {}
        if "xml_request" not in args:
            return

        def dec(b):
            if b is None:
                return None
            return b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)

        XML_LOG.append({"request": dec(args.get("xml_request")), "response": dec(args.get("xml_response"))})


_xml_logger = logging.getLogger("exchangelib.util.xml")
_xml_logger.setLevel(logging.DEBUG)
_xml_logger.addHandler(_XmlCapture())
_xml_logger.propagate = False

# ------------------------------------------------------------------ account

EWS_URL = os.environ["EWS_URL"]


def account_for(user, password, **kw):
    """An Account on the gateway with basic auth and a fixed version: no autodiscover, no probing."""
    config = Configuration(
        service_endpoint=EWS_URL,
        credentials=Credentials(user, password),
        auth_type=BASIC,
        version=Version(build=Build(15, 1)),
    )
    return Account(primary_smtp_address=user, config=config, autodiscover=False, access_type=DELEGATE, **kw)


def connect(**kw):
    """The scenario's own account (EWS_USER / EWS_PASSWORD)."""
    return account_for(os.environ["EWS_USER"], os.environ["EWS_PASSWORD"], **kw)


# ------------------------------------------------------------------ steps

STEPS = []
FAILED = set()
_ABORTED = []  # the name of the fatal step that failed, if one did


class StepFailed(Exception):
    pass


def check(cond, message):
    if not cond:
        raise StepFailed(message)


def step(name, needs=(), fatal=False):
    """Decorator: runs the function now and records the outcome (its return value is the detail).

    Listed as not run when a step in `needs` failed, or when an earlier `fatal` step failed
    (one whose failure leaves nothing to continue with)."""

    def run(fn):
        blocker = _ABORTED[0] if _ABORTED else next((n for n in needs if n in FAILED), None)
        if blocker is not None:
            STEPS.append({"name": name, "ok": False, "skipped": True, "error": f"not run: {blocker!r} failed"})
            FAILED.add(name)
            return None
        mark = len(XML_LOG)
        rec = {"name": name, "ok": True}
        t0 = time.monotonic()
        try:
            detail = fn()
            if detail is not None:
                rec["detail"] = detail
        except Exception as e:  # noqa: BLE001 - everything is recorded
            rec["ok"] = False
            rec["error"] = f"{type(e).__name__}: {e}"
            rec["traceback"] = traceback.format_exc()
            rec["xml"] = XML_LOG[mark:][-XML_PER_FAILURE:]
            FAILED.add(name)
            if fatal:
                _ABORTED.append(name)
        rec["ms"] = round((time.monotonic() - t0) * 1000)
        STEPS.append(rec)
        return rec

    return run


# ------------------------------------------------------------------ summary


def _dump_xml():
    path = os.environ.get("EXCHANGELIB_XML_DUMP")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(XML_LOG, fh, ensure_ascii=False, indent=1)


def run(main, **summary):
    """Runs main() (which runs the steps), prints the JSON summary with `summary` merged in, exits."""
    try:
        main()
    finally:
        _dump_xml()
    ok = all(s["ok"] for s in STEPS)
    print(json.dumps({"ok": ok, "steps": STEPS, **summary}, ensure_ascii=False))
    sys.exit(0 if ok else 1)

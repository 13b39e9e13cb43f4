"""Notifications of ewsgate as exchangelib 4.9 (Debian's python3-exchangelib) uses them.

Run by test/clients/exchangelib-notifications.test.ts with /usr/bin/python3. Environment:

  EWS_URL, EWS_USER, EWS_PASSWORD   the gateway's EWS endpoint and a user
  LMTP_HOST, LMTP_PORT              Dovecot's LMTP, to deliver mail while subscribed

Steps: a pull subscription on the inbox, a delivery, get_events until the NewMailEvent
arrives, the item read by its id, a second get_events from the last watermark that has no
new mail, unsubscribe; then a streaming subscription, a delivery, get_streaming_events
until the NewMailEvent, the item read by its id, unsubscribe. The last line of stdout is a
JSON summary {"ok": bool, "steps": [...]}.
"""

import json
import os
import smtplib
import sys
import time
import traceback
import uuid
from email.message import EmailMessage

from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, Version
from exchangelib.properties import NewMailEvent, StatusEvent

EWS_URL = os.environ["EWS_URL"]
EWS_USER = os.environ["EWS_USER"]
EWS_PASSWORD = os.environ["EWS_PASSWORD"]
LMTP_HOST = os.environ.get("LMTP_HOST", "127.0.0.1")
LMTP_PORT = int(os.environ["LMTP_PORT"])

STEPS = []


def step(name):
    def wrap(fn):
        entry = {"name": name, "ok": False}
        STEPS.append(entry)
        try:
            entry["detail"] = fn()
            entry["ok"] = True
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            entry["error"] = f"{type(e).__name__}: {e}"
            entry["traceback"] = traceback.format_exc()
        return entry

    return wrap


def deliver(subject):
    msg = EmailMessage()
    msg["From"] = "sender@example.test"
    msg["To"] = EWS_USER
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
    msg.set_content("Hello from exchangelib_notifications.py\n")
    with smtplib.LMTP(LMTP_HOST, LMTP_PORT) as lmtp:
        lmtp.send_message(msg)


def main():
    config = Configuration(
        service_endpoint=EWS_URL,
        credentials=Credentials(EWS_USER, EWS_PASSWORD),
        auth_type=BASIC,
        version=Version(build=Build(15, 1)),
    )
    account = Account(primary_smtp_address=EWS_USER, config=config, autodiscover=False, access_type=DELEGATE)
    inbox = account.inbox
    ctx = {}
    tag = uuid.uuid4().hex[:8]

    @step("subscribe_to_pull")
    def _():
        sub_id, watermark = inbox.subscribe_to_pull(timeout=10)
        assert sub_id and watermark, (sub_id, watermark)
        ctx["pull"] = (sub_id, watermark)
        return {"subscription_id_length": len(sub_id)}

    @step("get_events after a delivery")
    def _():
        sub_id, watermark = ctx["pull"]
        subject = f"pull {tag}"
        deliver(subject)
        found = None
        kinds = set()
        for _attempt in range(20):
            for notification in inbox.get_events(sub_id, watermark):
                if notification.events:
                    watermark = notification.events[-1].watermark
                for e in notification.events:
                    kinds.add(type(e).__name__)
                    if isinstance(e, NewMailEvent):
                        found = e
            if found:
                break
            time.sleep(0.2)
        assert found is not None, "no NewMailEvent"
        ctx["pull"] = (sub_id, watermark)
        item = account.inbox.get(id=found.item_id.id)
        assert item.subject == subject, item.subject
        return {"kinds": sorted(kinds), "subject": item.subject}

    @step("get_events from the last watermark: nothing new")
    def _():
        sub_id, watermark = ctx["pull"]
        notifications = list(inbox.get_events(sub_id, watermark))
        kinds = [type(e).__name__ for n in notifications for e in n.events]
        assert kinds == ["StatusEvent"], kinds
        assert isinstance(notifications[0].events[0], StatusEvent)
        assert notifications[0].previous_watermark == watermark
        return {"kinds": kinds}

    @step("unsubscribe pull")
    def _():
        assert inbox.unsubscribe(ctx["pull"][0]) is True
        return None

    @step("subscribe_to_streaming")
    def _():
        ctx["stream"] = inbox.subscribe_to_streaming()
        return None

    @step("get_streaming_events after a delivery")
    def _():
        subject = f"stream {tag}"
        deliver(subject)
        found = None
        kinds = set()
        for notification in inbox.get_streaming_events(ctx["stream"], connection_timeout=1):
            for e in notification.events:
                kinds.add(type(e).__name__)
                if isinstance(e, NewMailEvent):
                    found = e
            if found:
                break
        assert found is not None, f"no NewMailEvent (got {sorted(kinds)})"
        item = account.inbox.get(id=found.item_id.id)
        assert item.subject == subject, item.subject
        return {"kinds": sorted(kinds), "subject": item.subject}

    @step("unsubscribe streaming")
    def _():
        assert inbox.unsubscribe(ctx["stream"]) is True
        return None

    ok = all(s["ok"] for s in STEPS)
    print(json.dumps({"ok": ok, "steps": STEPS}, ensure_ascii=False))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

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

import os
import smtplib
import time
import uuid
from email.message import EmailMessage

from exchangelib.properties import NewMailEvent, StatusEvent
from exchangelib_scenario import connect, run, step

EWS_USER = os.environ["EWS_USER"]
LMTP_HOST = os.environ.get("LMTP_HOST", "127.0.0.1")
LMTP_PORT = int(os.environ["LMTP_PORT"])

def deliver(subject):
    msg = EmailMessage()
    msg["From"] = "sender@example.test"
    msg["To"] = EWS_USER
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
    msg.set_content("Hello from exchangelib_notifications.py\n")
    with smtplib.LMTP(LMTP_HOST, LMTP_PORT) as lmtp:
        lmtp.send_message(msg)


def new_mail_in(notification, kinds):
    """The notification's last NewMailEvent, or None; the kind of each of its events goes into `kinds`."""
    found = None
    for e in notification.events:
        kinds.add(type(e).__name__)
        if isinstance(e, NewMailEvent):
            found = e
    return found


def read_back(account, event, subject, kinds):
    """The new item read by the id the event carries: it is the delivered message."""
    item = account.inbox.get(id=event.item_id.id)
    assert item.subject == subject, item.subject
    return {"kinds": sorted(kinds), "subject": item.subject}


def main():
    account = connect()
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
                found = new_mail_in(notification, kinds) or found
            if found:
                break
            time.sleep(0.2)
        assert found is not None, "no NewMailEvent"
        ctx["pull"] = (sub_id, watermark)
        return read_back(account, found, subject, kinds)

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
            found = new_mail_in(notification, kinds) or found
            if found:
                break
        assert found is not None, f"no NewMailEvent (got {sorted(kinds)})"
        return read_back(account, found, subject, kinds)

    @step("unsubscribe streaming")
    def _():
        assert inbox.unsubscribe(ctx["stream"]) is True
        return None


if __name__ == "__main__":
    run(main)

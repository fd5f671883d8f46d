"""The README's phone screenshots, from the demo data, in one command:

    python docs/screenshots/make.py

Needs the test extras (`pip install -e ".[test]"`) and Debian's Chromium. It loads the demo
into a throwaway SQLite database, serves the app on 127.0.0.1, and writes event.png,
ticket.png, door.png (a volunteer's door page: a name found and checked in) and
intro-email.png next to this file, at 390x844 CSS pixels.
The demo's upcoming event is moved to start within the hour (so the door is open for it), and
its past event's introductions are sent as they would be three days after it.
"""

from __future__ import annotations

import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from meetup import create_app, demo
from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.door import links as door_links
from meetup.services.intros import proposals

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _signed_in(app, browser, user_id: str, base: str):
    context = browser.new_context(**PHONE)
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": user_id, "_fresh": True})
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie,
                          "url": base}])  # fmt: skip
    return context


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/demo.db",
            "SECRET_KEY": "screenshots-only",
            "MAIL_BACKEND": "file",
            "MAIL_FILE_DIR": f"{tmp}/mail",
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,  # plain http on 127.0.0.1
            "REMEMBER_COOKIE_SECURE": False,
        })  # fmt: skip
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        base = f"http://127.0.0.1:{httpd.server_port}"
        app.config["BASE_URL"] = base
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            result = demo.seed()
            # The upcoming event tonight, in an hour: the door is open for it.
            start = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
            result.upcoming.starts_at, result.upcoming.ends_at = start, start + timedelta(hours=3)
            _link, door_token = door_links.create(result.upcoming, "Sam")  # a volunteer's phone
            db.session.commit()
            past = result.past
            proposals.send_suggestions(past.ends_at + timedelta(days=3, minutes=5))
            db.session.commit()
            # The demo member's own suggestions (the person the README follows), else the first.
            suggestions = (
                select(OutboxMessage.body_html)
                .where(OutboxMessage.dedupe_key.like("intro-suggest:%"))
                .order_by(OutboxMessage.to_addr != result.member.email, OutboxMessage.id)
                .limit(1)
            )
            intro_html = db.session.scalar(suggestions)
            ticket = result.ticket_rsvp.ticket_token
            event_key, member_id = result.upcoming.key, result.member.get_id()
            first_name = result.member.display_name.split()[0].lower()
            # No transaction left open in this thread: on SQLite it would hold the write lock,
            # and the server's check-in at the door would wait for it.
            db.session.remove()
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            try:
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                        "--no-sandbox",
                        "--use-fake-device-for-media-stream",  # the door page asks for a camera
                        "--use-fake-ui-for-media-stream",
                    ])  # fmt: skip
                    member = _signed_in(app, browser, member_id, base).new_page()
                    member.goto(f"{base}/e/{event_key}")
                    member.screenshot(path=str(HERE / "event.png"))
                    member.goto(f"{base}/t/{ticket}")
                    member.screenshot(path=str(HERE / "ticket.png"))

                    door = browser.new_context(**PHONE).new_page()
                    door.goto(f"{base}/door/{door_token}")
                    for _ in range(100):  # the guest list is saved for offline use first
                        if door.evaluate("window.door && window.door.listSaved()"):
                            break
                        door.wait_for_timeout(200)
                    door.click("#show-search")
                    door.fill("#search", first_name)
                    door.wait_for_timeout(800)  # the list follows the typing
                    door.locator("#guest-list button").first.click()  # checked in by name
                    door.wait_for_selector("#result.ok", timeout=10_000)
                    door.wait_for_timeout(500)  # the answer's animation
                    door.screenshot(path=str(HERE / "door.png"))

                    mail = browser.new_context(**PHONE).new_page()
                    mail.set_content(intro_html or "<p>No introduction email was queued.</p>")
                    mail.screenshot(path=str(HERE / "intro-email.png"))
                    browser.close()
            finally:
                httpd.shutdown()
    for name in ("event", "ticket", "door", "intro-email"):
        print(HERE / f"{name}.png")


if __name__ == "__main__":
    main()

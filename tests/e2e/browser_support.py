"""What the browser tests share."""

from __future__ import annotations

import os
import threading
import time

from werkzeug.serving import make_server

from tests.conftest import free_port

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def sign_in(app, context, user, base: str) -> None:
    """`user`'s session cookie in a browser context, as Flask-Login would set it, so a test
    needn't drive the sign-in form."""
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"_user_id": user.get_id(), "_fresh": True})
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": base}])


def wait_js(page, expression: str, timeout: float = 20) -> object:
    """Poll `expression` in the page until truthy. (page.wait_for_function evaluates its
    predicate with eval, which the page's CSP rightly forbids.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = page.evaluate(expression)
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {expression}")


def wait_image(img, timeout: float = 20) -> None:
    """Wait until the <img> locator has loaded a picture (a busy machine loads it after the
    page's own load event has been seen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if img.evaluate("img => img.complete && img.naturalWidth > 0"):
            return
        time.sleep(0.2)
    raise AssertionError("the image never loaded")


class Server:
    """The app on a fixed port of 127.0.0.1, which can be stopped and started again (the
    phone's pages and service worker belong to that origin)."""

    def __init__(self, app) -> None:
        self.app = app
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        app.config["BASE_URL"] = self.base
        self.httpd = None

    def start(self) -> None:
        self.httpd = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
            self.httpd = None


def shot(page, tmp_path, name: str, full_page: bool = True) -> str:
    """A screenshot to look at, kept out of the repository (MEETUP_SCREENSHOTS=dir)."""
    folder = os.environ.get("MEETUP_SCREENSHOTS") or str(tmp_path)
    path = f"{folder}/{name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


def tap_target_sizes(page, selector: str) -> list[tuple[str, float, float]]:
    """(text, width, height) in CSS pixels of the visible elements `selector` matches."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
             .filter((el) => el.offsetParent !== null)
             .map((el) => { const r = el.getBoundingClientRect();
                            return [el.textContent.trim(), r.width, r.height]; })""",
        selector,
    )

"""The door page in a real Chromium at phone size, with a video file as the camera.

Chromium plays a Y4M file as the camera (--use-file-for-fake-video-capture), so each browser
launch shows one QR code for as long as it runs: tests that need another ticket in front of
the camera launch the browser again.

Offline: Playwright's context.set_offline(True) makes navigator.onLine false and fails the
page's own requests, but once a service worker controls the page, requests that pass through
it still reach the network (Playwright issue #2311; we saw check-ins arrive at the server).
So the offline tests also stop the server while the phone is "offline": whatever works then
works without any network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import qrcode
import qrcode.constants
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import CheckinLog, Event, Rsvp, utcnow
from meetup.urls import ticket_url
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.door_support import door_link
from tests.e2e.browser_support import PHONE, wait_js
from tests.factories import make_event, make_group, make_rsvp, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

W, H = 640, 480


def write_y4m(path: Path, text: str | None, frames: int = 30) -> Path:
    """A 640x480 video of `text`'s QR code (black on white, quiet zone kept); None: blank."""
    luma = bytearray(b"\xff" * (W * H))
    if text is not None:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(text)
        matrix = code.get_matrix()  # includes the quiet zone
        scale = (H - 40) // len(matrix)
        left = (W - scale * len(matrix)) // 2
        top = (H - scale * len(matrix)) // 2
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    for dy in range(scale):
                        start = (top + y * scale + dy) * W + left + x * scale
                        luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (W // 2 * H // 2 * 2)
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + bytes(luma) + chroma)
    return path


def camera_args(video: Path) -> list[str]:
    return [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def wait_for(check: Callable[[], object], timeout: float = 30, what: str = "condition") -> object:
    """Poll the server-side state (a fresh read each time) until `check` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # end the read transaction: see other connections' commits
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def checked_in(rsvp_id: int) -> bool:
    return db.session.scalar(select(Rsvp.checked_in_at).where(Rsvp.id == rsvp_id)) is not None


@pytest.fixture
def door(app, server):
    """An event with three going guests and a volunteer's door link."""
    # Tonight: the door admits from 4 hours before the start.
    event = make_event(
        make_group(make_user(name="Olga")),
        title="Rust night",
        starts_at=utcnow() + timedelta(hours=1),
    )
    guests = [make_rsvp(event, make_user(name=name)) for name in ("Ana", "Bea", "Cem")]
    return {
        "base": server.base,
        "event_key": event.key,
        "guests": [(g.id, g.user.name, ticket_url(g.ticket_token)) for g in guests],
        "link": f"{server.base}/door/{door_link(event, 'Sam')}",
    }


def test_camera_scan_checks_the_attendee_in(playwright, door, tmp_path):
    rsvp_id, name, url = door["guests"][0]
    video = write_y4m(tmp_path / "ana.y4m", url)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=camera_args(video))
    try:
        page = browser.new_context(**PHONE).new_page()
        page.goto(door["link"])
        assert page.url.endswith(f"/e/{door['event_key']}/door")
        wait_for(lambda: checked_in(rsvp_id), what="the scan to reach the server")
        page.wait_for_selector("#result.ok", timeout=10_000)
        assert page.inner_text("#result-title") == f"Welcome, {name}"
        assert page.inner_text("#count-in") == "1"
    finally:
        browser.close()
    assert db.session.scalar(select(Rsvp.checked_in_by).where(Rsvp.id == rsvp_id)) == "Sam"


def test_a_guest_list_sent_before_a_scan_does_not_undo_it(playwright, door, tmp_path):
    """The list requested at page load arrives after the first scan's answer: the counter
    and the list keep the check-in instead of going back to what the list said."""
    rsvp_id, name, url = door["guests"][0]
    video = write_y4m(tmp_path / "ana.y4m", url)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=camera_args(video))
    held = []
    try:
        # Service workers off: page.route doesn't see requests a service worker answers.
        context = browser.new_context(**PHONE, service_workers="block")
        context.route("**/guests.json", lambda route: held.append(route))
        page = context.new_page()
        page.goto(door["link"])
        wait_for(lambda: checked_in(rsvp_id), what="the scan to reach the server")
        page.wait_for_selector("#result.ok", timeout=10_000)
        assert page.inner_text("#count-in") == "1"
        assert held, "the page asked for its guest list"
        for route in held:  # answer with the list as it was before the scan
            stale = route.fetch().json()
            for guest in stale["guests"]:
                if guest["id"] == rsvp_id:
                    guest["checked_in_at"] = guest["checked_in_by"] = None
            route.fulfill(json=stale)
        wait_js(page, _SAVED_LIST % door["event_key"])
        assert page.inner_text("#count-in") == "1"
    finally:
        browser.close()


# True once the page has stored a guest list for offline use (after applying it).
_SAVED_LIST = """new Promise((done) => {
  const open = indexedDB.open("meetup-door");
  open.onsuccess = () => {
    const get = open.result.transaction("lists").objectStore("lists").get("%s");
    get.onsuccess = () => done(!!get.result);
  };
})"""


def open_door(playwright, profile: Path, video: Path, url: str, *, offline: bool):
    """A phone that keeps its storage (service worker, IndexedDB) between launches."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=camera_args(video), **PHONE
    )
    context.set_offline(offline)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    return context, page


def test_offline_page_loads_scans_three_tickets_and_syncs_all(playwright, door, server, tmp_path):
    profile = tmp_path / "phone"
    blank = write_y4m(tmp_path / "blank.y4m", None)
    door_url = f"{door['base']}/e/{door['event_key']}/door"

    # First visit, online: the service worker caches the page, door.js keeps the guest list.
    context, page = open_door(playwright, profile, blank, door["link"], offline=False)
    try:
        wait_js(page, "navigator.serviceWorker.controller !== null")
        wait_js(page, "caches.match(location.href).then(Boolean)")
        wait_js(page, "window.door && window.door.listSaved()")
    finally:
        context.close()

    # Offline, and no server at all: each ticket in front of the camera in turn (one launch
    # per ticket, since the fake camera plays one file per launch). The page itself comes
    # from the service worker's cache, the guest list from IndexedDB.
    server.stop()
    for n, (_rsvp_id, name, url) in enumerate(door["guests"], start=1):
        video = write_y4m(tmp_path / f"t{n}.y4m", url)
        context, page = open_door(playwright, profile, video, door_url, offline=True)
        try:
            page.wait_for_selector("#result.ok", timeout=20_000)
            assert page.inner_text("#result-title") == f"Welcome, {name}"
            assert "Offline" in page.inner_text("#result-detail")
            wait_js(page, f"window.door.queued() === {n}")
            assert page.inner_text("#net") == f"Offline, {n} queued"
        finally:
            context.close()
    server.start()
    assert not any(checked_in(rsvp_id) for rsvp_id, _, _ in door["guests"])

    # Back online: the queue is sent with the original scan times, nothing lost.
    context, page = open_door(playwright, profile, blank, door_url, offline=False)
    try:
        for rsvp_id, _, _ in door["guests"]:
            wait_for(lambda rsvp_id=rsvp_id: checked_in(rsvp_id), what="the queue to sync")
        wait_js(page, "window.door.queued() === 0")
        wait_js(page, "document.querySelector('#count-in').textContent === '3'")
        assert page.inner_text("#net") == "Online"
    finally:
        context.close()
    logged = db.session.execute(select(CheckinLog.method, CheckinLog.status)).all()
    assert sorted(logged) == [("offline", "checked_in")] * 3
    by = db.session.scalars(select(Rsvp.checked_in_by).where(Rsvp.checked_in_at.is_not(None)))
    assert list(by) == ["Sam", "Sam", "Sam"]


def test_two_phones_admitting_one_ticket_offline_raise_a_flag(playwright, door, server, tmp_path):
    """Both phones go offline and admit Ana. The scans are fed to the page's scan handler
    (window.door.scan, what the camera loop calls on a decoded code) rather than the camera,
    since both phones must be online first to load the page and would then scan online."""
    rsvp_id, _, url = door["guests"][0]
    blank = write_y4m(tmp_path / "blank.y4m", None)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=camera_args(blank))
    try:
        phones = []
        for _ in range(2):
            context = browser.new_context(**PHONE)
            page = context.new_page()
            page.goto(door["link"])
            wait_js(page, "window.door && window.door.listSaved()")
            context.set_offline(True)
            wait_js(page, "!window.door.online()")
            phones.append((context, page))
        server.stop()
        for _, page in phones:
            page.evaluate("url => window.door.scan(url)", url)
            page.wait_for_selector("#result.ok")
            assert page.evaluate("window.door.queued()") == 1
        server.start()
        for context, page in phones:
            context.set_offline(False)
            page.evaluate("window.door.sync()")
        for _, page in phones:
            wait_js(page, "window.door.queued() === 0")
    finally:
        browser.close()
    flagged = wait_for(
        lambda: db.session.scalar(select(Rsvp.checkin_flagged).where(Rsvp.id == rsvp_id)),
        what="the flag",
    )
    assert flagged is True


def test_a_cancelled_events_door_lets_no_one_in_online_or_offline(
    playwright, door, server, tmp_path
):
    """The organizer cancelled: Ana's ticket still reads "going", but the door says the
    event is cancelled, from the server's answer and from the phone's own copy."""
    event = db.session.scalar(select(Event).where(Event.key == door["event_key"]))
    event.cancelled_at = utcnow()
    db.session.commit()
    rsvp_id, name, url = door["guests"][0]
    blank = write_y4m(tmp_path / "blank.y4m", None)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=camera_args(blank))
    try:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(door["link"])
        assert "This event was cancelled." in page.inner_text(".door-note")
        wait_js(page, "window.door && window.door.listSaved()")
        for online in (True, False):
            if not online:
                context.set_offline(True)
                wait_js(page, "!window.door.online()")
                server.stop()
            page.evaluate("() => { document.querySelector('#result').className = 'idle'; }")
            page.evaluate("url => window.door.scan(url)", url)
            page.wait_for_selector("#result.bad", timeout=10_000)
            assert page.inner_text("#result-title") == "Event cancelled"
            assert page.inner_text("#result-detail") == name
            assert page.evaluate("window.door.queued()") == 0
        page.click("#show-search")  # the name list offers no "Check in", and there are no walk-ins
        assert page.locator("#guest-list button").count() == 0
        assert page.locator("#guest-list .door-tag").first.inner_text() == "Event cancelled"
        assert not page.locator("#show-walkin").is_visible()
    finally:
        browser.close()
        server.start()
    assert not checked_in(rsvp_id)
    assert db.session.scalar(select(CheckinLog.status)) == "not_attending"  # the online scan


def test_a_door_phone_learns_of_a_cancellation_and_keeps_refusing_offline(
    playwright, door, server, tmp_path
):
    """The volunteer opened the door page in the afternoon; the organizer cancels later.
    The phone's next list refresh says so, and the copy it keeps refuses Ana's ticket even
    when the page comes back from the phone's cache with no network."""
    profile = tmp_path / "phone"
    blank = write_y4m(tmp_path / "blank.y4m", None)
    door_url = f"{door['base']}/e/{door['event_key']}/door"
    rsvp_id, name, url = door["guests"][0]
    context, page = open_door(playwright, profile, blank, door["link"], offline=False)
    try:
        wait_js(page, "navigator.serviceWorker.controller !== null")
        wait_js(page, "caches.match(location.href).then(Boolean)")
        wait_js(page, "window.door && window.door.listSaved()")
        assert not page.locator("#door-cancelled").is_visible()
        assert page.locator("#show-walkin").is_visible()

        event = db.session.scalar(select(Event).where(Event.key == door["event_key"]))
        event.cancelled_at = utcnow()
        db.session.commit()
        saved = page.evaluate("window.door.listSaved()")
        page.evaluate("window.door.refresh()")
        wait_js(page, f"window.door.listSaved() !== {saved!r}")
        assert page.inner_text("#door-cancelled") == "This event was cancelled."
        assert not page.locator("#show-walkin").is_visible()
    finally:
        context.close()

    server.stop()
    try:
        video = write_y4m(tmp_path / "ana.y4m", url)
        context, page = open_door(playwright, profile, video, door_url, offline=True)
        try:
            page.wait_for_selector("#result.bad", timeout=20_000)
            assert page.inner_text("#result-title") == "Event cancelled"
            assert page.inner_text("#result-detail") == name
            assert page.evaluate("window.door.queued()") == 0
            assert page.locator("#door-cancelled").is_visible()
        finally:
            context.close()
    finally:
        server.start()
    assert not checked_in(rsvp_id)


def test_the_name_search_finds_a_name_typed_without_its_accents(playwright, door, tmp_path):
    """A dead phone: the volunteer types "garcia" for Elena García."""
    event = db.session.scalar(select(Event).where(Event.key == door["event_key"]))
    elena = make_rsvp(event, make_user(name="Elena García"))
    blank = write_y4m(tmp_path / "blank.y4m", None)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=camera_args(blank))
    try:
        page = browser.new_context(**PHONE).new_page()
        page.goto(door["link"])
        wait_js(page, "window.door && window.door.listSaved()")
        page.click("#show-search")
        page.fill("#search", "garcia")
        names = page.locator("#guest-list .door-guest-name")
        assert names.all_inner_texts() == ["Elena García"]
        page.locator("#guest-list button").click()
        page.wait_for_selector("#result.ok", timeout=10_000)
        assert page.inner_text("#result-title") == "Welcome, Elena García"
    finally:
        browser.close()
    assert checked_in(elena.id)

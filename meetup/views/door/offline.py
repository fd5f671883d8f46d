"""The service worker that keeps a page usable offline after a first visit
(static/js/offline-sw.js): the door page and an attendee's ticket register it with their own
path as its scope."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory, url_for

bp = Blueprint("offline", __name__)


@bp.get("/offline-sw.js")
def service_worker():
    """Served from the root, so it may control any page below (/e/<key>/door, /t/<token>)."""
    resp = send_from_directory(current_app.static_folder, "js/offline-sw.js", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def service_worker_url(assets: list[str]) -> str:
    """The worker's URL for a page whose files (paths on this site) it keeps offline."""
    return url_for("offline.service_worker", a=assets)

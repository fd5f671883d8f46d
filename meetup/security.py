"""Security headers (Flask-Talisman) and the sign-in session loader."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user, user_logged_in
from sqlalchemy import bindparam, select

from .extensions import db, login_manager, talisman
from .models import User
from .services.tokens import same

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data: blob:",
    "script-src": "'self'",
    "style-src": "'self'",
    "connect-src": "'self'",
    "media-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        frame_options="DENY",
        # Ticket and magic-link URLs carry secrets: never send them to other sites.
        referrer_policy="same-origin",
        permissions_policy={"camera": "(self)", "microphone": "()", "geolocation": "()"},
    )
    app.after_request(no_store_when_personal)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    user_logged_in.connect(_renew_csrf_token, app)


def _renew_csrf_token(_app: Flask, **_extra) -> None:
    """Signing in starts with a new CSRF token: one read while signed out (by anyone who
    saw that page) no longer works. Flask-WTF keeps it in the session and, for the rest of
    the request, on `g`; the next form drawn makes a new one."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)


# ------------------------------------------------------------------ personal pages

DOOR_LINKS = "door_links"  # the session's door links: {event id: door link id}
_SECRET_ARGS = ("token", "ticket_token", "feed_token")  # a URL holding one is someone's


def no_store_when_personal(resp: Response) -> Response:
    """`Cache-Control: private, no-store` on every answer to someone signed in (or holding
    a door link), and on every URL that carries a secret (sign-in links, tickets, RSVP
    links): no browser, proxy or shared computer keeps a copy of what was personal.

    Left as they are: answers already marked no-store, and those a view made cacheable on
    purpose for their owner: validated files (an ETag: calendar feeds, static files) and
    immutable ones (a ticket's QR image, whose URL is the secret)."""
    cache_control = resp.headers.get("Cache-Control", "")
    if "no-store" in cache_control or "immutable" in cache_control or "ETag" in resp.headers:
        return resp
    if _personal():
        resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _personal() -> bool:
    if any(arg in (request.view_args or {}) for arg in _SECRET_ARGS):
        return True
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return True
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies and not session.modified:
        return False  # no session came in and none was started: a stranger's page
    return bool(session.get("_user_id") or session.get(DOOR_LINKS))


# Built once: every signed-in request asks, and Session.get() builds and keys a new
# statement each time.
_USER = select(User).where(User.id == bindparam("id"))


def claimed_user_id() -> int | None:
    """The user id the session cookie names, not verified yet: for a hot view that reads
    the user's row in its own first statement and hands it to signed_in_user()."""
    user_id = str(session.get("_user_id") or "").partition(":")[0]
    return int(user_id) if user_id.isdigit() else None


def signed_in_user(prefetched: User | None = None) -> User | None:
    """The signed-in user, or None. `prefetched`: the row of claimed_user_id(), read by the
    view. Flask-Login still loads the user (session protection, the token check below):
    it just costs no statement of its own."""
    g.prefetched_user = prefetched
    try:
        return current_user._get_current_object() if current_user.is_authenticated else None
    finally:
        g.pop("prefetched_user", None)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = g.pop("prefetched_user", None)
    if user is None or user.id != int(user_id):
        user = db.session.scalar(_USER, {"id": int(user_id)})
    if user is None or not same(user.session_token, token):
        return None
    refresh()  # the language chosen before the person was read follows their choice now
    return user

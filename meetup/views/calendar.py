"""Calendar files: one event's .ics, group and personal feeds, feed links on the profile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.http import is_resource_modified

from ..error_messages import register_messages
from ..extensions import db
from ..forms.base import AppForm
from ..models import Event, Group, Rsvp
from ..services import permissions
from ..services.calendar import feeds
from ..services.calendar import files as calendar
from ..services.calendar.links import add_links
from ..services.door import tickets
from ..services.errors import DomainError
from ..templating import page_for
from ..urls import absolute_url
from . import access

bp = Blueprint("calendar", __name__)

register_messages(
    {
        "event_not_in_calendar": (
            409,
            _l("This event's dates are out of range: no calendar file can hold them."),
        ),
    }
)

GOOGLE_ADD = "https://calendar.google.com/calendar/render"  # ?cid=<feed URL>: subscribe
MAX_AGE = 900  # seconds: calendar apps poll hourly at most; a browser may reuse a file briefly


@bp.app_template_global("calendar_links")
def calendar_links(event: Event, my_rsvp: Rsvp | None = None) -> dict[str, str]:
    return add_links(event, my_rsvp)


@bp.app_template_global("calendar_feed_links")
def calendar_feed_links(token: str) -> dict[str, str]:
    https = absolute_url("calendar.personal_feed", feed_token=token)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@bp.app_template_global("group_feed_links")
def group_feed_links(group: Group) -> dict[str, str]:
    """The group's public feed: as a link, for calendar apps (webcal://) and for Google's
    "add by URL" (which takes the webcal address)."""
    https = absolute_url("calendar.group_feed", group_slug=group.slug)
    webcal = "webcal://" + https.split("://", 1)[1]
    return {
        "https": https,
        "webcal": webcal,
        "google": f"{GOOGLE_ADD}?{urlencode({'cid': webcal})}",
    }


@bp.get("/e/<event_key>/event.ics")
def event_ics(event_key: str):
    event = access.visible_event_or_404(event_key)  # as the event page
    if not calendar.renderable(event):
        raise DomainError("event_not_in_calendar")
    return _conditional(
        feeds.event_validator(event),
        lambda: calendar.event_file(event),
        public=event.visibility == "public",
        filename=calendar.download_names(event.title),
    )


@bp.get("/t/<ticket_token>/event.ics")
def ticket_ics(ticket_token: str):
    """An attendee's copy of the event's file, linking to their ticket (no login: the token
    is the ticket, as on its page). A ticket no longer valid gets the file without it."""
    rsvp = tickets.find(ticket_token) or abort(404)
    event = rsvp.event
    page_for(rsvp.user, event.group)  # worded for the ticket's holder, as their emails are
    token = rsvp.ticket_token if tickets.is_valid(rsvp) else None
    response = _conditional(
        feeds.ticket_validator(event, token),
        lambda: calendar.event_file(event, ticket_token=token),
        public=False,
        filename=calendar.download_names(event.title),
    )
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/g/<group_slug>/calendar.ics")
def group_feed(group_slug: str):
    group = db.session.scalar(select(Group).where(Group.slug == group_slug)) or abort(404)
    page_for(None, group)
    token = request.args.get("token")
    members = False
    if token is not None:
        user = feeds.find_user_by_token(token) or abort(404)
        members = permissions.is_member(group, user)
    validator = feeds.group_validator(group, members)
    build = lambda: feeds.cached(validator, lambda: feeds.group_feed(group, members))  # noqa: E731
    return _conditional(validator, build, public=token is None)


@bp.get("/cal/<feed_token>.ics")
def personal_feed(feed_token: str):
    user = feeds.find_user_by_token(feed_token) or abort(404)
    page_for(user, None)  # a calendar app polls with its own language, or none
    validator = feeds.personal_validator(user)
    build = lambda: feeds.cached(validator, lambda: feeds.personal_feed(user))  # noqa: E731
    return _conditional(validator, build, public=False)


@bp.post("/profile/calendar-link")
def reset_feed_token():
    if not current_user.is_authenticated:
        return _sign_in_first()
    if not AppForm().validate_on_submit():
        abort(400)
    had_link = current_user.feed_token is not None
    feeds.reset_token(current_user)
    db.session.commit()
    if had_link:
        flash(_("Your calendar link was reset: subscriptions using the old one stop updating."))
    else:
        flash(_("Your calendar link is ready."))
    target = "profile.edit" if "profile.edit" in current_app.view_functions else "home.home"
    return redirect(url_for(target) + "#calendar-feed")


# ------------------------------------------------------------------ helpers


def _sign_in_first() -> Response:
    if "auth.login" not in current_app.view_functions:
        abort(401)
    return redirect(url_for("auth.login", next=request.path))


def _conditional(
    validator: feeds.Validator,
    build: Callable[[], bytes],
    *,
    public: bool,
    filename: tuple[str, str] | None = None,
) -> Response:
    """Answer 304 from the validator alone when the client holds the current version.
    `filename`: (ASCII, UTF-8) names for the download (RFC 6266 filename and filename*)."""
    last_modified: datetime | None = validator.last_modified
    if not is_resource_modified(request.environ, validator.etag, last_modified=last_modified):
        response = Response(status=304)
    else:
        response = Response(build(), mimetype="text/calendar")
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        if filename:
            ascii_name, name = filename
            response.headers["Content-Disposition"] = (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            )
    response.set_etag(validator.etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.cache_control.max_age = MAX_AGE
    if public:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    return response

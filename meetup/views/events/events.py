"""Event pages: create, edit, cancel (organizers) and the public event page /e/<event_key>."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ...error_messages import message_for, register_messages
from ...extensions import db
from ...forms.base import AppForm
from ...forms.events import EventForm
from ...models import Event, Group, Rsvp, Series, utcnow
from ...services import permissions
from ...services.channels import card_image, labels
from ...services.channels import counts as channel_counts
from ...services.channels import posts as channel_posts
from ...services.errors import DomainError
from ...services.events import approval
from ...services.events import editing as svc
from ...services.events import questions as questions_svc
from ...services.events import seats as rsvp_seats
from ...services.events import series as series_svc
from ...services.events import whos_going as going_list
from ...services.insights import figures as insight_figures
from ...services.intros import proposals as intros_service
from ...timeutil import format_in_zone, zone_abbreviation
from ...urls import absolute_url, event_url
from .. import access

bp = Blueprint("events", __name__)
T = TypeVar("T")

register_messages(
    {
        "event_title_required": (400, _l("Give the event a title.")),
        "event_bad_timezone": (400, _l("Choose a time zone from the list, e.g. Europe/Paris.")),
        "event_time_in_dst_gap": (
            400,
            _l(
                "That time doesn't exist in this time zone: the clocks skip it when daylight "
                "saving time starts. Choose another time."
            ),
        ),
        "event_end_before_start": (
            400,
            _l("The end must be after the start. If it ends after midnight, set the end date."),
        ),
        "event_too_long": (400, _l("An event can last at most 14 days.")),
        "event_in_past": (400, _l("That start is in the past. Choose a time still to come.")),
        "event_deadline_after_start": (400, _l("RSVPs must close before the event starts.")),
        "event_deadline_in_past": (400, _l("That RSVP deadline has already passed.")),
        "event_date_out_of_range": (
            400,
            _l("Choose a date from the year 2000 to five years from now."),
        ),
        "cancelled_event_is_final": (
            409,
            _l("This event has been cancelled and can't be changed."),
        ),
        "event_ended": (409, _l("This event is already over: there is nothing to cancel.")),
        "too_long": (400, _l("That is too long.")),
        "out_of_range": (400, _l("That number is out of range.")),
    }
)

# The same answer for an unknown key and for a members-only event seen by a non-member, so
# keys can't be probed.

# Other blueprints' organizer pages, linked from the event page when they exist in this build.
ORGANIZER_LINKS = (
    ("announcements.page", _l("Announce by email")),
    ("attendees.index", _l("Attendees")),
    ("questions.index", _l("Questions at RSVP")),
    ("door.page", _l("Door check-in")),
    ("intros.review", _l("Introductions")),
)


class _Invalid:
    """What submit returns when the form or the service refused the input."""


INVALID = _Invalid()


def submit(form: EventForm, action: Callable[[svc.EventInput], T]) -> T | _Invalid:
    """Validate, call the service and commit; on a DomainError, show it on the field it names."""
    if not form.validate_on_submit():
        return INVALID
    try:
        result = action(form.to_input())
    except DomainError as err:
        if err.code == "forbidden":
            raise
        db.session.rollback()
        field = getattr(form, str(err.details.get("field", "")), None) or form.title
        field.errors = [*field.errors, _field_message(err)]
        return INVALID
    db.session.commit()
    return result


def render_form(
    form: EventForm,
    group: Group,
    event: Event | None,
    guess_zone: bool = False,
    *,
    model: Event | None = None,
    series: Series | None = None,
):
    """The event form: a new event, an edit of one, or (`series`) an edit of a whole series."""
    status = 400 if form.is_submitted() else 200
    page = render_template(
        "events/form.html",
        form=form,
        group=group,
        event=event,
        guess_zone=guess_zone,
        model=model,
        series=series,
        in_series=event is not None and event.series_id is not None,
    )
    return page, status


def _field_message(err: DomainError) -> str:
    if err.code == "too_long":
        return gettext("At most %(limit)d characters.", limit=err.details["limit"])
    if err.code == "out_of_range":
        return gettext(
            "Enter a number from %(low)d to %(high)d.",
            low=err.details["low"],
            high=err.details["high"],
        )
    return message_for(err.code)[1]


@bp.route("/g/<group_slug>/events/new", methods=["GET", "POST"])
@login_required
def new(group_slug: str):
    group = access.group_or_404(group_slug)
    permissions.require_organizer(group, current_user)
    form = EventForm(zone=svc.last_timezone(group))
    # The form carries the key of the event it copies: its questions at RSVP come too.
    model = _model_event(group, request.values.get("like"))
    if model is not None and not form.is_submitted():
        form.fill_as_copy(model)
    created = submit(form, lambda data: questions_svc.copied(model, _create(group, form, data)))
    if isinstance(created, Event):
        if created.series_id is not None:
            flash(gettext("Your series is ready: here is its first date."), "success")
        else:
            flash(gettext("Your event is ready. Share its link!"), "success")
        session["event_created"] = created.key  # its page opens with the link to copy
        return redirect(url_for("events.show", event_key=created.key))
    # Nothing to go on (no earlier event, nothing typed yet): let the browser suggest its zone.
    guess_zone = not form.is_submitted() and not svc.has_events(group)
    return render_form(form, group, None, guess_zone, model=model)


def _create(group: Group, form: EventForm, data: svc.EventInput) -> Event:
    rule = form.repeat_rule()
    if rule is None:
        return svc.create_event(group, current_user, data)
    series = series_svc.create_series(group, current_user, data, **rule)
    return series_svc.upcoming(series, limit=1)[0]


def _edit(event: Event, form: EventForm, data: svc.EventInput) -> set[str]:
    changed = svc.update_event(event, current_user, data)
    rule = form.repeat_rule() if event.series_id is None else None
    if rule is not None:
        series_svc.repeat_event(event, current_user, **rule)
        changed.add("series")
    return changed


def _model_event(group: Group, key: str | None) -> Event | None:
    """The event a new one is copied from: one of this group's (any other key, or none,
    gives the empty form)."""
    event = svc.get_by_key(key) if key else None
    return event if event is not None and event.group_id == group.id else None


@bp.route("/e/<event_key>/edit", methods=["GET", "POST"])
@login_required
def edit(event_key: str):
    event = access.visible_event_or_404(event_key)
    permissions.require_organizer(event.group_id, current_user)
    if event.cancelled_at is not None:
        raise DomainError("cancelled_event_is_final")
    form = EventForm(zone=event.timezone)
    if not form.is_submitted():
        form.fill_from(event)
    changed = submit(form, lambda data: _edit(event, form, data))
    if isinstance(changed, _Invalid):
        return render_form(form, event.group, event)
    if changed:
        flash(gettext("Saved."), "success")
    else:
        flash(gettext("Nothing changed."), "info")
    return redirect(url_for("events.show", event_key=event.key))


@bp.route("/e/<event_key>/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_key: str):
    event = access.visible_event_or_404(event_key)
    permissions.require_organizer(event.group_id, current_user)
    form = AppForm()
    if form.validate_on_submit():
        if svc.cancel_event(event, current_user):
            db.session.commit()
            flash(gettext("The event is cancelled."), "success")
        return redirect(url_for("events.show", event_key=event.key))
    return render_template("events/cancel.html", event=event, form=form, ended=event.has_ended())


@bp.get("/e/<event_key>")
def show(event_key: str):
    event = access.visible_event_or_404(event_key)
    role = permissions.role_in(event.group_id, current_user)
    is_organizer = role in permissions.ORGANIZER_ROLES
    my_rsvp = None
    if current_user.is_authenticated:
        my_rsvp = db.session.scalar(
            select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == current_user.id)
        )
    ended = event.has_ended()
    list_closed = rsvp_seats.list_closed(event, utcnow())
    # Just made: its link to copy opens the page once, then sits with the organizer's tools.
    just_created = "event_created" in session and session.pop("event_created") == event.key
    signed_in = current_user.is_authenticated
    # Organizers: the answers per status and per channel, in the one query.
    counts, by_channel = (
        channel_counts.figures(event) if is_organizer else (svc.rsvp_counts(event), None)
    )
    my_intros = intros_service.my_sides(event, current_user) if ended and signed_in else []
    return render_template(
        "events/show.html",
        event=event,
        group=event.group,
        my_rsvp=my_rsvp,
        is_organizer=is_organizer,
        organizer_links=ORGANIZER_LINKS,
        counts=counts,
        ended=ended,
        came=svc.came_count(event) if ended else 0,
        my_intros=my_intros,
        intros_coming=(
            intros_service.coming_for(event, my_rsvp, current_user, utcnow())
            if ended and not my_intros
            else None
        ),
        share=_share_meta(event),
        address_hidden=approval.address_hidden(event, my_rsvp, organizer=is_organizer),
        # Once it has started, requests left are closed, not waiting (services/events/approval.py).
        pending_requests=counts.get("requested", 0) if is_organizer and not list_closed else 0,
        just_created=just_created and is_organizer,
        channels=_channel_figures(event, by_channel) if is_organizer else None,
        whos_going=going_list.whos_going(
            event, going=counts.get("going", 0), member=role is not None, my_rsvp=my_rsvp
        ),
        share_link=(
            event_url(event.key, via=labels.SHARE)
            if is_organizer or (my_rsvp is not None and my_rsvp.status in ("going", "waitlisted"))
            else None
        ),
        figures=(
            insight_figures.one_event(event)
            if is_organizer and ended and not event.cancelled_at
            else None
        ),
    )


def _channel_figures(event: Event, by_channel: list) -> dict:
    """For organizers: which channel brought whom, and a tagged link for any channel (the
    link they copy from the page): by default their community's own platform ("slack")."""
    default = _platform_channel(event.group.platform)
    wanted = request.args.get("link_for", default)
    channel = labels.clean(wanted) or labels.from_text(wanted) or default
    hooks, posted = channel_posts.hooks_and_posts(event)
    return {
        "hooks": hooks,
        "posts": posted,
        "posted": {hook.id for post, hook in posted if post.kind == "post"},
        "counts": by_channel,
        "link_for": channel,
        "link": event_url(event.key, via=channel),
    }


def _platform_channel(platform: str | None) -> str:
    """The label of a link given out on the group's platform; "share" when it has none."""
    if not platform or platform == "other":
        return labels.SHARE
    return labels.from_text(platform) or labels.SHARE


def _share_meta(event: Event) -> dict[str, str]:
    """What a link unfurls to in Slack, Discord or LinkedIn. Members-only: nothing specific."""
    if event.visibility != "public":
        return {
            "title": gettext("A members-only event"),
            "description": gettext("Sign in to see the details."),
            "url": event_url(event.key),
        }
    return {
        "title": event.title,
        "description": when_and_where(event),
        "url": event_url(event.key),
        # The card is versioned: an unfurler that keeps images by URL gets the new one.
        "image": absolute_url("link_card.card", event_key=event.key, v=card_image.version(event)),
        "image_alt": gettext(
            "%(title)s, %(when)s, %(group)s",
            title=event.title,
            when=when_and_where(event),
            group=event.group.name,
        ),
    }


def when_and_where(event: Event) -> str:
    """One line: "Tue 5 May 2026, 19:00 CEST · The Loft, 1 Rue de Rivoli, Paris"."""
    start, tz = event.starts_at, event.timezone
    when = f"{format_in_zone(start, tz)} {zone_abbreviation(start, tz)}"
    place = ", ".join(p for p in (event.venue_name, event.public_address) if p)
    text = f"{when} · {place}" if place else when
    if event.cancelled_at is not None:
        text = gettext("Cancelled: %(text)s", text=text)
    return text


@bp.app_template_filter("map_url")
def map_url_filter(address: str) -> str:
    return svc.map_url(address)

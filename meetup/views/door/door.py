"""The door: scanner page, check-in API, walk-ins, guest list, volunteer door links.

Organizers and co-organizers use it signed in; a volunteer opens a door link, which puts that
link's id in the session for that one event. The link is checked again on every request, so
revoking it or its expiry takes effect at once, and it opens nothing but this blueprint's
door endpoints of that event.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from ... import database, qr_codes, security
from ...error_messages import register_messages
from ...extensions import db
from ...forms.base import ButtonForm, json_formdata, json_object
from ...forms.door import (
    BodyError,
    DoorLinkForm,
    ScanBody,
    UndoBody,
    WalkinForm,
    errors_by_field,
)
from ...models import Event, utcnow
from ...services.door import checkin
from ...services.door import guests as door_guests
from ...services.door import links as door_links
from ...services.door import log as door_log
from ...services.door.checkin import Actor
from ...services.errors import DomainError
from ...services.permissions import ORGANIZER_ROLES, is_organizer
from ...urls import absolute_url
from .. import access
from .offline import service_worker_url

bp = Blueprint("door", __name__)

SESSION_KEY = security.DOOR_LINKS  # {event id: door link id}

register_messages(
    {
        "door_link_invalid": (
            404,
            _l("This door link doesn't exist. Check that you copied all of it."),
        ),
        "door_link_revoked": (
            403,
            _l("This door link was revoked. Ask the organizer for a new one."),
        ),
        "door_link_expired": (403, _l("This door link has expired.")),
        "event_over": (400, _l("This event is over: door links can't be made any more.")),
        "event_full": (409, _l("The event is full. An organizer can let them in anyway.")),
        "door_closed": (
            409,
            _l("The door isn't open at this time. An organizer can let them in anyway."),
        ),
        "walkin_removed": (
            409,
            _l(
                "An organizer took this person off the list. Only an organizer can put them "
                "back, from the attendee list."
            ),
        ),
    }
)


# ---------------------------------------------------------------- JSON bodies
# CSRF comes from the X-CSRFToken header, which CSRFProtect checks for every POST.


class _Invalid(Exception):
    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields


def _read_model(model: type[BaseModel]) -> Callable[[dict], BaseModel]:
    def read(data: dict) -> BaseModel:
        try:
            return model.model_validate(data)
        except BodyError as exc:
            raise _Invalid(errors_by_field(exc)) from None

    return read


_read_scan = _read_model(ScanBody)
_read_undo = _read_model(UndoBody)


def _read_walkin(data: dict) -> SimpleNamespace:
    form = WalkinForm(json_formdata(data))
    if not form.validate():
        raise _Invalid(form.errors)
    return SimpleNamespace(**form.data)


def _invalid(fields: dict[str, list[str]]) -> tuple[Response, int]:
    message = _("Some of what you sent isn't valid.")
    return jsonify(error="invalid", message=message, fields=fields), 400


# ---------------------------------------------------------------- who is at the door


def _actor(event: Event | checkin.DoorEvent) -> Actor:
    """The organizer or the volunteer at this event's door; anyone else gets a 403 if they
    may see the event, else the 404 of a key that doesn't exist."""
    if isinstance(event, checkin.DoorEvent):  # the asker's role was read with the event
        organizer = event.role in ORGANIZER_ROLES
    else:
        organizer = is_organizer(event.group_id, current_user)
    if organizer:
        return Actor(f"user:{current_user.id}", current_user.display_name, is_organizer=True)
    link_id = session.get(SESSION_KEY, {}).get(str(event.id))
    if link_id is None:
        if isinstance(event, checkin.DoorEvent):
            access.refuse(event_key=event.key)
        access.refuse(event)
    if isinstance(event, checkin.DoorEvent):  # the link was read with the event
        link = event.link if event.link and door_links.is_active(event.link) else None
    else:
        link = door_links.active(link_id, event.id)
    if link is None:
        raise DomainError("door_link_revoked")
    return Actor(f"door:{link.id}", link.label)


def _respond(event: checkin.DoorEvent, nonce: str, action: Callable[[], dict]) -> Response:
    """Run a check-in action and commit; a concurrent retry of the same nonce (the unique
    (event, nonce) row raced us) is answered with the stored answer."""
    # Who and which event were read as a reader; the answer carries the door's counter, read
    # with the ticket (a replay reads it after the commit).
    database.begin_writes(db.session)
    try:
        result = action()
        database.commit_writes(db.session)
    except IntegrityError:
        db.session.rollback()
        result = checkin.replay(event.id, nonce)
        if result is None:
            raise
        database.commit_writes(db.session)
        result = {**result, "counts": checkin.counts(event.id)}
    return jsonify(result)


# ---------------------------------------------------------------- pages and API


@bp.get("/door/<token>")
def open_link(token: str):
    link = door_links.redeem(token)
    links = dict(session.get(SESSION_KEY, {}))
    links[str(link.event_id)] = link.id
    session[SESSION_KEY] = links
    session.permanent = True  # a volunteer's phone may be locked and reopened all evening
    event = db.session.get(Event, link.event_id)
    return redirect(url_for("door.page", event_key=event.key))


@bp.get("/e/<event_key>/door")
def page(event_key: str):
    event = access.event_or_404(event_key)
    try:
        actor = _actor(event)
    except DomainError as err:
        signed_out = err.code == "forbidden" and not current_user.is_authenticated
        if signed_out and "auth.login" in current_app.view_functions:
            return redirect(url_for("auth.login", next=request.path))
        raise
    opens, closes = checkin.door_window(event)
    now = utcnow()
    resp = current_app.make_response(
        render_template(
            "door/page.html",
            event=event,
            actor=actor,
            counts=checkin.counts(event.id),
            ended=event.has_ended(),
            door_opens=opens if now < opens else None,
            door_closed=closes if now > closes else None,
            walkin_form=WalkinForm(),
            door_config=_page_config(event, actor),
        )
    )
    resp.headers["Cache-Control"] = "private, no-store"  # offline, the page's worker keeps it
    return resp


def _page_config(event: Event, actor: Actor) -> dict:
    """What door.js needs: endpoints, the files to keep offline, and its messages."""
    static = [
        "js/door.js",
        "vendor/jsqr/jsQR.js",
        "js/text.js",
        "css/app.css",
        "vendor/pico/pico.min.css",
    ]
    return {
        "eventKey": event.key,
        "timezone": event.timezone,
        "locale": str(get_locale() or "en"),  # times written as the page's language does
        "cancelled": event.cancelled_at is not None,  # offline scans are refused too
        # Offline scans outside the door's window are refused on the phone too.
        "window": [checkin.iso(edge) for edge in checkin.door_window(event)],
        "organizer": actor.is_organizer,  # may let someone in outside the window
        "csrf": generate_csrf(),
        "urls": {
            "checkin": url_for("door.checkin", event_key=event.key),
            "undo": url_for("door.undo", event_key=event.key),
            "walkin": url_for("door.walkin", event_key=event.key),
            "guests": url_for("door.guests", event_key=event.key),
            "serviceWorker": service_worker_url([url_for("static", filename=f) for f in static]),
        },
        "messages": _messages(),
    }


def _messages() -> dict[str, str]:
    """Door texts, translated here; {name}-style fields are filled in by door.js."""
    return {
        "welcome": _("Welcome, %(name)s", name="{name}"),
        "already": _("Already checked in at %(time)s (by %(by)s)", time="{time}", by="{by}"),
        "alreadyNoBy": _("Already checked in at %(time)s", time="{time}"),
        "notOnList": str(door_log.REFUSALS["unknown"]),
        "notATicket": str(door_log.REFUSALS["not_a_ticket"]),
        "notATicketDetail": _("This QR code is not a ticket of this site."),
        "otherEvent": str(door_log.REFUSALS["other_event"]),
        "otherEventDetail": _("%(name)s's ticket for “%(event)s”", name="{name}", event="{event}"),
        # not_attending: door.js shows M[reason]
        **{
            reason: str(door_log.REFUSALS[reason])
            for reason in ("waitlisted", "pending", "cancelled", "event_cancelled")
        },
        "too_early": str(door_log.REFUSALS["too_early"]),
        "too_late": str(door_log.REFUSALS["too_late"]),
        "tooEarlyDetail": _("%(name)s: the door opens %(time)s", name="{name}", time="{time}"),
        "tooLateDetail": _("%(name)s: the door closed %(time)s", name="{name}", time="{time}"),
        "flagged": _("Admitted twice: flagged for the organizer"),
        "undone": _("Check-in undone: %(name)s", name="{name}"),
        "notCheckedIn": _("%(name)s was not checked in", name="{name}"),
        "offlineNote": _("Offline: checked on this phone, will sync"),
        "online": _("Online"),
        "offline": _("Offline, %(n)s queued", n="{n}"),
        "syncing": _("Online, %(n)s to sync", n="{n}"),
        "checkIn": _("Check in"),
        "checkedIn": _("In at %(time)s", time="{time}"),
        "noMatch": _("No one by that name"),
        "walkinNeedsNetwork": _("Walk-ins need a connection: try again when online."),
        "cameraFailed": _("No camera: use “Search names”."),
        "linkRevoked": _("This door link no longer works. Ask the organizer for a new one."),
        "error": _("That didn't work. Try again."),
        "thisPhone": _("this phone"),
        "guestOf": _("Guest of %(name)s", name="{name}"),
    }


@bp.get("/e/<event_key>/door/guests.json")
def guests(event_key: str):
    event = access.event_or_404(event_key)
    _actor(event)
    resp = jsonify(
        event={
            "key": event.key,
            "title": event.title,
            "timezone": event.timezone,
            # A phone that loaded the page earlier learns of it here, and keeps it offline.
            "cancelled": event.cancelled_at is not None,
        },
        guests=door_guests.full_list(event),  # with named guests, "Guest of Ana"
        counts=checkin.counts(event.id),
    )
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _door_post(event_key: str, read: Callable[[dict], Any], run: Callable[..., dict]) -> Response:
    """The shared shape of the door's JSON POSTs: who, what, then run and answer. The body
    is read first (on PostgreSQL the ticket it names is read with the event), but judged
    after who asks: a stranger learns nothing from it."""
    try:
        body, refusal = read(json_object()), None
    except (_Invalid, DomainError) as exc:
        body, refusal = None, exc
    event = checkin.door_event(
        event_key,
        session.get(SESSION_KEY, {}).values(),
        user_id=current_user.id if current_user.is_authenticated else None,
        token=getattr(body, "token", None),
        rsvp_id=getattr(body, "rsvp_id", None),
    )
    if event is None:
        access.event_not_found()
    actor = _actor(event)
    if isinstance(refusal, _Invalid):
        return _invalid(refusal.fields)
    if refusal is not None:
        raise refusal
    common = {"nonce": body.nonce, "actor": actor, "device": body.device or ""}
    return _respond(event, body.nonce, lambda: run(event, body, **common))


@bp.post("/e/<event_key>/checkin", endpoint="checkin")
@database.reads_first  # SQLite's write lock: for the change alone
def checkin_api(event_key: str):
    return _door_post(event_key, _read_scan, _check_in)


def _check_in(event: checkin.DoorEvent, body: ScanBody, **common) -> dict:
    """A host's ticket (checkin.py), or a named guest's (door_guests): by the guest's id
    from the name list, or by a token no RSVP holds."""
    options = {"method": body.method or "scan", "override": body.override, **common}
    now = utcnow()
    scanned_at = min(body.scanned_at or now, now)

    def guest(token: str | None = None, guest_id: int | None = None) -> dict | None:
        return door_guests.check_in(
            event, token=token, guest_id=guest_id, scanned_at=scanned_at, now=now, **options
        )

    if body.guest_id is not None:
        return guest(guest_id=body.guest_id)
    return checkin.check_in(
        event,
        token=body.token,
        rsvp_id=body.rsvp_id,
        scanned_at=body.scanned_at,
        now=now,
        guests=lambda raw: guest(token=raw),
        **options,
    )


@bp.post("/e/<event_key>/checkin/undo")
@database.reads_first  # SQLite's write lock: for the change alone
def undo(event_key: str):
    return _door_post(
        event_key,
        _read_undo,
        lambda event, body, **common: (
            checkin.undo(
                event,
                rsvp_id=body.rsvp_id,
                method=body.method or "manual",
                scanned_at=body.scanned_at,
                **common,
            )
            if body.guest_id is None
            else door_guests.undo(
                event,
                guest_id=body.guest_id,
                method=body.method or "manual",
                scanned_at=min(body.scanned_at or utcnow(), utcnow()),
                **common,
            )
        ),
    )


@bp.post("/e/<event_key>/door/walkin")
@database.reads_first  # SQLite's write lock: for the change alone
def walkin(event_key: str):
    return _door_post(
        event_key,
        _read_walkin,
        lambda event, body, **common: checkin.register_walkin(
            event,
            name=body.name,
            email=body.email,
            override=body.override,
            **common,
        ),
    )


# ---------------------------------------------------------------- organizer: links and flags


@bp.route("/e/<event_key>/door/links", methods=["GET", "POST"])
def links(event_key: str):
    event = access.event_for_organizer(event_key)
    form = DoorLinkForm()
    if form.validate_on_submit():
        link, token = door_links.create(event, form.label.data)
        db.session.commit()
        # Shown once: only the hash is kept.
        session["new_door_link"] = {"id": link.id, "token": token}
        return redirect(url_for("door.links", event_key=event.key))
    new = session.pop("new_door_link", None)
    new_url = absolute_url("door.open_link", token=new["token"]) if new else None
    return render_template(
        "door/links.html",
        event=event,
        form=form,
        button=ButtonForm(),
        refusal=door_links.refusal(event),
        links=door_links.for_event(event.id),
        is_active=door_links.is_active,
        new_url=new_url,
        new_qr=qr_codes.qr_svg(new_url).decode() if new_url else None,
        flagged=[
            (rsvp, [door_log.describe(entry) for entry in entries])
            for rsvp, entries in checkin.flagged(event.id)
        ],
        log=[door_log.describe(entry) for entry in checkin.recent_log(event.id)],
    ), (400 if form.errors else 200)


@bp.get("/e/<event_key>/door/log.csv")
def log_csv(event_key: str):
    event = access.event_for_organizer(event_key)
    return Response(
        door_log.to_csv(event),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="door-log-{event.key}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/e/<event_key>/door/links/<id:link_id>/revoke")
def revoke_link(event_key: str, link_id: int):
    event = access.event_for_organizer(event_key)
    if not ButtonForm().validate_on_submit():
        raise DomainError("invalid")
    link = door_links.revoke(event, link_id)
    db.session.commit()
    flash(_("Door link “%(label)s” revoked.", label=link.label), "success")
    return redirect(url_for("door.links", event_key=event.key))


@bp.post("/e/<event_key>/door/flags/<id:rsvp_id>/resolve")
def resolve_flag(event_key: str, rsvp_id: int):
    event = access.event_for_organizer(event_key)
    if not ButtonForm().validate_on_submit():
        raise DomainError("invalid")
    checkin.resolve_flag(event, rsvp_id)
    db.session.commit()
    flash(_("Marked as resolved."), "success")
    return redirect(url_for("door.links", event_key=event.key))

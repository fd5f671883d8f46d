"""RSVP: answer from the event page, confirm by email link, claim a held seat, leave the
waitlist by link. The organizer's attendee list is views/events/attendees.py."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only
from wtforms.validators import InputRequired, Length

from ... import database, security
from ...error_messages import MESSAGES, register_messages
from ...extensions import db, limiter
from ...forms.base import ButtonForm, MailableEmail
from ...forms.events import RsvpForm
from ...models import RSVP_STATUSES, Event, Group, Membership, Rsvp, User, utcnow
from ...services.errors import DomainError
from ...services.events import answers as rsvp_answers
from ...services.events import leave_links
from ...services.events import seats as rsvp_seats
from ...services.events import waitlist as rsvp_waitlist
from ...services.intros import chips as chips_service
from ...services.permissions import ORGANIZER_ROLES, can_view_event, is_member, is_organizer
from ...services.tokens import same
from ...templating import page_about_group, page_for
from .. import access
from ..channels import tracking
from . import questions as event_questions

bp = Blueprint("rsvp", __name__)

register_messages(
    {
        "rsvp_closed": (409, _l("RSVPs for this event have closed.")),
        "event_started": (409, _l("This event has already started, so answers can't change.")),
        "event_cancelled": (409, _l("This event was cancelled.")),
        "members_only": (403, _l("This event is for members of the group only.")),
        "members_only_sign_in": (
            403,
            _l("This event is for members of the group: sign in first, then RSVP."),
        ),
        "rsvp_removed": (
            403,
            _l("An organizer took you off the list for this event. Please contact them."),
        ),
        "rsvp_not_found": (404, _l("That person isn't on this event's list.")),
        "not_waitlisted": (409, _l("Only someone on the waitlist can be promoted.")),
        "not_removed": (409, _l("Only someone who was removed can be put back.")),
        "not_removable": (409, _l("Only someone going or on the waitlist can be removed.")),
        "already_going": (409, _l("This person is already going.")),
        "add_removed": (
            409,
            _l("This person was removed from the list: use “Put back on the list” below."),
        ),
        "no_free_seat": (
            409,
            _l("No seat is free. Tick “over capacity” to seat this person anyway."),
        ),
        "invalid_capacity": (400, _l("The capacity must be a whole number, 0 or more.")),
        "claim_lapsed": (410, _l("This seat is no longer held for you.")),
        # Not "ask for a new one", as for sign-in links: nobody hands these out on request.
        "leave_link_invalid": (
            404,
            _l(
                "This link isn't valid. Use the one in your latest waitlist email, or sign in "
                "and leave the waitlist from the event's page."
            ),
        ),
        "not_waitlisted_anymore": (
            410,
            _l(
                "You're no longer on this event's waitlist. If a seat came your way, its email "
                "has your ticket."
            ),
        ),
    }
)
# Shared with sign-in; keep the accounts blueprint's wording if it registered them first.
for _code, _entry in {
    "link_invalid": (404, _l("This link isn't valid. Ask for a new one.")),
    "link_used": (410, _l("This link was already used. Ask for a new one.")),
    "link_expired": (410, _l("This link has expired. Ask for a new one.")),
    "invalid_email": (400, _l("Please enter a valid email address.")),
}.items():
    MESSAGES.setdefault(_code, _entry)

_ZERO = dict.fromkeys(RSVP_STATUSES, 0)
# Keys and tokens are URL-safe base64 (services/tokens.py); anything else can't match a row.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


# ------------------------------------------------------------------ helpers


# The event and the asker's role in its group, in one statement (an answer's only reads);
# with the signed-in user's row too, which is otherwise a statement of its own.
_EVENT_AND_ROLE = (
    select(Event, Membership.role, Group.locale.label("group_locale"))
    .join(Group, Group.id == Event.group_id)
    .outerjoin(
        Membership,
        (Membership.group_id == Event.group_id) & (Membership.user_id == bindparam("user_id")),
    )
    .where(Event.key == bindparam("key"))
)
_EVENT_ROLE_AND_USER = _EVENT_AND_ROLE.add_columns(User).outerjoin(
    User, User.id == bindparam("user_id")
)
# An answer reads only these (and writes them into the RSVP and its notice): in a burst,
# the other columns cost more to read than the statement took to run. Any other column a
# request touches is loaded when it is (the form's error page).
_TO_ANSWER = _EVENT_ROLE_AND_USER.options(
    load_only(
        Event.key,
        Event.group_id,
        Event.title,
        Event.visibility,
        Event.starts_at,
        Event.claim_window_hours,
        Event.reminder_hours,  # a seat taken once the reminder is due: one email
        Event.sequence,
        Event.requires_approval,
        Event.questions,  # asked at RSVP (services/events/questions.py)
        Event.rsvp_deadline,
    ),
    load_only(
        User.email,
        User.name,
        User.session_token,
        User.looking_for,
        User.can_offer,
        User.wants_intros,
        User.locale,
    ),
)


# PostgreSQL: an answer's read takes the event's lock (shared by newcomers to a full event:
# rsvp_seats.with_lock) and reads its seats too, one round trip fewer per answer.
_TO_ANSWER_LOCKED = rsvp_seats.with_lock(_TO_ANSWER)


def _event_and_role_or_404(
    event_key: str, *, to_answer: bool = False
) -> tuple[Event, User | None, str | None]:
    """The event, the signed-in user (None: signed out) and their role in its group (None:
    not a member). Unknown and forged keys are 404. `to_answer`: only what an answer uses."""
    event, user, role, _ = _read_or_404(event_key, to_answer=to_answer)
    return event, user, role


def _read_or_404(
    event_key: str, *, to_answer: bool = False, lock: bool = False
) -> tuple[Event, User | None, str | None, rsvp_seats.Locked | None]:
    """_event_and_role_or_404(), and with `lock` (PostgreSQL, signed in) the event's lock
    for the user's answer, taken by the same statement."""
    if not _TOKEN_SHAPE.fullmatch(event_key):
        access.event_not_found()
    claimed = security.claimed_user_id()
    params: dict = {"key": event_key, "user_id": claimed}
    lock = lock and claimed is not None and rsvp_seats.can_lock_with_read()
    if claimed is None:
        statement = _EVENT_AND_ROLE
    elif lock:
        statement, params["lock"] = _TO_ANSWER_LOCKED, rsvp_seats.lock_param()
    else:
        statement = _TO_ANSWER if to_answer else _EVENT_ROLE_AND_USER
    row = db.session.execute(statement, params).first()
    if row is None:
        access.event_not_found()
    page_about_group(row.Event.group_id, row.group_locale)
    user = security.signed_in_user(prefetched=row.User if claimed is not None else None)
    signed_in = user is not None and user.id == claimed
    locked = rsvp_seats.locked_from_row(row, row.Event.id) if lock and signed_in else None
    # The role was read for the claimed id: it counts only if the session proved it.
    return row.Event, user, row.role if signed_in else None, locked


def _event_or_404(event_key: str) -> Event:
    return _event_and_role_or_404(event_key)[0]


def _event_page(event: Event) -> str:
    if "events.show" in current_app.view_functions:
        return url_for("events.show", event_key=event.key) + "#rsvp"
    return url_for("rsvp.page", event_key=event.key)


# A signed-out person who asked for a link sees "we emailed a link to ..." in the panel, on
# every visit until they sign in, rather than the empty form again: the last few asks, as
# [event key, email] pairs, oldest first (a list: the session's JSON sorts a dict's keys).
_ASKED = "rsvp_asked"
_ASKED_KEPT = 5


def _asked() -> list[list[str]]:
    asked = session.get(_ASKED)
    return asked if isinstance(asked, list) else []


def _remember_ask(event_key: str, email: str) -> None:
    others = [pair for pair in _asked() if pair[0] != event_key]
    session[_ASKED] = [*others[-(_ASKED_KEPT - 1) :], [event_key, email]]


def _asked_email(event_key: str) -> str | None:
    return next((email for key, email in _asked() if key == event_key), None)


def _my_rsvp(event: Event) -> Rsvp | None:
    if not current_user.is_authenticated:
        return None
    return db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == current_user.id)
    )


def _retry_once(action):
    """Run a service call as the request's write and commit. It is rolled back and run
    again (when the other request's row is visible) after a unique-constraint race (two
    identical requests at once), or with the event's exclusive lock if it held the shared
    one and needs more. What the request reads afterwards, it reads as a reader."""
    database.begin_writes(db.session)
    try:
        result = action()
        database.commit_writes(db.session)
    except (IntegrityError, rsvp_seats.NeedsExclusiveLock):
        db.session.rollback()
        result = action()
        database.commit_writes(db.session)
    return result


# ------------------------------------------------------------------ the panel


def panel_state(
    event: Event, my_rsvp: Rsvp | None, counts: dict | None = None, organizer: bool | None = None
) -> dict:
    """What templates/rsvp/_panel.html needs, in a fixed number of queries. `counts` (rows
    per status) and `organizer` (whether the viewer organizes the event's group) save a query
    each when the page has them already."""
    counts = rsvp_seats.counts(event.id) if counts is None else {**_ZERO, **counts}
    signed_in = current_user.is_authenticated
    form = RsvpForm(formdata=None)
    source = my_rsvp or (current_user if signed_in else None)
    if source is not None:
        form.looking_for.data = source.looking_for
        form.can_offer.data = source.can_offer
        form.wants_intros.data = source.wants_intros
    form.listed.data = bool(my_rsvp.listed) if my_rsvp is not None else False
    shown = _chips(my_rsvp, current_user if signed_in else None)
    form.show_chips(shown)
    now = utcnow()
    full = event.capacity is not None and counts["going"] >= event.capacity
    if event.cancelled_at is not None:
        state = "cancelled"
    elif now >= event.ends_at:
        state = "ended"
    elif now >= event.starts_at:
        state = "started"
    elif my_rsvp is not None and my_rsvp.status in (*rsvp_seats.HELD, "removed", "declined"):
        state = my_rsvp.status
    elif event.rsvp_deadline is not None and now >= event.rsvp_deadline:
        state = "closed"
    elif event.visibility != "public" and not (
        signed_in and is_member(event.group_id, current_user)
    ):
        state = "members_only"
    else:
        state = "open"
    return {
        "state": state,
        "counts": counts,
        "full": full,
        "seats_left": None if event.capacity is None else max(0, event.capacity - counts["going"]),
        "position": rsvp_seats.waitlist_position(my_rsvp) if my_rsvp else None,
        "pending": my_rsvp is not None and my_rsvp.status == "pending",
        "asked": None if signed_in else _asked_email(event.key),
        "form": form,
        "we_read": shown.summary,
        # Open the answers while something read was never shown: one tap to confirm it.
        "confirm_chips": bool(shown.summary)
        and not chips_service.confirmed(my_rsvp.intents if my_rsvp else None, shown),
        "signed_in": signed_in,
        "organizer": signed_in
        and (is_organizer(event.group_id, current_user) if organizer is None else organizer),
    }


def _chips(rsvp: Rsvp | None, user: User | None) -> chips_service.Chips:
    """The chips of the panel: as answered for this event, else as in the profile; what the
    words say is preselected unless it was unticked."""
    source = rsvp or user
    words = (source.looking_for, source.can_offer) if source is not None else ("", "")
    if rsvp is not None and rsvp.intents is not None:
        saved = rsvp.intents
        ticked, declined = [*saved["looking"], *saved["offer"]], saved["declined"]
    elif user is not None:
        ticked = [*(user.looking_intents or ()), *(user.offer_intents or ())]
        declined = user.declined_intents or ()
    else:
        ticked, declined = [], []
    return chips_service.chips(*words, ticked, declined)


@bp.app_context_processor
def _panel_helpers() -> dict:
    return {"rsvp_panel": panel_state}


@bp.get("/e/<event_key>/rsvp")
def page(event_key: str):
    """The RSVP panel on its own page (no-JS fallback and form errors)."""
    event = _event_or_404(event_key)
    if not can_view_event(event, current_user):
        access.event_not_found()
    return render_template("events/rsvp.html", event=event, my_rsvp=_my_rsvp(event))


# ------------------------------------------------------------------ answering


@bp.post("/e/<event_key>/rsvp")
@database.reads_first  # SQLite's write lock is held for the answer alone, not the reads
@limiter.limit("10/minute;50/hour", exempt_when=lambda: current_user.is_authenticated)
def submit(event_key: str):
    # The form is checked before the first read: on PostgreSQL that read takes the event's
    # lock (for a signed-in answer), which is then held only for the answer itself.
    form = _rsvp_form(signed_in=security.claimed_user_id() is not None)
    valid = form.validate()
    get_locale()  # the notice's language, chosen before the lock too
    event, user, role, locked = _read_or_404(event_key, to_answer=True, lock=valid)
    signed_in = user is not None
    # Visibility first: whoever may not see the event gets the unknown key's answer, before
    # the form is judged (its error page shows the event).
    if event.visibility != "public" and role is None and not can_view_event(event, user):
        access.event_not_found()
    if not signed_in and security.claimed_user_id() is not None:
        form = _rsvp_form(signed_in=False)  # a session that no longer signs anyone in
        valid = form.validate()
    if not valid:
        return render_template("events/rsvp.html", event=event, my_rsvp=None, rsvp_form=form), 400
    answers = form.answers()
    answers.channel = tracking.channel_for(event_key=event.key)
    going = form.answer.data == "going"
    problem = going and event_questions.read_answers(event, answers, signed_in=signed_in)
    if problem:  # shown again by the panel, each next to its question
        mine = _my_rsvp(event) if signed_in else None
        return render_template(
            "events/rsvp.html", event=event, my_rsvp=mine, rsvp_form=form, question_problem=problem
        ), 400
    if signed_in:
        member = event.visibility == "public" or role is not None  # read before the lock
        organizer = role in ORGANIZER_ROLES  # needs nobody's approval
        # The lock taken by the read holds for the first try only: a retry runs in a new
        # transaction, which takes the exclusive one.
        first_try = [locked]

        def act() -> Rsvp:
            held = first_try.pop() if first_try else None
            return rsvp_answers.answer(
                event, user, going, answers, member=member, locked=held, approved=organizer
            )

        # The answer's outcome is told by the panel the redirect scrolls to ("You're going!",
        # the place in line): a flash sat at the top of the page, out of view on a phone, and
        # rewrote the session cookie on every answer of a burst.
        _retry_once(act)
    else:
        if form.answer.data != "going":
            return redirect(_event_page(event), 303)
        _retry_once(
            lambda: rsvp_answers.request_by_email(event, form.email.data, form.name.data, answers)
        )
        _remember_ask(event.key, form.email.data)
    return redirect(_event_page(event), 303)


@bp.get("/e/<event_key>/rsvp/cant-go")
def cant_go(event_key: str):
    """ "I can't go anymore" asks once before the seat moves: a page with the POST button
    (no script needed), since on a full event the seat goes to the next person at once."""
    event = _event_or_404(event_key)
    if not can_view_event(event, current_user):
        access.event_not_found()
    my_rsvp = _my_rsvp(event)
    if my_rsvp is None or my_rsvp.status != "going":
        return redirect(_event_page(event))  # no seat to give up (any more)
    counts = rsvp_seats.counts(event.id)
    resp = current_app.make_response(
        render_template(
            "events/rsvp_cant_go.html",
            event=event,
            waiting=counts.get("waitlisted", 0),
            form=ButtonForm(),
        )
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _rsvp_form(*, signed_in: bool) -> RsvpForm:
    form = RsvpForm()
    if not signed_in:
        form.name.validators = [InputRequired(), Length(max=120)]
        form.email.validators = [InputRequired(), MailableEmail(), Length(max=254)]
    return form


@bp.route("/rsvp/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The emailed link. GET shows one button (mail scanners prefetch links); POST uses it.
    A link already used shows where its answer left the person, if it placed them."""
    try:
        if request.method == "GET":
            rsvp = rsvp_answers.peek_link(token)
            page_for(rsvp.user, rsvp.event.group)
            return render_template(
                "events/rsvp_confirm.html",
                event=rsvp.event,
                rsvp=rsvp,
                joins_waitlist=rsvp_answers.joins_waitlist(rsvp),
                form=ButtonForm(),
            )
        if not ButtonForm().validate():
            abort(400)
        rsvp = rsvp_answers.confirm_by_link(token)
    except DomainError as err:
        db.session.rollback()
        placed = rsvp_answers.placed_by_used_link(token) if err.code == "link_used" else None
        if placed is None:
            raise
        return _standing(placed)
    user, event = rsvp.user, rsvp.event
    db.session.commit()
    login_user(user, remember=True)
    return redirect(_event_page(event), 303)  # the panel tells the outcome, as for an answer


def _standing(rsvp: Rsvp) -> str:
    """Where a confirmed answer left someone: going (the ticket is in their email) or their
    place on the waitlist."""
    page_for(rsvp.user, rsvp.event.group)
    return render_template(
        "events/rsvp_standing.html",
        event=rsvp.event,
        rsvp=rsvp,
        position=rsvp_seats.waitlist_position(rsvp),
        sign_in=url_for("auth.login", next=url_for("events.show", event_key=rsvp.event.key))
        if "auth.login" in current_app.view_functions
        and "events.show" in current_app.view_functions
        else None,
    )


@bp.route("/e/<event_key>/claim/<ticket_token>", methods=["GET", "POST"])
def claim(event_key: str, ticket_token: str):
    """A promoted person confirms the seat held for them (the link in their email)."""
    event = _event_or_404(event_key)
    rsvp = None
    if _TOKEN_SHAPE.fullmatch(ticket_token):
        rsvp = rsvp_seats.find_by_ticket(event, ticket_token)
    if rsvp is None or not same(rsvp.ticket_token, ticket_token):
        # The ticket is the claim's key: without it, only who may see the event learns of it.
        if not can_view_event(event, current_user):
            access.event_not_found()
        raise DomainError("claim_lapsed")
    page_for(rsvp.user, None)  # the event's group is the page's already
    if request.method == "GET":
        return render_template("events/rsvp_claim.html", event=event, rsvp=rsvp, form=ButtonForm())
    if not ButtonForm().validate():
        abort(400)
    rsvp_waitlist.claim(rsvp)
    db.session.commit()
    flash(_("Your seat is confirmed. See you there!"), "success")
    # On to the ticket, what they need next: it opens without signing in, where the event
    # page of a members-only event is a 404 to someone signed out, and asks anyone else to
    # RSVP again.
    if "tickets.show" in current_app.view_functions:
        return redirect(url_for("tickets.show", ticket_token=rsvp.ticket_token), 303)
    return redirect(_event_page(event), 303)


@bp.route("/rsvp/leave/<token>", methods=["GET", "POST"])
def leave(token: str):
    """The waitlist email's "leave the waitlist" link, no sign-in needed. GET shows one
    button (mail scanners prefetch links); POST leaves."""
    if request.method == "GET":
        rsvp = leave_links.waiting_by_leave_token(token)
        page_for(rsvp.user, rsvp.event.group)
        position = rsvp_seats.waitlist_position(rsvp)
        return render_template(
            "events/rsvp_leave.html",
            event=rsvp.event,
            rsvp=rsvp,
            position=position,
            form=ButtonForm(),
        )
    if not ButtonForm().validate():
        abort(400)
    event = rsvp_answers.leave_waitlist(token).event
    db.session.commit()
    flash(
        _("You left the waitlist for %(title)s. Thanks for letting us know.", title=event.title),
        "success",
    )
    return after_leaving(event)


def after_leaving(event: Event) -> Response:
    """Where someone who left an event's list without signing in lands: its page, or the
    home page if they may not see it (members-only, signed out)."""
    if "events.show" in current_app.view_functions and can_view_event(event, current_user):
        return redirect(url_for("events.show", event_key=event.key), 303)
    return redirect(url_for("home.home"), 303)

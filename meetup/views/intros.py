"""Introductions: the organizer's review of an event's pairs, the group's figures, the
yes/no and "did you meet?" links from emails (no sign-in), and the intro settings of a profile.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from .. import database
from ..error_messages import register_messages
from ..extensions import db
from ..forms.base import AppForm
from ..forms.intros import AddPairForm, IntroSettingsForm
from ..models import Event, utcnow
from ..services.intros import chips as chips_service
from ..services.intros import proposals as svc
from ..templating import page_for
from . import access

bp = Blueprint("intros", __name__)
MAX_WORDS = 1000  # characters of each box, as the forms allow

register_messages(
    {
        "intro_pair_not_found": (404, _l("That introduction doesn't exist.")),
        "intros_already_sent": (
            409,
            _l("The suggestions have already been sent: pairs can't be changed any more."),
        ),
        "intros_event_not_ended": (409, _l("Introductions are prepared after the event ends.")),
        "intros_too_late": (
            409,
            _l(
                "Suggestions go out only in the %(days)s days after an event.",
                days=svc.SEND_WINDOW.days,
            ),
        ),
        "intro_reason_required": (400, _l("Say why these two should meet: they will read it.")),
        "intro_same_person": (400, _l("Choose two different people.")),
        "intro_not_attendee": (400, _l("Both people must have checked in at this event.")),
        "intro_pair_exists": (409, _l("These two are already paired for this event.")),
        "intro_link_invalid": (
            404,
            _l("This link doesn't work any more. It may have been mistyped or cut in two."),
        ),
        "intro_block_unknown": (
            400,
            _l("We couldn't find anyone by that name among the members of your groups."),
        ),
        "intro_block_ambiguous": (
            400,
            _l("Several members of your groups have that name: ask an organizer for help."),
        ),
    }
)


@bp.app_template_global()
def intro_we_read() -> str:
    """What we read in the signed-in user's profile words, for the chips' "We read" line."""
    return chips_service.chips(current_user.looking_for, current_user.can_offer).summary


@bp.app_template_global()
def intro_settings_form() -> IntroSettingsForm:
    """The form of templates/intros/_profile_fields.html, filled from the signed-in user."""
    form = IntroSettingsForm(current_user, formdata=None, obj=current_user)
    # The tags saved, and what the profile's words say unless it was unticked.
    form.show_chips(
        chips_service.chips(
            current_user.looking_for,
            current_user.can_offer,
            [*(current_user.looking_intents or ()), *(current_user.offer_intents or ())],
            current_user.declined_intents or (),
        )
    )
    form.keep_blocked.data = [choice.value for choice in form.keep_blocked.choices]
    return form


# ---------------------------------------------------------------- organizer


def _prepare(event: Event) -> None:
    """Build the proposals the first time the page is opened after the event (a write);
    not once it is too late to send them: they would be a list of what never happens."""
    now = utcnow()
    if not svc.took_place(event, now) or svc.too_late(event, now) or svc.pairs_exist(event):
        return
    db.session.rollback()
    token = database.set_write_intent(True)  # SQLite: BEGIN IMMEDIATE for this write
    try:
        svc.ensure_proposals(db.session.merge(event), now=now)
        db.session.commit()
    except IntegrityError:  # another request built them at the same moment
        db.session.rollback()
    finally:
        database.reset_write_intent(token)


@bp.get("/e/<event_key>/intros")
@login_required
def review(event_key: str):
    event = access.event_for_organizer(event_key)
    _prepare(event)
    event = access.event_for_organizer(event_key)
    pairs, now = svc.pairs(event), utcnow()
    people = [u for _r, u in svc.attendees(event)]
    form = AddPairForm()
    form.user_id.choices = form.other_id.choices = [
        SelectChoice(u.id, u.display_name) for u in people
    ]
    return render_template(
        "intros/review.html",
        event=event,
        pairs=pairs,
        counts=svc.counts_by_event([event.id]).get(event.id, svc.Counts()),
        ended=svc.took_place(event, now),
        state=svc.send_state(event, pairs, now),
        send_time=svc.send_time(event),
        window_days=svc.SEND_WINDOW.days,
        add_form=form,
        form=AppForm(),
    )


@bp.post("/e/<event_key>/intros/approve")
@login_required
def approve(event_key: str):
    event = access.event_for_organizer(event_key)
    if not AppForm().validate_on_submit():
        abort(400)
    svc.approve(event)
    db.session.commit()
    flash(_("Approved: the suggestions are on their way."), "success")
    return redirect(url_for("intros.review", event_key=event.key))


@bp.post("/e/<event_key>/intros/<id:pair_id>/remove")
@login_required
def remove(event_key: str, pair_id: int):
    event = access.event_for_organizer(event_key)
    if not AppForm().validate_on_submit():
        abort(400)
    svc.remove_pair(event, pair_id)
    db.session.commit()
    flash(_("Removed. They won't be suggested to each other."), "success")
    return redirect(url_for("intros.review", event_key=event.key))


@bp.post("/e/<event_key>/intros/add")
@login_required
def add(event_key: str):
    event = access.event_for_organizer(event_key)
    form = AddPairForm()
    people = [u for _r, u in svc.attendees(event)]
    form.user_id.choices = form.other_id.choices = [
        SelectChoice(u.id, u.display_name) for u in people
    ]
    if not form.validate_on_submit():
        message = next(iter(e for errs in form.errors.values() for e in errs), None)
        flash(message or _("Some of what you sent isn't valid."), "error")
        return redirect(url_for("intros.review", event_key=event.key), 303)
    svc.add_pair(event, form.user_id.data, form.other_id.data, form.reason.data)
    db.session.commit()
    flash(_("Added."), "success")
    return redirect(url_for("intros.review", event_key=event.key))


@bp.get("/g/<group_slug>/intros")
@login_required
def group_stats(group_slug: str):
    group = access.group_for_organizer(group_slug)
    events = list(
        db.session.scalars(
            select(Event)
            .where(Event.group_id == group.id, Event.ends_at <= utcnow())
            .order_by(Event.starts_at.desc())
        )
    )
    counts = svc.counts_by_event(e.id for e in events)
    return render_template(
        "intros/group.html", group=group, rows=[(e, counts.get(e.id, svc.Counts())) for e in events]
    )


# ---------------------------------------------------------------- answers, no sign-in


def _link(token: str, answer: str, record, confirm_template: str, done_template: str):
    """GET shows one big confirm button (safe for link previewers and mail scanners);
    the POST it sends records the answer."""
    if answer not in svc.ANSWERS:
        abort(404)
    form = AppForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        side = record(token, answer)
        db.session.commit()
        event = db.session.get(Event, side.pair.event_id)  # the way back, when answered there
        page_for(side.me, event.group)
        return render_template(done_template, side=side, answer=answer, event=event)
    side = svc.side_for(token)
    page_for(side.me, db.session.get(Event, side.pair.event_id).group)
    return render_template(confirm_template, side=side, answer=answer, form=form)


@bp.route("/i/<token>/<answer>", methods=["GET", "POST"])
def answer(token: str, answer: str):
    return _link(token, answer, svc.record_answer, "intros/answer.html", "intros/answered.html")


@bp.route("/i/<token>/met/<answer>", methods=["GET", "POST"])
def met(token: str, answer: str):
    return _link(token, answer, svc.record_met, "intros/met.html", "intros/met_recorded.html")


# ---------------------------------------------------------------- reading words for the chips


@bp.get("/intros/read")
def read_words():
    """What we read in words being typed, for the chips' script: the tags and the "We read"
    line. Reads only (nothing stored, no sign-in needed: the words are the caller's own)."""
    looking_for = request.args.get("looking_for", "")
    can_offer = request.args.get("can_offer", "")
    if len(looking_for) > MAX_WORDS or len(can_offer) > MAX_WORDS:
        abort(400)
    shown = chips_service.chips(looking_for, can_offer)
    line = (
        _("We read: %(summary)s. Right?", summary=shown.summary)
        if shown.summary
        else _("Tick what you are here for: it helps us introduce you to the right people.")
    )
    return jsonify(read=list(shown.read), line=line)


# ---------------------------------------------------------------- profile settings


@bp.post("/profile/intros")
@login_required
def save_settings():
    form = IntroSettingsForm(current_user)
    if not form.validate_on_submit():
        flash(_("Some of what you sent isn't valid."), "error")
        return redirect(_profile_url(), 303)
    newly = form.save_to(current_user)
    db.session.commit()
    if newly is not None:
        flash(_("%(name)s won't be suggested to you. They aren't told.", name=newly.display_name))
    flash(_("Introduction settings saved."), "success")
    return redirect(_profile_url())


def _profile_url() -> str:
    if "profile.edit" in current_app.view_functions:
        return url_for("profile.edit") + "#intros"
    return url_for("home.home")

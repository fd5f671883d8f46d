"""The group insights page and its CSV files (organizers only; anyone else gets the 404 of a
group that doesn't exist)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...error_messages import register_messages
from ...extensions import db
from ...forms.base import ButtonForm
from ...forms.insights import PRESETS, read_period
from ...models import utcnow
from ...services.insights import cache, charts, digest, exports, figures
from .. import access

bp = Blueprint("insights", __name__)

register_messages(
    {
        "bad_period": (
            400,
            _l("Choose the period with two dates (year-month-day), the first before the last."),
        ),
    }
)

STAGE_LABELS = {
    "reached": _l("Reached"),
    "joined": _l("Joined"),
    "going": _l("RSVPed going"),
    "came": _l("Came"),
    "introduced": _l("Got an introduction"),
    "accepted": _l("Accepted one"),
    "met": _l("Said they met"),
}
PRESET_LABELS = {"90": _l("3 months"), "365": _l("12 months"), "all": _l("All time")}


def _figures(group_slug: str):
    group = access.group_for_organizer_or_404(group_slug)
    choice = read_period(request.args, utcnow())
    return group, choice


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/g/<group_slug>/insights")
@login_required
def show(group_slug: str):
    group, choice = _figures(group_slug)
    now = utcnow()

    def compute():
        overall, channels = figures.funnel(group, choice.period)
        events = figures.event_figures(group, choice.period, now=now)
        return overall, channels, events, figures.link_channels(group, choice.period, now=now)

    key = ("page", group.id, choice.period)
    overall, channels, events, link_channels = cache.cached(key, group.id, now, compute)
    response = Response(
        render_template(
            "insights/page.html",
            group=group,
            choice=choice,
            presets=PRESETS,
            preset_labels=PRESET_LABELS,
            stage_labels=STAGE_LABELS,
            overall=overall,
            channels=channels,
            funnel_chart=charts.funnel_chart(overall),
            events=events,
            trend=charts.trend_chart(events),
            link_channels=link_channels,
            digest_form=ButtonForm(),
        )
    )
    return _no_store(response)


def _csv(body: str, name: str) -> Response:
    return _no_store(
        Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    )


@bp.get("/g/<group_slug>/insights/funnel.csv")
@login_required
def funnel_csv(group_slug: str):
    group, choice = _figures(group_slug)
    overall, channels = figures.funnel(group, choice.period)
    return _csv(exports.funnel_csv(overall, channels), f"funnel-{group.slug}.csv")


@bp.get("/g/<group_slug>/insights/events.csv")
@login_required
def events_csv(group_slug: str):
    group, choice = _figures(group_slug)
    events = figures.event_figures(group, choice.period)
    return _csv(exports.events_csv(events), f"events-{group.slug}.csv")


@bp.get("/g/<group_slug>/insights/links.csv")
@login_required
def links_csv(group_slug: str):
    group, choice = _figures(group_slug)
    channels = figures.link_channels(group, choice.period)
    return _csv(exports.links_csv(channels), f"links-{group.slug}.csv")


@bp.post("/g/<group_slug>/insights/digest")
@login_required
def set_digest(group_slug: str):
    group = access.group_for_organizer_or_404(group_slug)
    if not ButtonForm().validate_on_submit():
        abort(400)
    on = request.form.get("on") == "1"
    digest.set_digest(group, current_user, on)
    db.session.commit()
    if on:
        flash(
            _("Organizers will get a daily email on days with new RSVPs or cancellations."),
            "success",
        )
    else:
        flash(_("The daily RSVP email is off."), "success")
    return redirect(url_for(".show", group_slug=group.slug) + "#digest")

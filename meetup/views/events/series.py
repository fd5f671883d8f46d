"""Series pages: /s/<series_key> lists the coming dates of a recurring event; organizers
edit or stop the series there, members follow it to hear of each new date."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...error_messages import register_messages
from ...extensions import db
from ...forms.base import ButtonForm
from ...forms.events import EventForm
from ...models import Series
from ...services import permissions
from ...services.events import series as svc
from ..access import EVENT_NOT_FOUND
from .events import INVALID, render_form, submit

bp = Blueprint("series", __name__)

register_messages(
    {
        "series_needs_an_end": (400, _l("Say how many dates in all, or until when (not both).")),
        "series_until_before_start": (400, _l("The last date must come after the first.")),
        "series_too_long": (400, _l("A series can run for at most two years.")),
        "already_in_series": (409, _l("This event is already part of a series.")),
    }
)

_NTH = {1: _l("first"), 2: _l("second"), 3: _l("third"), 4: _l("fourth"), -1: _l("last")}


def rule_in_words(series: Series) -> str:
    """ "Every week, on Thursday", "Every month, on the first Thursday"."""
    first = series.first_start_local.date()
    day = format_date(first, "EEEE")
    if series.frequency == "monthly":
        return gettext("Every month, on the %(nth)s %(day)s", nth=_NTH[svc.nth_weekday(first)],
                       day=day)  # fmt: skip
    if series.frequency == "biweekly":
        return gettext("Every two weeks, on %(day)s", day=day)
    return gettext("Every week, on %(day)s", day=day)


def _visible_series_or_404(key: str) -> Series:
    series = svc.get_by_key(key)
    if series is None or not svc.can_view(series, current_user):
        abort(404, description=str(EVENT_NOT_FOUND))
    return series


@bp.get("/s/<series_key>")
def show(series_key: str):
    series = _visible_series_or_404(series_key)
    signed_in = current_user.is_authenticated
    return render_template(
        "events/series.html",
        series=series,
        group=series.group,
        rule=rule_in_words(series),
        upcoming=svc.upcoming(series),
        following=signed_in and svc.is_following(series, current_user),
        followers=svc.follower_count(series),
        is_organizer=permissions.is_organizer(series.group_id, current_user),
        form=ButtonForm(),
    )


@bp.post("/s/<series_key>/follow")
@login_required
def follow(series_key: str):
    series = _visible_series_or_404(series_key)
    if ButtonForm().validate_on_submit() and svc.follow(series, current_user):
        db.session.commit()
        flash(gettext("You'll get an email for each new date."), "success")
    return redirect(url_for("series.show", series_key=series.key))


@bp.post("/s/<series_key>/unfollow")
@login_required
def unfollow(series_key: str):
    series = _visible_series_or_404(series_key)
    if ButtonForm().validate_on_submit():
        svc.unfollow(series, current_user)
        db.session.commit()
        flash(gettext("You won't get emails about new dates any more."), "success")
    return redirect(url_for("series.show", series_key=series.key))


@bp.route("/s/<series_key>/edit", methods=["GET", "POST"])
@login_required
def edit(series_key: str):
    series = _visible_series_or_404(series_key)
    permissions.require_organizer(series.group_id, current_user)
    coming = svc.upcoming(series, limit=1)
    if not coming:
        flash(gettext("This series has no dates to come."), "info")
        return redirect(url_for("series.show", series_key=series.key))
    form = EventForm(zone=coming[0].timezone)
    if not form.is_submitted():
        form.fill_from(coming[0])
    changed = submit(form, lambda data: svc.update_series(series, current_user, data))
    if changed is INVALID:
        return render_form(form, series.group, coming[0], series=series)
    flash(
        gettext("Saved. %(count)d coming dates follow the change.", count=changed)
        if changed
        else gettext("Saved for the dates still to be created."),
        "success",
    )
    return redirect(url_for("series.show", series_key=series.key))


@bp.post("/s/<series_key>/stop")
@login_required
def stop(series_key: str):
    series = _visible_series_or_404(series_key)
    permissions.require_organizer(series.group_id, current_user)
    if ButtonForm().validate_on_submit():
        svc.stop_series(series, current_user)
        db.session.commit()
        flash(gettext("No new dates will be added. Dates already set stay."), "success")
    return redirect(url_for("series.show", series_key=series.key))

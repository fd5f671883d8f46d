"""The members of a group as its organizers see them, and as CSV (organizers only; anyone
else gets the 404 of a group that doesn't exist)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ...error_messages import register_messages
from ...forms.community import ROLE_LABELS
from ...forms.insights import read_members_query
from ...models import utcnow
from ...services.insights import cache, exports
from ...services.insights import members as member_figures
from .. import access

bp = Blueprint("insight_members", __name__)

register_messages({"bad_sort": (400, _l("The members can't be sorted that way."))})

SORT_LABELS = {
    "name": _l("Name"),
    "rsvped": _l("RSVPed"),
    "came": _l("Came"),
    "no_shows": _l("No-shows"),
    "late": _l("Late cancellations"),
    "last_came": _l("Last came"),
    "joined": _l("Joined"),
}


@bp.get("/g/<group_slug>/insights/members")
@login_required
def index(group_slug: str):
    group = access.group_for_organizer_or_404(group_slug)
    query = read_members_query(request.args)
    now = utcnow()
    result = cache.cached(
        ("members", group.id, query.page, query.search, query.sort, query.descending),
        group.id,
        now,
        lambda: member_figures.members_page(
            group,
            page=query.page,
            search=query.search,
            sort=query.sort,
            descending=query.descending,
            now=now,
        ),
    )
    if query.page > result.pages:
        abort(404)
    response = Response(
        render_template(
            "insights/members.html",
            group=group,
            result=result,
            query=query,
            sort_labels=SORT_LABELS,
            role_labels=ROLE_LABELS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/g/<group_slug>/insights/members.csv")
@login_required
def export(group_slug: str):
    group = access.group_for_organizer_or_404(group_slug)
    query = read_members_query(request.args)
    rows = member_figures.all_members(
        group, search=query.search, sort=query.sort, descending=query.descending
    )
    return Response(
        exports.members_csv(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="members-{group.slug}.csv"',
            "Cache-Control": "no-store",
        },
    )

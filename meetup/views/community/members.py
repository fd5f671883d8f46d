"""The member list of a group, and roles (co-organizers)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...error_messages import register_messages
from ...extensions import db
from ...forms.community import ROLE_LABELS, RoleForm
from ...input_guard import query_int
from ...services.community import members as member_list
from ...services.errors import DomainError
from ...services.permissions import ORGANIZER_ROLES, role_in
from .. import access

bp = Blueprint("members", __name__)

MAX_PAGE = 100_000  # 5 million members at 50 a page

register_messages(
    {
        "not_a_member": (404, _l("That person isn't a member of this group.")),
        "invalid_role": (400, _l("That role doesn't exist.")),
        "cannot_change_organizer": (400, _l("The organizer's role can't be changed.")),
        "last_organizer": (
            409,
            _l("You are this group's only organizer, so you can't leave it. Delete it instead."),
        ),
    }
)


@bp.get("/g/<group_slug>/members")
@login_required
def index(group_slug: str):
    group = access.group_or_404(group_slug)
    role = role_in(group, current_user)
    page = query_int("page", 1, low=1, high=MAX_PAGE)
    query = request.args.get("q", "")
    result = member_list.members_page(group, current_user, page=page, search=query)
    if page > result.pages:
        abort(404)
    return render_template(
        "community/members.html",
        group=group,
        result=result,
        query=query,
        is_organizer=role in ORGANIZER_ROLES,
        is_owner=role == "organizer",
        role_labels=ROLE_LABELS,
    )


@bp.post("/g/<group_slug>/members/<id:user_id>/role")
@login_required
def set_role(group_slug: str, user_id: int):
    group = access.group_or_404(group_slug)
    form = RoleForm()
    if not form.validate():
        raise DomainError("invalid_role")
    membership = member_list.set_role(group, current_user, user_id, form.role.data)
    db.session.commit()
    flash(
        _(
            "%(name)s is now: %(role)s.",
            name=membership.user.display_name,
            role=ROLE_LABELS[membership.role],
        ),
        "success",
    )
    return redirect(url_for(".index", group_slug=group.slug))

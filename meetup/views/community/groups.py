"""Groups: create, edit, delete; the group page; leaving. Invite links are views/community/
invites.py, members and roles views/community/members.py.

Importing members from a CSV lives in views/community/member_import.py.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...error_messages import register_messages
from ...extensions import db
from ...forms.community import PLATFORM_LABELS, ROLE_LABELS, DeleteGroupForm, GroupForm
from ...services.community import groups as svc
from ...services.community import members as member_list
from ...services.errors import DomainError
from ...services.permissions import ORGANIZER_ROLES, role_in
from .. import access

bp = Blueprint("groups", __name__)


register_messages(
    {
        "group_not_found": (404, _l("We couldn't find that group.")),
        "name_required": (400, _l("Give the group a name.")),
        "too_long": (400, _l("That is too long.")),
        "invalid_platform": (400, _l("Choose where the community lives online.")),
        "invalid_url": (
            400,
            _l("The community link must be a web address starting with http:// or https://."),
        ),
        "slug_taken": (409, _l("Another group was just created with that name. Try again.")),
    }
)


# ---------------------------------------------------------------- forms


def _invalid(template: str, **context):
    """A form that didn't validate: the same page, with its errors, as a 400."""
    return render_template(template, **context), 400


def _group_fields(form: GroupForm) -> dict:
    return {
        "name": form.name.data or "",
        "description": form.description.data or "",
        "platform": form.platform.data,
        "community_url": form.community_url.data or "",
        "locale": form.locale.data,
    }


# ---------------------------------------------------------------- create, edit, delete


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def new():
    form = GroupForm()
    if request.method == "POST":
        if not form.validate():
            return _invalid("community/new.html", form=form)
        group = svc.create_group(current_user, **_group_fields(form))
        db.session.commit()
        flash(_("Your group is ready. Next: create an invite link to share."), "success")
        return redirect(url_for("invites.index", group_slug=group.slug))
    form.locale.data = current_user.locale or str(get_locale())  # the organizer's, at first
    return render_template("community/new.html", form=form)


@bp.route("/g/<group_slug>/edit", methods=["GET", "POST"])
@login_required
def edit(group_slug: str):
    group = access.group_for_organizer(group_slug)
    form = GroupForm(obj=group)
    if request.method == "POST":
        if not form.validate():
            return _invalid("community/edit.html", form=form, group=group)
        svc.update_group(group, current_user, **_group_fields(form))
        db.session.commit()
        flash(_("Group saved."), "success")
        return redirect(url_for(".show", group_slug=group.slug))
    form.locale.data = group.locale or str(get_locale())
    return render_template("community/edit.html", form=form, group=group)


@bp.route("/g/<group_slug>/delete", methods=["GET", "POST"])
@login_required
def delete(group_slug: str):
    group = access.group_or_404(group_slug)
    if role_in(group, current_user) != "organizer":
        raise DomainError("forbidden")
    form = DeleteGroupForm()
    if request.method == "POST":
        if form.validate() and form.confirm_name.data.strip() == group.name:
            name = group.name
            svc.delete_group(group, current_user)
            db.session.commit()
            flash(_("%(name)s was deleted.", name=name), "success")
            return redirect(url_for("home.home"))
        form.confirm_name.errors = [_("That isn't the group's name.")]
    page = render_template(
        "community/delete.html", form=form, group=group, members=member_list.member_count(group)
    )
    return page, 400 if form.errors else 200


# ---------------------------------------------------------------- the group page


@bp.get("/g/<group_slug>")
def show(group_slug: str):
    group = access.group_or_404(group_slug)
    role = role_in(group, current_user)
    return render_template(
        "community/show.html",
        group=group,
        role=role,
        is_organizer=role in ORGANIZER_ROLES,
        events=svc.group_events(group, current_user),
        members=member_list.member_count(group),
        platform_label=PLATFORM_LABELS.get(group.platform, group.platform),
        role_labels=ROLE_LABELS,
        event_link=_event_link,
    )


def _event_link(key: str) -> str:
    if "events.show" in current_app.view_functions:
        return url_for("events.show", event_key=key)
    return f"/e/{key}"


@bp.post("/g/<group_slug>/leave")
@login_required
def leave(group_slug: str):
    group = access.group_or_404(group_slug)
    member_list.leave(group, current_user)
    db.session.commit()
    flash(_("You left %(name)s.", name=group.name), "success")
    return redirect(url_for(".show", group_slug=group.slug))

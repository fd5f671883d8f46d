"""Groups: create, edit, delete; the group page; invite links and joining; members and roles.

Importing members from a CSV lives in views/community/member_import.py.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import HiddenField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, Optional

from ...error_messages import register_messages
from ...extensions import db
from ...forms.base import AppForm
from ...models import PLATFORMS, Group
from ...services.community import groups as svc
from ...services.errors import DomainError
from ...services.permissions import ORGANIZER_ROLES, require_organizer, role_in
from ...urls import absolute_url

bp = Blueprint("groups", __name__)

PLATFORM_LABELS = {
    "slack": _l("Slack"),
    "discord": _l("Discord"),
    "linkedin": _l("LinkedIn"),
    "whatsapp": _l("WhatsApp"),
    "mailing_list": _l("Mailing list"),
    "other": _l("Other"),
}
assert set(PLATFORM_LABELS) == set(PLATFORMS)

ROLE_LABELS = {
    "organizer": _l("Organizer"),
    "co_organizer": _l("Co-organizer"),
    "member": _l("Member"),
}

_INVALID_INVITE = _l("This invite link is no longer valid. Ask an organizer for a new one.")

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
        "not_a_member": (404, _l("That person isn't a member of this group.")),
        "invalid_role": (400, _l("That role doesn't exist.")),
        "cannot_change_organizer": (400, _l("The organizer's role can't be changed.")),
        "last_organizer": (
            409,
            _l("You are this group's only organizer, so you can't leave it. Delete it instead."),
        ),
        "label_required": (400, _l("Give the link a label, such as “Slack #general”.")),
        "invite_not_found": (404, _INVALID_INVITE),
        "invite_revoked": (410, _INVALID_INVITE),
    }
)


# ---------------------------------------------------------------- forms


class GroupForm(AppForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=svc.NAME_MAX)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=svc.DESCRIPTION_MAX)],
        description=_l("Markdown works: **bold**, lists, links."),
    )
    platform = SelectField(
        _l("Where does the community live online?"),
        choices=[SelectChoice(value, label) for value, label in PLATFORM_LABELS.items()],
        default="slack",
    )
    community_url = URLField(
        _l("Link to the community"),
        validators=[
            Optional(),
            Length(max=svc.URL_MAX),
            URL(require_tld=False, message=_l("Enter a web address starting with https://")),
        ],
        description=_l("The Slack workspace, Discord server, LinkedIn group… (http or https)"),
    )


class DeleteGroupForm(AppForm):
    confirm_name = StringField(_l("Type the group's name to confirm"), validators=[DataRequired()])


class InviteForm(AppForm):
    label = StringField(
        _l("Label"),
        validators=[DataRequired(), Length(max=svc.LABEL_MAX)],
        description=_l("Where you will share it, e.g. “Slack #general” or “Alumni newsletter”."),
    )


class RoleForm(AppForm):
    role = HiddenField(validators=[DataRequired()])


class ActionForm(AppForm):
    """Button-only POSTs: just the CSRF token."""


def _group(slug: str) -> Group:
    return svc.get_by_slug(slug)


def _invalid(template: str, **context):
    """A form that didn't validate: the same page, with its errors, as a 400."""
    return render_template(template, **context), 400


def _group_fields(form: GroupForm) -> dict:
    return {
        "name": form.name.data or "",
        "description": form.description.data or "",
        "platform": form.platform.data,
        "community_url": form.community_url.data or "",
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
        return redirect(url_for(".invites", group_slug=group.slug))
    return render_template("community/new.html", form=form)


@bp.route("/g/<group_slug>/edit", methods=["GET", "POST"])
@login_required
def edit(group_slug: str):
    group = _group(group_slug)
    require_organizer(group, current_user)
    form = GroupForm(obj=group)
    if request.method == "POST":
        if not form.validate():
            return _invalid("community/edit.html", form=form, group=group)
        svc.update_group(group, current_user, **_group_fields(form))
        db.session.commit()
        flash(_("Group saved."), "success")
        return redirect(url_for(".show", group_slug=group.slug))
    return render_template("community/edit.html", form=form, group=group)


@bp.route("/g/<group_slug>/delete", methods=["GET", "POST"])
@login_required
def delete(group_slug: str):
    group = _group(group_slug)
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
        "community/delete.html", form=form, group=group, members=svc.member_count(group)
    )
    return page, 400 if form.errors else 200


# ---------------------------------------------------------------- the group page


@bp.get("/g/<group_slug>")
def show(group_slug: str):
    group = _group(group_slug)
    role = role_in(group, current_user)
    return render_template(
        "community/show.html",
        group=group,
        role=role,
        is_organizer=role in ORGANIZER_ROLES,
        events=svc.group_events(group, current_user),
        members=svc.member_count(group),
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
    group = _group(group_slug)
    svc.leave(group, current_user)
    db.session.commit()
    flash(_("You left %(name)s.", name=group.name), "success")
    return redirect(url_for(".show", group_slug=group.slug))


# ---------------------------------------------------------------- invite links


@bp.route("/g/<group_slug>/invites", methods=["GET", "POST"])
@login_required
def invites(group_slug: str):
    group = _group(group_slug)
    require_organizer(group, current_user)
    form = InviteForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            invite = svc.create_invite(group, current_user, form.label.data)
            db.session.commit()
            flash(_("Invite link “%(label)s” created.", label=invite.label), "success")
            return redirect(url_for(".invites", group_slug=group.slug))
        status = 400
    return render_template(
        "community/invites.html",
        group=group,
        form=form,
        links=svc.invites_with_counts(group),
        join_url=lambda code: absolute_url("groups.join", invite_code=code),
    ), status


@bp.post("/g/<group_slug>/invites/<id:invite_id>/revoke")
@login_required
def revoke_invite(group_slug: str, invite_id: int):
    group = _group(group_slug)
    invite = svc.revoke_invite(group, current_user, invite_id)
    db.session.commit()
    flash(_("“%(label)s” was revoked: the link no longer works.", label=invite.label), "success")
    return redirect(url_for(".invites", group_slug=group.slug))


@bp.route("/join/<invite_code>", methods=["GET", "POST"])
def join(invite_code: str):
    invite = svc.find_invite(invite_code)
    group = invite.group
    if not current_user.is_authenticated:
        login = _login_url(request.path)
        if request.method == "POST" and login:
            return redirect(login)
        return render_template("community/join.html", group=group, login_url=login, role=None)
    if request.method == "POST":
        _membership, created = svc.join(invite_code, current_user)
        db.session.commit()
        if created:
            flash(_("Welcome to %(name)s!", name=group.name), "success")
        else:
            flash(_("You're already a member of %(name)s.", name=group.name), "info")
        return redirect(url_for(".show", group_slug=group.slug))
    return render_template(
        "community/join.html",
        group=group,
        role=role_in(group, current_user),
        form=ActionForm(),
        login_url=None,
    )


def _login_url(next_path: str) -> str | None:
    if "auth.login" not in current_app.view_functions:
        return None
    return url_for("auth.login", next=next_path)


# ---------------------------------------------------------------- members and roles


@bp.get("/g/<group_slug>/members")
@login_required
def members(group_slug: str):
    group = _group(group_slug)
    role = role_in(group, current_user)
    page = request.args.get("page", 1, type=int) or 1
    query = request.args.get("q", "")
    result = svc.members_page(group, current_user, page=page, search=query)
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
    group = _group(group_slug)
    form = RoleForm()
    if not form.validate():
        raise DomainError("invalid_role")
    membership = svc.set_role(group, current_user, user_id, form.role.data)
    db.session.commit()
    flash(
        _(
            "%(name)s is now: %(role)s.",
            name=membership.user.display_name,
            role=ROLE_LABELS[membership.role],
        ),
        "success",
    )
    return redirect(url_for(".members", group_slug=group.slug))

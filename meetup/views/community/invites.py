"""Invite links: one per channel, revoking them, and joining a group through one."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...error_messages import message_for, register_messages
from ...extensions import db
from ...forms.community import InviteForm, JoinForm
from ...services.community import invite_links
from ...services.errors import DomainError
from ...services.permissions import role_in
from ...templating import page_for
from ...urls import absolute_url
from .. import access
from ..channels import tracking

bp = Blueprint("invites", __name__)

_INVALID_INVITE = _l("This invite link is no longer valid. Ask an organizer for a new one.")

register_messages(
    {
        "label_required": (400, _l("Give the link a label, such as “Slack #general”.")),
        "invite_not_found": (404, _INVALID_INVITE),
        "invite_revoked": (410, _INVALID_INVITE),
        "name_required": (400, _l("Tell us your name: it's how the group will know you.")),
    }
)


@bp.route("/g/<group_slug>/invites", methods=["GET", "POST"])
@login_required
def index(group_slug: str):
    group = access.group_for_organizer(group_slug)
    form = InviteForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            invite = invite_links.create_invite(group, current_user, form.label.data)
            db.session.commit()
            flash(_("Invite link “%(label)s” created.", label=invite.label), "success")
            return redirect(url_for(".index", group_slug=group.slug))
        status = 400
    return render_template(
        "community/invites.html",
        group=group,
        form=form,
        links=invite_links.invites_with_counts(group),
        join_url=lambda code: absolute_url("invites.join", invite_code=code),
    ), status


@bp.post("/g/<group_slug>/invites/<id:invite_id>/revoke")
@login_required
def revoke(group_slug: str, invite_id: int):
    group = access.group_or_404(group_slug)
    invite = invite_links.revoke_invite(group, current_user, invite_id)
    db.session.commit()
    flash(_("“%(label)s” was revoked: the link no longer works.", label=invite.label), "success")
    return redirect(url_for(".index", group_slug=group.slug))


@bp.route("/join/<invite_code>", methods=["GET", "POST"])
def join(invite_code: str):
    invite = invite_links.find_invite(invite_code)
    group = invite.group
    page_for(None, group)
    if not current_user.is_authenticated:
        login = _login_url(request.path)
        if request.method == "POST" and login:
            return redirect(login)
        return render_template("community/join.html", group=group, login_url=login, role=None)
    form = JoinForm(name=current_user.name) if request.method == "GET" else JoinForm()
    if request.method == "POST":
        if not form.validate():
            return _join_page(group, form), 400
        channel = tracking.channel_for(invite_code=invite_code)
        try:
            _membership, created = invite_links.join(
                invite_code, current_user, name=form.name.data, channel=channel
            )
        except DomainError as err:
            db.session.rollback()
            form.name.errors = [message_for(err.code)[1]]
            return _join_page(group, form), 400
        db.session.commit()
        if created:
            flash(_("Welcome to %(name)s!", name=group.name), "success")
        else:
            flash(_("You're already a member of %(name)s.", name=group.name), "info")
        return redirect(url_for("groups.show", group_slug=group.slug))
    return _join_page(group, form)


def _join_page(group, form: JoinForm):
    return render_template(
        "community/join.html",
        group=group,
        role=role_in(group, current_user),
        form=form,
        login_url=None,
    )


def _login_url(next_path: str) -> str | None:
    if "auth.login" not in current_app.view_functions:
        return None
    return url_for("auth.login", next=next_path)

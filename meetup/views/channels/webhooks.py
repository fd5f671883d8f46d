"""Slack and Discord: a group's webhooks (organizers), and posting an event to them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from ...error_messages import message_for, register_messages
from ...extensions import db
from ...forms.base import ButtonForm
from ...forms.channels import WebhookForm
from ...services import permissions
from ...services.channels import posts, webhooks
from ...services.errors import DomainError
from ...urls import row_id
from .. import access

bp = Blueprint("webhooks", __name__)

register_messages(
    {
        "webhook_url_refused": (
            400,
            _l(
                "Paste the webhook URL Slack or Discord gave you: it starts with "
                "https://hooks.slack.com/services/ or https://discord.com/api/webhooks/."
            ),
        ),
        "webhook_channel_invalid": (
            400,
            _l("Give the channel a short label of letters and digits, such as slack-general."),
        ),
        "webhook_exists": (409, _l("This webhook is already there.")),
        "webhook_not_found": (404, _l("That webhook isn't in this group.")),
    }
)


@bp.route("/g/<group_slug>/webhooks", methods=["GET", "POST"])
@login_required
def index(group_slug: str):
    group = access.group_for_organizer(group_slug)
    form = WebhookForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                hook = webhooks.add(group, current_user, form.url.data, form.channel.data)
            except DomainError as err:
                if err.code == "forbidden":
                    raise
                db.session.rollback()
                field = form.channel if err.code == "webhook_channel_invalid" else form.url
                field.errors = [*field.errors, message_for(err.code)[1]]
            else:
                db.session.commit()
                flash(_("Posts will go to %(channel)s.", channel=hook.channel), "success")
                return redirect(url_for(".index", group_slug=group.slug))
    return render_template(
        "channels/webhooks.html",
        group=group,
        form=form,
        hooks=webhooks.of_group(group),
        shown=webhooks.shown,
        remove_form=ButtonForm(),
    ), status


@bp.post("/g/<group_slug>/webhooks/<id:webhook_id>/remove")
@login_required
def remove(group_slug: str, webhook_id: int):
    group = access.group_for_organizer(group_slug)
    if not ButtonForm().validate():
        return redirect(url_for(".index", group_slug=group.slug))
    hook = webhooks.remove(group, current_user, webhook_id)
    db.session.commit()
    flash(_("Nothing more will be posted to %(channel)s.", channel=hook.channel), "success")
    return redirect(url_for(".index", group_slug=group.slug))


@bp.post("/e/<event_key>/post")
@login_required
def post_event(event_key: str):
    event = access.visible_event_or_404(event_key)
    permissions.require_organizer(event.group_id, current_user)
    if not ButtonForm().validate():
        return redirect(url_for("events.show", event_key=event.key))
    chosen = [i for i in map(row_id, request.form.getlist("webhook")) if i is not None]
    queued = posts.post_event(event, current_user, chosen)
    db.session.commit()
    if queued:
        flash(
            ngettext(
                "Posted to %(num)d channel: it goes out in a moment.",
                "Posted to %(num)d channels: they go out in a moment.",
                queued,
            ),
            "success",
        )
    else:
        flash(_("Already posted there: edits and a cancellation follow by themselves."), "info")
    return redirect(url_for("events.show", event_key=event.key) + "#channel-posts-title")

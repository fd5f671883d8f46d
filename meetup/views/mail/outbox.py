"""Organizers see their group's emails that failed or wait for a retry, and retry them."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ...error_messages import register_messages
from ...extensions import db
from ...forms.base import AppForm
from ...services.mail import outbox
from .. import access

bp = Blueprint("outbox", __name__)

register_messages(
    {"outbox_not_retryable": (409, _l("That message was already sent or is being sent."))}
)


@bp.get("/g/<group_slug>/mail")
@login_required
def index(group_slug: str):
    group = access.group_for_organizer(group_slug)
    return render_template(
        "mail/outbox.html", group=group, messages=outbox.problems(group.id), form=AppForm()
    )


@bp.post("/g/<group_slug>/mail/<id:message_id>/retry")
@login_required
def retry(group_slug: str, message_id: int):
    group = access.group_for_organizer(group_slug)
    if not AppForm().validate_on_submit():
        abort(400)
    msg = outbox.requeue(group.id, message_id)
    db.session.commit()
    flash(_("The message to %(to)s will be sent again shortly.", to=msg.to_addr), "success")
    return redirect(url_for("outbox.index", group_slug=group.slug))

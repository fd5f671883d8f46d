"""Organizers see their group's emails that failed or wait for a retry, and retry them."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ...error_messages import register_messages
from ...extensions import db
from ...forms.base import AppForm
from ...models import Group
from ...services.mail import outbox
from ...services.permissions import require_organizer

bp = Blueprint("outbox", __name__)

register_messages(
    {"outbox_not_retryable": (409, _l("That message was already sent or is being sent."))}
)


def _group(group_slug: str) -> Group:
    group = db.session.scalar(select(Group).where(Group.slug == group_slug))
    if group is None:
        abort(404)
    require_organizer(group, current_user)
    return group


@bp.get("/g/<group_slug>/mail")
@login_required
def index(group_slug: str):
    group = _group(group_slug)
    return render_template(
        "mail/outbox.html", group=group, messages=outbox.problems(group.id), form=AppForm()
    )


@bp.post("/g/<group_slug>/mail/<id:message_id>/retry")
@login_required
def retry(group_slug: str, message_id: int):
    group = _group(group_slug)
    if not AppForm().validate_on_submit():
        abort(400)
    msg = outbox.requeue(group.id, message_id)
    db.session.commit()
    flash(_("The message to %(to)s will be sent again shortly.", to=msg.to_addr), "success")
    return redirect(url_for("outbox.index", group_slug=group.slug))

"""Organizers see their group's email: what failed or waits for a retry (and retry it), and
every message sent, a page at a time."""

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ...error_messages import register_messages
from ...extensions import db
from ...forms.base import AppForm
from ...services.mail import outbox, sent
from ...urls import row_id
from .. import access

bp = Blueprint("outbox", __name__)

register_messages(
    {"outbox_not_retryable": (409, _l("That message was already sent or is being sent."))}
)


@bp.get("/g/<group_slug>/mail")
@login_required
def index(group_slug: str):
    group = access.group_for_organizer(group_slug)
    raw = request.args.get("before")
    before = row_id(raw)
    if raw is not None and before is None:
        abort(404)
    page = render_template(
        "mail/outbox.html",
        group=group,
        messages=[] if before else outbox.problems(group.id),
        page=sent.recent(group.id, before=before),
        older_page=before is not None,
        form=AppForm(),
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"  # people's addresses
    return response


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

"""Group email links that work without signing in: unsubscribing (RFC 8058 one-click) and the
answers to the welcome email. A GET only shows a page with one button; a POST acts.

The one-click unsubscribe POST comes from a mail provider, not from our page, so it carries no
CSRF token by design: the signed per-person token in the URL is what authenticates it.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...error_messages import register_messages
from ...extensions import csrf, db
from ...forms.base import ButtonForm
from ...services.errors import DomainError
from ...services.mail import consent
from ...templating import page_for

bp = Blueprint("group_mail", __name__)

register_messages(
    {
        "mail_link_invalid": (
            404,
            _l(
                "This link isn't valid any more. Sign in to choose the email you get on "
                "your profile."
            ),
        ),
    }
)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/m/unsubscribe/<token>")
def unsubscribe(token: str):
    membership = consent.membership_by_token("unsubscribe", token)
    page_for(membership.user, membership.group)
    page = render_template(
        "mail/unsubscribe.html", membership=membership, group=membership.group, done=False
    )
    return page, 200, NO_STORE


@bp.post("/m/unsubscribe/<token>")
@csrf.exempt
def unsubscribe_post(token: str):
    """One click: from the page's button, or from the mail app (List-Unsubscribe-Post)."""
    membership = consent.membership_by_token("unsubscribe", token)
    consent.unsubscribe(membership)
    db.session.commit()
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "", 204, NO_STORE
    page_for(membership.user, membership.group)
    page = render_template(
        "mail/unsubscribe.html", membership=membership, group=membership.group, done=True
    )
    return page, 200, NO_STORE


def _answer() -> str:
    answer = request.values.get("answer", "")
    if answer not in ("yes", "no"):
        raise DomainError("mail_link_invalid")
    return answer


def _welcome_page(membership, answer: str, form: ButtonForm, *, done: bool):
    page_for(membership.user, membership.group)
    page = render_template(
        "mail/welcome_answer.html",
        membership=membership,
        group=membership.group,
        answer=answer,
        form=form,
        done=done,
    )
    return page, 200, NO_STORE


@bp.get("/m/welcome/<token>")
def welcome(token: str):
    membership = consent.membership_by_token("welcome", token)
    return _welcome_page(membership, _answer(), ButtonForm(), done=False)


@bp.post("/m/welcome/<token>")
def welcome_post(token: str):
    membership = consent.membership_by_token("welcome", token)
    answer = _answer()
    form = ButtonForm()
    if not form.validate():
        raise DomainError("mail_link_invalid")
    consent.answer_welcome(membership, answer == "yes")
    db.session.commit()
    return _welcome_page(membership, answer, form, done=True)


@bp.post("/profile/group-email")
@login_required
def preferences():
    """The profile's switches: per group, announcements, reminders, introductions."""
    chosen = set(request.form.getlist("g"))
    for membership in consent.my_memberships(current_user):
        gid = str(membership.group_id)
        if gid in chosen:
            consent.set_preferences(
                membership,
                mail_announcements=f"a-{gid}" in request.form,
                mail_reminders=f"r-{gid}" in request.form,
                mail_intros=f"i-{gid}" in request.form,
            )
    db.session.commit()
    flash(_("Your email choices are saved."), "success")
    return redirect(url_for("profile.edit", _anchor="group-email"))

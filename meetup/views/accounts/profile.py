"""My profile: what others see and what intros use; password; sign out elsewhere; delete me."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, refresh
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from ...error_messages import message_for, register_messages
from ...extensions import db
from ...forms.accounts import DeleteForm, PasswordForm, ProfileForm
from ...forms.base import AppForm
from ...forms.intros import IntroSettingsForm
from ...services.accounts import users as accounts
from ...services.errors import DomainError
from ...services.insights.members import own_records
from ...services.mail import consent

bp = Blueprint("profile", __name__, url_prefix="/profile")

register_messages(
    {
        "wrong_current_password": (400, _l("That isn't your current password.")),
        "too_many_tags": (
            400,
            _l("Keep it to %(n)s interests or fewer.", n=accounts.TAGS_MAX),
        ),
        "sole_organizer": (
            409,
            _l(
                "You are the only organizer of a group other people belong to. Make one of "
                "them a co-organizer (they will take over), or delete the group first."
            ),
        ),
    }
)


def _needs_current_password() -> bool:
    # Someone who just came in by emailed link has proven the inbox: that is how a
    # forgotten password gets replaced.
    return bool(current_user.password_hash) and not session.get("signed_in_by_link")


def _page(status: int = 200, *, form=None, password_form=None, intro_form=None):
    if form is None:
        form = ProfileForm(obj=current_user, formdata=None)
        form.interests.data = ", ".join(current_user.interests or [])
    return render_template(
        "accounts/profile.html",
        form=form,
        password_form=password_form or PasswordForm(formdata=None),
        needs_current_password=_needs_current_password(),
        sessions_form=AppForm(),
        intro_form=intro_form,  # None: filled from the profile
        attendance=own_records(current_user),
        group_email=consent.my_memberships(current_user),
    ), status


@bp.get("")
@login_required
def edit():
    return _page()


@bp.post("")
@login_required
def save():
    """One form: the profile and, when the page showed them, the introduction settings,
    so that whatever was changed on the page is kept by "Save profile"."""
    form = ProfileForm()
    intro_form = IntroSettingsForm(current_user) if "max_intros" in request.form else None
    valid = form.validate()
    if intro_form is not None and not intro_form.validate():
        valid = False
    if not valid:
        return _page(400, form=form, intro_form=intro_form)
    fields = {name: form[name].data for name in accounts.PROFILE_FIELDS}
    newly = None
    try:
        accounts.update_profile(current_user, interests=form.interests.data or "", **fields)
        if intro_form is not None:
            newly = intro_form.save_to(current_user)
    except DomainError as err:
        db.session.rollback()
        message = message_for(err.code)[1]
        if err.code.startswith("intro_block"):
            intro_form.block_name.errors = [message]
        else:
            form.interests.errors = [message]
        return _page(400, form=form, intro_form=intro_form)
    db.session.commit()
    refresh()  # the language may have just changed: say it in the new one
    if newly is not None:
        name = newly.display_name
        flash(gettext("%(name)s won't be suggested to you. They aren't told.", name=name))
    flash(gettext("Your profile is saved."), "success")
    return redirect(url_for(".edit"))


@bp.post("/password")
@login_required
def password():
    form = PasswordForm()
    if not form.validate():
        return _page(400, password_form=form)
    try:
        accounts.set_password(
            current_user,
            form.new_password.data,
            current=form.current_password.data,
            verify=_needs_current_password(),
        )
    except DomainError as err:
        db.session.rollback()
        form.current_password.errors = [message_for(err.code)[1]]
        return _page(400, password_form=form)
    db.session.commit()
    _stay_signed_in()
    flash(gettext("Your password is set. Other devices have been signed out."), "success")
    return redirect(url_for(".edit"))


@bp.post("/sign-out-elsewhere")
@login_required
def sign_out_elsewhere():
    accounts.rotate_session(current_user)
    db.session.commit()
    _stay_signed_in()
    flash(gettext("You're signed out on every other device."), "success")
    return redirect(url_for(".edit"))


def _stay_signed_in() -> None:
    """The session token changed: re-issue this device's cookies with the new one."""
    login_user(current_user._get_current_object(), remember=True)
    session["signed_in_by_link"] = False


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete():
    form = DeleteForm()
    user = current_user._get_current_object()
    plan = accounts.deletion_plan(user)
    status = 200
    if form.is_submitted():
        typed = (form.confirm_email.data or "").strip().lower()
        if not form.validate() or typed != user.email:
            form.confirm_email.errors = [gettext("That isn't the address of this account.")]
            status = 400
        elif plan.blocking:
            status = 409
        else:
            return _delete(user)
    return render_template("accounts/delete.html", form=form, plan=plan), status


def _delete(user):
    email = user.email
    try:
        accounts.delete_account(user)
    except DomainError:  # someone joined a group since the page was drawn
        db.session.rollback()
        return redirect(url_for(".delete"))
    db.session.commit()
    logout_user()
    session.clear()
    flash(gettext("Your account and your data are deleted (%(email)s).", email=email), "info")
    return redirect(url_for("home.home"))

"""Sign in (password or emailed link), sign up, sign out.

No page says whether an address has an account: a wrong password and an unknown address get
the same message, and a link request always gets the same answer. `?next=` travels from the
login form into the link's payload and back, and is only followed to a local path.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from ...error_messages import message_for, register_messages
from ...extensions import db, limiter
from ...forms.accounts import (
    LinkForm,
    PasswordSignInForm,
    SignUpForm,
)
from ...forms.base import ButtonForm
from ...models import User
from ...services.accounts import magic_links, sign_in
from ...services.accounts import users as accounts
from ...services.errors import DomainError
from ...urls import is_safe_next, next_or_home

bp = Blueprint("auth", __name__)

register_messages(
    {
        "bad_credentials": (
            400,
            _l("That email and password don't match. Try again, or get a link by email."),
        ),
        "invalid_email": (400, _l("That doesn't look like an email address.")),
        "email_not_mailable": (
            400,
            _l(
                "We can't send email to this address: before the @, use only letters "
                "without accents, digits and . _ + -"
            ),
        ),
        "password_length": (
            400,
            _l(
                "Use between %(min)s and %(max)s characters.",
                min=accounts.PASSWORD_MIN,
                max=accounts.PASSWORD_MAX,
            ),
        ),
        "link_invalid": (404, _l("This sign-in link isn't valid. Ask for a new one below.")),
        "link_used": (410, _l("This sign-in link has already been used: each link works once.")),
        "link_expired": (410, _l("This sign-in link has expired. Ask for a new one below.")),
    }
)

RATE_LIMITED = _l("Too many attempts. Wait a few minutes and try again.")


# ---------------------------------------------------------------- forms


# ---------------------------------------------------------------- rate limits


def _email_key() -> str:
    """Limits per address: what was typed, normalized enough that case doesn't reset it."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"email:{email}" if email else f"ip:{request.remote_addr}"


def _config(key: str):
    return lambda: current_app.config[key]


def _failed(response) -> bool:
    return response.status_code != 302


sign_in_per_ip = limiter.limit(
    _config("RATELIMIT_SIGN_IN_PER_IP"), methods=["POST"], error_message=RATE_LIMITED
)
sign_in_per_email = limiter.limit(
    _config("RATELIMIT_SIGN_IN_PER_EMAIL"),
    key_func=_email_key,
    methods=["POST"],
    deduct_when=_failed,
    error_message=RATE_LIMITED,
)
# Shared by every route that emails a link, so one inbox can't be flooded from several.
link_per_ip = limiter.shared_limit(
    _config("RATELIMIT_LINK_PER_IP"), "link-ip", methods=["POST"], error_message=RATE_LIMITED
)
link_per_email = limiter.shared_limit(
    _config("RATELIMIT_LINK_PER_EMAIL"),
    "link-email",
    key_func=_email_key,
    methods=["POST"],
    error_message=RATE_LIMITED,
)


# ---------------------------------------------------------------- pages


def _safe(target: str | None) -> str | None:
    return target if is_safe_next(target) else None


def _next_param() -> str | None:
    return _safe(request.values.get("next"))


def _login_page(status: int = 200, *, link_form=None, password_form=None):
    nxt = _next_param()
    return render_template(
        "accounts/login.html",
        link_form=link_form or LinkForm(next=nxt, formdata=None),
        password_form=password_form or PasswordSignInForm(next=nxt, formdata=None),
        next=nxt,
    ), status


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(next_or_home(request.args.get("next")))
    return _login_page()


@bp.post("/login")
@sign_in_per_ip
@sign_in_per_email
def login_password():
    form = PasswordSignInForm()
    if not form.validate():
        return _login_page(400, password_form=form)
    try:
        user = accounts.authenticate(form.email.data, form.password.data)
    except DomainError as err:
        form.password.errors = [message_for(err.code)[1]]
        return _login_page(400, password_form=form)
    _sign_in(user, by_link=False)
    return redirect(next_or_home(form.next.data))


@bp.post("/login/link")
@link_per_ip
@link_per_email
def request_link():
    form = LinkForm()
    if not form.validate():
        return _login_page(400, link_form=form)
    nxt = _safe(form.next.data)
    sign_in.request_link(form.email.data, next_url=nxt)
    return _link_sent(nxt)


@bp.route("/signup", methods=["GET", "POST"])
@link_per_ip
@link_per_email
def signup():
    form = SignUpForm(next=_next_param()) if request.method == "GET" else SignUpForm()
    if request.method == "GET" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/signup.html", form=form), status
    nxt = _safe(form.next.data)
    sign_in.request_signup(form.email.data, form.name.data, form.password.data, next_url=nxt)
    return _link_sent(nxt)


def _link_sent(nxt: str | None):
    """The same answer whoever the address belongs to."""
    db.session.commit()
    return render_template("accounts/link_sent.html", form=LinkForm(next=nxt, formdata=None))


@bp.get("/login/link/<token>")
def magic_link(token: str):
    try:
        link = magic_links.peek(token)
    except DomainError as err:
        return _link_problem(err)
    return render_template("accounts/link_confirm.html", email=link.email, form=ButtonForm())


@bp.post("/login/link/<token>")
def magic_link_use(token: str):
    try:
        user, payload = sign_in.complete(token)
    except DomainError as err:
        db.session.rollback()
        return _link_problem(err)
    db.session.commit()
    _sign_in(user, by_link=True)
    flash(gettext("You're signed in as %(email)s.", email=user.email), "success")
    return redirect(next_or_home(payload.get("next")))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Ends the session on the server too: copies of this device's cookies (and those
        # of the account's other devices) carry the old token and open nothing any more.
        accounts.rotate_session(current_user)
        db.session.commit()
    logout_user()
    session.pop("signed_in_by_link", None)
    flash(gettext("You're signed out."), "info")
    return redirect(next_or_home(None))


def _sign_in(user: User, *, by_link: bool) -> None:
    login_user(user, remember=True)
    # A fresh emailed link proves the inbox: enough to set a new password without the old one.
    session["signed_in_by_link"] = by_link


def _link_problem(err: DomainError):
    status, message = message_for(err.code)
    form = LinkForm(formdata=None)
    return render_template("accounts/link_problem.html", message=message, form=form), status

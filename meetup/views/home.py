"""Home page: my upcoming and recent events and my groups; a short welcome when signed out."""

from flask import Blueprint, render_template
from flask_login import current_user

from ..services import home
from ..services.permissions import ORGANIZER_ROLES

bp = Blueprint("home", __name__)


@bp.get("/", endpoint="home")
def home_page():
    if not current_user.is_authenticated:
        return render_template("home/welcome.html")
    return render_template(
        "home/home.html",
        events=home.upcoming_events(current_user),
        recent=home.recent_events(current_user),
        groups=home.my_groups(current_user),
        organizer_roles=ORGANIZER_ROLES,
    )


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}

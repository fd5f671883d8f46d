"""Jinja filters and globals shared by every page and email."""

from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_babel import get_locale, refresh

from .i18n import note_group_locale
from .text import render_markdown
from .timeutil import format_in_zone, format_number, format_percent, zone_abbreviation, zone_name

LOCALES = ("en", "fr")  # i18n.LANGUAGES: English, then each catalogue under translations/


def select_locale() -> str | None:
    """The person's saved language, else the language of the group the page is about, else
    the browser's (Accept-Language), else English."""
    if not has_request_context():  # the worker and CLI commands render emails too
        return LOCALES[0]
    # The person as Flask-Login has read them: asking for the language never reads them
    # itself (an answer reads them with its event), and reading them asks again (security.py).
    saved = getattr(g.get("_login_user"), "locale", None)
    if saved in LOCALES:
        return saved
    if g.get("person_locale") in LOCALES:  # page_for(): the person a link was made for
        return g.person_locale
    if g.get("group_locale") in LOCALES:
        return g.group_locale
    return request.accept_languages.best_match(LOCALES) or LOCALES[0]


def page_about_group(group_id: int, locale: str | None) -> None:
    """Called when a page names its group or event (views/access.py): the group's language
    serves people who chose none."""
    note_group_locale(group_id, locale)
    if has_request_context() and locale != g.get("group_locale"):
        g.group_locale = locale
        refresh()  # anything that asked for the locale before this reads it again


def page_for(person, group) -> None:
    """A page or file made for one person and reached by their link, signed in or not (their
    ticket, their calendar feed, a one-tap answer from their email): their saved language,
    else their group's. Either may be None."""
    locale = getattr(person, "locale", None)
    if has_request_context() and locale in LOCALES and locale != g.get("person_locale"):
        g.person_locale = locale
        refresh()
    if group is not None:
        page_about_group(group.id, group.locale)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["get_locale"] = get_locale  # <html lang>

    @app.teardown_request
    def _forget_the_pages_group(_exc) -> None:
        # One request's group says nothing of the next (an app context can outlive a request).
        g.pop("group_locale", None)
        g.pop("group_locales", None)
        g.pop("person_locale", None)

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["in_zone"] = format_in_zone
    app.jinja_env.filters["zone_abbr"] = zone_abbreviation
    app.jinja_env.filters["zone_name"] = zone_name  # emails: "Europe/Paris", "heure de Paris"
    app.jinja_env.filters["number"] = format_number  # {{ 1.5|number('0.0') }}: "1,5" in French
    app.jinja_env.filters["percent"] = format_percent
    # Lets the layout link only to pages that exist in this build.
    app.jinja_env.globals["url_map_endpoints"] = app.view_functions
    app.jinja_env.globals["claim_error_focus"] = claim_error_focus
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def claim_error_focus() -> bool:
    """True for the first field with an error drawn on a page (and only for it): that field
    gets `autofocus`, so the browser puts the cursor there and scrolls to it, with or
    without JavaScript, instead of leaving the page at the top."""
    if not has_request_context() or request.environ.get("meetup.error_focus"):
        return False
    request.environ["meetup.error_focus"] = True  # per request (g may outlive one in tests)
    return True

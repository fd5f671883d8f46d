"""Jinja filters and globals shared by every page and email."""

from __future__ import annotations

from flask import Flask, has_request_context, request

from .text import render_markdown
from .timeutil import format_in_zone, zone_abbreviation

LOCALES = ("en",)


def select_locale() -> str | None:
    if not has_request_context():  # the worker and CLI commands render emails too
        return LOCALES[0]
    return request.accept_languages.best_match(LOCALES) or LOCALES[0]


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["in_zone"] = format_in_zone
    app.jinja_env.filters["zone_abbr"] = zone_abbreviation
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

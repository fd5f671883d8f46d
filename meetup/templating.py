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
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

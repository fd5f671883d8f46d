"""Absolute links for emails and calendar files, built from BASE_URL (no request needed)."""

from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from flask import current_app, url_for
from werkzeug.routing import IntegerConverter

# Row ids are INTEGER primary keys: PostgreSQL's int4. A bigger number in a URL or a body
# names no row, and would fail in the database driver (a 500) instead of a 404 or a 400.
MAX_ID = 2**31 - 1


class RowId(IntegerConverter):
    """`<id:name>` in a route: a row id, 1 to MAX_ID; anything else is a 404."""

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, min=1, max=MAX_ID)


def row_id(text: object) -> int | None:
    """A row id sent as text (a form field, a query parameter), or None: ASCII digits only,
    1 to MAX_ID. `str.isdigit` alone lets "²" through to int(), and int() refuses a
    5,000-digit number: either was a 500."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def absolute_url(endpoint: str, **values: object) -> str:
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return urljoin(current_app.config["BASE_URL"].rstrip("/") + "/", path.lstrip("/"))


_MARK = "urlpatternmark7q"


def url_pattern(endpoint: str, field: str, **values: object) -> Callable[[str], str]:
    """absolute_url(endpoint, <field>=x, **values) as a function of x, built once: the same
    link to thousands of people, each with their own token. x must need no escaping in a
    URL (letters, digits, - _ . ~), as our signed and random tokens do."""
    before, after = absolute_url(endpoint, **{field: _MARK}, **values).split(_MARK)
    return lambda value: f"{before}{value}{after}"


def base_host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def is_safe_next(target: str | None) -> bool:
    """Only local paths: "/e/abc" yes; "//evil.com", "https://evil.com", "/\\evil" no."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def next_or_home(target: str | None) -> str:
    """Where to go after signing in: `target` if it is a local path, else the home page."""
    return target if is_safe_next(target) else url_for("home.home")


# The public contract's links (DESIGN.md), used in emails, calendar files and QR codes.
def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def event_url(event_key: str, via: str | None = None) -> str:
    """The event's page; `via`: the channel the link is given out on (`?via=slack-general`,
    services/channels/labels.py), which the RSVP it brings records."""
    from .services.channels.labels import tagged

    return tagged(f"{_base()}/e/{event_key}", via)


def ticket_url(ticket_token: str) -> str:
    return f"{_base()}/t/{ticket_token}"


def series_url(series_key: str) -> str:
    return f"{_base()}/s/{series_key}"

"""What every request's input must be before a view reads it.

- **No NUL characters** in the query, form fields or JSON strings. No one types one; a
  broken client or a probe sends it. PostgreSQL can't hold it in a text column (the first
  write or look-up failed with a 500) and SQLite would store it, to break emails and
  calendar files later. The request is refused with a 400 before anything is read or
  written; a path holding one is a 404, as it names nothing.
- **JSON nested too deeply** for the parser is a 400 like any JSON that can't be read, not a
  RecursionError (500).
- **Numbers in a query string** are read with `query_int`, bounded before they reach SQL or
  date arithmetic: `?page=9999999999999999999` is past what either database can hold.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import MultiDict

from .services.errors import DomainError

_NUL = "\x00"
_DIGITS = 12  # more than any bound a query number has here; int() of a long one is slow too


class JSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            # Flask answers a ValueError as it does any unreadable body: 400, or None if silent.
            raise ValueError("JSON nested too deeply") from None


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.before_request(refuse_nul)


def refuse_nul() -> None:
    if _NUL in request.path:
        abort(404)  # names nothing here: no key, slug or token holds one
    body = _in_json(request.get_json(silent=True)) if request.is_json else _in_fields(request.form)
    if body or _in_fields(request.args):
        raise DomainError("nul_character")


def _in_fields(fields: MultiDict) -> bool:
    return any(_NUL in key or _NUL in value for key, value in fields.items(multi=True))


def _in_json(data: Any) -> bool:
    stack = [data]  # a loop, not recursion: the body decides how deep it goes
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _NUL in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def query_int(name: str, default: int, *, low: int, high: int) -> int:
    """The whole number `name` of the query string (`default` when absent or empty), from
    `low` to `high`; anything else is a 400 with a message."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= _DIGITS):
        raise DomainError("bad_query_number")
    value = int(raw)
    if not low <= value <= high:
        raise DomainError("bad_query_number")
    return value

"""Links that act without a password carry their secret in the path (/t/<ticket>, /door/<token>,
/cal/<feed>.ics, sign-in and RSVP links). Whoever reads the server's log must not be able to
use them: the request lines the development server logs, and the "Exception on <path>" line
of an error under any server, keep only a token's first characters."""

from __future__ import annotations

import logging
import re

from flask import Flask

# Every link secret is secrets.token_urlsafe (32 characters) or a signed link, whose signature
# is 43. Event keys (11 characters) stay readable; a long group slug is cut short too, which
# costs a log reader nothing.
_SECRET = re.compile(r"[A-Za-z0-9_-]{22,}")
KEPT = 4


def redact(text: str) -> str:
    return _SECRET.sub(lambda match: match.group()[:KEPT] + "…", text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message, once its arguments are filled in."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def _install(logger: logging.Logger) -> None:
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())


def init_app(app: Flask) -> None:
    _install(logging.getLogger("werkzeug"))  # the development server's request lines
    _install(app.logger)  # Flask's "Exception on /t/... [GET]"

"""Links that act without a password carry their secret in the path (/t/<ticket>, /door/<token>,
/cal/<feed>.ics, sign-in and RSVP links). Whoever reads the server's log must not be able to
use them: no log line keeps more than a token's first characters, whatever wrote it (the
development server's request lines, "Exception on <path>", gunicorn, the worker) and whatever
it holds (the message, a traceback, an exception's text). The engine never puts a statement's
parameters in its errors (`hide_parameters`, meetup/__init__.py), and what a database writes
into its own messages ("Key (token)=(...) already exists") is cut short here.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

# Every link secret is secrets.token_urlsafe (32 characters) or a signed link, whose signature
# is 43; a password hash's digest is longer still. Event keys (11 characters) stay readable; a
# long group slug is cut short too, which costs a log reader nothing. A run of lower-case
# letters and underscores is a name in a traceback (`run_sign_in_handlers`), not a secret: a
# random token of that length holds an upper-case letter or a digit but for odds of 1 in 10^12.
_SECRET = re.compile(r"[A-Za-z0-9_-]{22,}")
_NAME = re.compile(r"[a-z_]+")
KEPT = 4


def _cut(match: re.Match) -> str:
    text = match.group()
    return text if _NAME.fullmatch(text) else text[:KEPT] + "…"


def redact(text: str) -> str:
    return _SECRET.sub(_cut, text)


def redact_record(record: logging.LogRecord) -> None:
    """Rewrites a record's message, once its arguments are filled in, and its traceback."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format is logging's to report, at emit time
        return
    redacted = redact(message)
    if redacted != message:
        record.msg, record.args = redacted, ()
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # Formatters print exc_text when it is set: the traceback as it will be written.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _redacting(make_record):
    def make(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        redact_record(record)
        return record

    make.redacts = True
    return make


def init_app(app: Flask) -> None:
    # Every record of the process, whichever logger and handler it goes through.
    if not getattr(logging.getLogRecordFactory(), "redacts", False):
        logging.setLogRecordFactory(_redacting(logging.getLogRecordFactory()))

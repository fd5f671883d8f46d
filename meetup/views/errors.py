"""Domain error codes to messages and statuses; friendly 400/403/404 pages; JSON for APIs.

Each blueprint registers the codes its services raise with
`error_messages.register_messages`.
"""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from ..error_messages import message_for
from ..extensions import db
from ..forms.base import FORM_ERRORS
from ..services.errors import DomainError

TITLES = {
    400: _l("That didn't work"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    409: _l("Conflict"),
    410: _l("This link has expired"),
    413: _l("That file is too large"),
    429: _l("Slow down"),
    500: _l("Something went wrong"),
    503: _l("Try again in a moment"),
}
# What each status says when the code that raised it said nothing of its own (Werkzeug's
# descriptions are English only).
MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    401: _l("Sign in to see this page."),
    403: _l("You don't have access to this page."),
    404: _l("There is no page at this address. Check the link, or start from the home page."),
    405: _l("This page can't be used that way."),
    409: _l("Something changed in the meantime. Reload the page and try again."),
    410: _l("This page is no longer available."),
    413: _l("That file is too large."),
    429: _l("Too many tries in a short time. Wait a minute and try again."),
    500: _l("Something went wrong on our side. Try again in a moment."),
    503: _l("The site is busy. Try again in a moment."),
}
_BARE_LIMIT = re.compile(r"\d+ per \d+ \w+$")
# The database went away (a restart, a fail-over, a backend terminated, a lock given up on):
# nothing was saved, and the same request will most likely work in a few seconds.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, code: str | None = None) -> tuple[Response, int]:
    if wants_json():
        return jsonify(error=code or str(status), message=message), status
    title = TITLES.get(status, TITLES[400])
    return render_template("errors/error.html", title=title, message=message, status=status), status


def _plain(value: object) -> object:
    """Form errors (lazy strings, nested for subforms) as plain JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def json_for_json_clients(resp: Response) -> Response:
    """A client that sent JSON (or asked for it) gets its refusal in JSON, whatever view
    answered: a form page drawn again with its errors becomes {"error": "invalid",
    "message", "fields"}, as the door API answers. The response object is kept, so its
    headers (security, cookies) are too."""
    if resp.status_code < 400 or resp.mimetype != "text/html" or not wants_json():
        return resp
    fields = _plain(request.environ.get(FORM_ERRORS, {}))
    status = resp.status_code
    message = (
        str(_l("Some of what you sent isn't valid."))
        if fields
        else str(MESSAGES.get(status, MESSAGES[400]))
    )
    resp.set_data(
        current_app.json.dumps(
            {"error": "invalid" if fields else str(status), "message": message, "fields": fields}
        )
    )
    resp.mimetype = "application/json"
    return resp


def register_error_handlers(app: Flask) -> None:
    app.after_request(json_for_json_clients)

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        db.session.rollback()
        status, message = message_for(err.code)
        return error_response(status, message, err.code)

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        return error_response(
            400,
            str(_l("Your form expired or was sent from elsewhere. Reload the page and try again.")),
            "csrf",
        )

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if err.code is None or err.code < 400:
            return err
        message = err.description or ""
        # Werkzeug's default (or Flask-Limiter's bare "30 per 1 hour"), in the page's language.
        default = message == type(err).description or _BARE_LIMIT.match(str(message))
        if err.code in MESSAGES and default:
            message = str(MESSAGES[err.code])
        return error_response(err.code, message, err.name.lower().replace(" ", "_"))

    def _database_unavailable(err: sa_exc.SQLAlchemyError):
        try:
            db.session.rollback()
        except sa_exc.SQLAlchemyError:
            db.session.close()
        # The page is drawn without the database: as for someone signed out (the signed-in
        # user's row was expired by the rollback, and reading it again would fail too).
        g._login_user = current_app.login_manager.anonymous_user()
        cause = getattr(err, "orig", None) or err
        first_line = str(cause).strip().partition("\n")[0]
        current_app.logger.warning(
            "database unavailable on %s %s, answered 503: %s: %s",
            request.method,
            request.path,
            type(cause).__name__,
            first_line,
        )
        message = str(
            _l(
                "The database isn't answering just now. Nothing was saved: "
                "try again in a few seconds."
            )
        )
        response, status = error_response(503, message, "database_unavailable")
        response = current_app.make_response((response, status))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, _database_unavailable)

    @app.errorhandler(500)
    def _server(err):
        db.session.rollback()
        return error_response(500, str(_l("Please try again in a moment.")), "server_error")

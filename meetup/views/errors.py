"""Domain error codes to messages and statuses; friendly 400/403/404 pages; JSON for APIs.

Each blueprint registers the codes its services raise with
`error_messages.register_messages`.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..error_messages import message_for
from ..extensions import db
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
}


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, code: str | None = None) -> tuple[Response, int]:
    if wants_json():
        return jsonify(error=code or str(status), message=message), status
    title = TITLES.get(status, TITLES[400])
    return render_template("errors/error.html", title=title, message=message, status=status), status


def register_error_handlers(app: Flask) -> None:
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
        return error_response(err.code, err.description or "", err.name.lower().replace(" ", "_"))

    @app.errorhandler(500)
    def _server(err):
        db.session.rollback()
        return error_response(500, str(_l("Please try again in a moment.")), "server_error")

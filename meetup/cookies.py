"""Every cookie the app sets carries the session cookie's flags: Secure when
SESSION_COOKIE_SECURE is on (production, behind HTTPS), HttpOnly, and its SameSite.

The remember-me cookie is configured from the session's settings, and a last hook adds any
flag a cookie was set without, so a cookie added later can't forget one.
"""

from __future__ import annotations

from flask import Flask, Response

FLAGS = ("SECURE", "HTTPONLY", "SAMESITE")


def init_app(app: Flask) -> None:
    """Call before the extensions that set cookies: the hook registered first runs last."""
    for flag in FLAGS:
        app.config.setdefault(f"REMEMBER_COOKIE_{flag}", app.config[f"SESSION_COOKIE_{flag}"])
    secure = bool(app.config["SESSION_COOKIE_SECURE"])
    samesite = app.config["SESSION_COOKIE_SAMESITE"]

    @app.after_request
    def _flag_every_cookie(response: Response) -> Response:
        cookies = response.headers.getlist("Set-Cookie")
        if cookies:
            response.headers.setlist(
                "Set-Cookie", [with_flags(c, secure=secure, samesite=samesite) for c in cookies]
            )
        return response


def with_flags(cookie: str, *, secure: bool, samesite: str | None) -> str:
    """A Set-Cookie value with the flags it lacks added."""
    present = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}
    if secure and "secure" not in present:
        cookie += "; Secure"
    if "httponly" not in present:
        cookie += "; HttpOnly"
    if samesite and "samesite" not in present:
        cookie += f"; SameSite={samesite}"
    return cookie

"""What the browser tests share."""

from __future__ import annotations


def sign_in(app, context, user, base: str) -> None:
    """`user`'s session cookie in a browser context, as Flask-Login would set it, so a test
    needn't drive the sign-in form."""
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"_user_id": user.get_id(), "_fresh": True})
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": base}])

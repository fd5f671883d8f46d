"""Sessions under the production settings: every cookie's flags, a new CSRF token at
sign-in, and signing out ending the session on the server."""

from __future__ import annotations

import pytest

from tests.factories import csrf_in, last_link_token, make_event, make_group, make_user

PASSWORD = "correct horse battery"
PRODUCTION = {
    "SESSION_COOKIE_SECURE": True,
    "FORCE_HTTPS": True,
    "TRUSTED_PROXIES": 1,
    "WTF_CSRF_ENABLED": True,
}


@pytest.fixture
def prod(make_app):
    app = make_app(**PRODUCTION)

    @app.get("/test-only/cookie")
    def _plain_cookie():  # a cookie set the plain way, as a later feature might
        response = app.make_response("ok")
        response.set_cookie("later_feature", "1")
        return response

    with app.app_context():
        yield app


def https_client(app):
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"  # behind the HTTPS proxy
    client.environ_base["HTTP_REFERER"] = "https://localhost/"  # checked on HTTPS posts
    return client


def sign_in(client, email="ana@example.org"):
    token = csrf_in(client.get("/login").get_data(as_text=True))
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    resp = client.post("/login", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp


def test_every_cookie_has_the_session_cookies_flags(prod):
    make_user("ana@example.org", password=PASSWORD)
    event = make_event(make_group(make_user()), capacity=5)
    client = https_client(prod)
    seen = []

    def record(resp):
        seen.extend(resp.headers.getlist("Set-Cookie"))
        return resp

    record(client.get("/login"))
    record(sign_in(client))
    form = csrf_in(client.get("/profile").get_data(as_text=True))
    record(client.post("/logout", data={"csrf_token": form}))
    # An emailed link, a guest's RSVP, and a cookie set without any flag.
    form = csrf_in(client.get("/login").get_data(as_text=True))
    record(client.post("/login/link", data={"email": "bo@example.org", "csrf_token": form}))
    link = f"/login/link/{last_link_token('bo@example.org')}"
    form = csrf_in(client.get(link).get_data(as_text=True))
    record(client.post(link, data={"csrf_token": form}))
    guest = https_client(prod)
    form = csrf_in(guest.get(f"/e/{event.key}").get_data(as_text=True))
    data = {"answer": "going", "name": "Cy", "email": "cy@example.org", "csrf_token": form}
    record(guest.post(f"/e/{event.key}/rsvp", data=data))
    record(guest.get("/test-only/cookie"))

    names = {cookie.split("=", 1)[0] for cookie in seen}
    assert {"session", "remember_token", "later_feature"} <= names
    for cookie in seen:
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookie


def test_a_csrf_token_read_while_signed_out_is_refused_once_signed_in(prod):
    make_user("ana@example.org", password=PASSWORD)
    client = https_client(prod)
    before = csrf_in(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": before}
    )
    assert client.get("/profile").status_code == 200  # signed in
    stale = client.post("/profile/sign-out-elsewhere", data={"csrf_token": before})
    assert stale.status_code == 400 and b"Your form expired" in stale.data
    fresh = csrf_in(client.get("/profile").get_data(as_text=True))
    assert fresh != before
    assert client.post("/profile/sign-out-elsewhere", data={"csrf_token": fresh}).status_code == 302


def test_signing_out_ends_the_session_for_every_copy_of_its_cookies(prod):
    make_user("ana@example.org", password=PASSWORD)
    client = https_client(prod)
    sign_in(client)
    copied = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    form = csrf_in(client.get("/profile").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": form}).status_code == 302
    for names in (("session", "remember_token"), ("session",), ("remember_token",)):
        thief = https_client(prod)
        for name in names:
            thief.set_cookie(name, copied[name], domain="localhost")
        resp = thief.get("/profile")
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], names
    # The owner signs in again as usual.
    sign_in(client)
    assert client.get("/profile").status_code == 200

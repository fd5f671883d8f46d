"""Sign in by password and by emailed link, sign up, sign out, safe `next`, rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import LoginToken, OutboxMessage, User, utcnow
from meetup.services.accounts import magic_links
from tests.factories import last_link_token, make_user

UNSAFE_NEXT = [
    "//evil.com",
    "https://evil.com/x",
    "/\\evil.com",
    "javascript:alert(1)",
    "http:/evil.com",
    "/\t/evil.com",
    "",
]


def signed_in_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


# ---------------------------------------------------------------- the page


def test_login_page_offers_both_ways_and_keeps_next(client):
    resp = client.get("/login?next=/e/abc")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Email me a sign-in link" in html and "Use a password instead" in html
    assert html.count('name="next" type="hidden" value="/e/abc"') == 2
    assert 'href="/signup?next=/e/abc"' in html


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_login_page_drops_an_unsafe_next(client, target):
    html = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in html and "javascript" not in html


def test_signed_in_visitor_is_sent_on(client, login):
    login(client, make_user())
    assert client.get("/login?next=/e/abc").headers["Location"] == "/e/abc"
    assert client.get("/login?next=//evil.com").headers["Location"] == "/"


# ---------------------------------------------------------------- password


def test_password_sign_in_goes_to_next(client):
    user = make_user("ana@example.org", password="correct horse battery")
    resp = client.post(
        "/login",
        data={"email": "ANA@example.org ", "password": "correct horse battery", "next": "/e/abc"},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/e/abc"
    assert signed_in_id(client) == user.get_id()
    assert "remember_token" in resp.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_password_sign_in_never_follows_an_unsafe_next(client, target):
    make_user("ana@example.org", password="correct horse battery")
    resp = client.post(
        "/login",
        data={"email": "ana@example.org", "password": "correct horse battery", "next": target},
    )
    assert resp.headers["Location"] == "/"


def test_wrong_password_and_unknown_address_get_the_same_answer(client):
    make_user("ana@example.org", password="correct horse battery")
    make_user("bo@example.org")  # made by a magic link or an import: no password
    answers = []
    for email in ("ana@example.org", "nobody@example.org", "bo@example.org"):
        resp = client.post("/login", data={"email": email, "password": "wrong password!"})
        html = resp.get_data(as_text=True).replace(email, "EMAIL")
        answers.append((resp.status_code, html))
        assert signed_in_id(client) is None
    assert answers[0][0] == 400
    assert "don&#39;t match" in answers[0][1]
    assert answers[0] == answers[1] == answers[2]


@pytest.mark.parametrize(
    "data",
    [
        {"email": "not-an-email", "password": "whatever"},
        {"email": "a" * 300 + "@example.org", "password": "whatever"},
        {"email": "ana@example.org", "password": "x" * 10_000},
        {"email": "", "password": ""},
    ],
)
def test_bad_password_form_is_a_400(client, data):
    make_user("ana@example.org", password="correct horse battery")
    resp = client.post("/login", data=data)
    assert resp.status_code == 400
    assert signed_in_id(client) is None


# ---------------------------------------------------------------- emailed links


def test_link_request_answers_the_same_whether_or_not_the_address_exists(client):
    make_user("ana@example.org")
    known = client.post("/login/link", data={"email": "ana@example.org"})
    unknown = client.post("/login/link", data={"email": "new@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    assert b"If that address can sign in, we've sent a link" in known.data
    assert outbox_count() == 2  # both get a link: the unknown one creates the account


def test_link_email_has_text_and_html_parts_with_the_link(client):
    client.post("/login/link", data={"email": "Ana@Example.org"})
    msg = db.session.scalars(select(OutboxMessage)).one()
    assert msg.to_addr == "ana@example.org"
    token = last_link_token("ana@example.org")
    assert f"http://localhost/login/link/{token}" in msg.body_text
    assert f'href="http://localhost/login/link/{token}"' in msg.body_html
    assert "15 minutes" in msg.body_text


def test_opening_a_link_asks_for_one_tap_and_does_not_use_it(client):
    client.post("/login/link", data={"email": "ana@example.org"})
    token = last_link_token("ana@example.org")
    for _ in range(2):  # a mail scanner prefetching the GET must not burn the link
        resp = client.get(f"/login/link/{token}")
        assert resp.status_code == 200
        assert b"Sign in as ana@example.org" in resp.data
    assert signed_in_id(client) is None
    assert db.session.scalar(select(LoginToken.used_at)) is None


def test_link_for_an_unknown_address_creates_a_confirmed_account(client):
    client.post("/login/link", data={"email": "new@example.org", "next": "/e/abc"})
    assert user_by_email("new@example.org") is None  # nothing until the link is used
    resp = client.post(f"/login/link/{last_link_token('new@example.org')}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/e/abc"
    user = user_by_email("new@example.org")
    assert user is not None and user.email_confirmed_at is not None
    assert user.password_hash is None and user.wants_intros is True
    assert signed_in_id(client) == user.get_id()
    assert "remember_token" in resp.headers.get("Set-Cookie", "")


def test_link_signs_in_an_existing_account(client):
    user = make_user("ana@example.org", password="correct horse battery")
    client.post("/login/link", data={"email": "ana@example.org"})
    resp = client.post(f"/login/link/{last_link_token('ana@example.org')}")
    assert resp.headers["Location"] == "/"
    assert signed_in_id(client) == user.get_id()
    assert user_by_email("ana@example.org").email_confirmed_at is not None


def test_next_survives_the_whole_flow(client):
    page = client.get("/login?next=/e/abc%3Fx%3D1").get_data(as_text=True)
    assert 'value="/e/abc?x=1"' in page
    client.post("/login/link", data={"email": "ana@example.org", "next": "/e/abc?x=1"})
    token = last_link_token("ana@example.org")
    assert client.post(f"/login/link/{token}").headers["Location"] == "/e/abc?x=1"


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_unsafe_next_is_not_carried_into_the_link(client, target):
    client.post("/login/link", data={"email": "ana@example.org", "next": target})
    assert db.session.scalar(select(LoginToken.payload)) == {}
    resp = client.post(f"/login/link/{last_link_token('ana@example.org')}")
    assert resp.headers["Location"] == "/"


def test_a_used_link_gets_a_clear_410_with_a_way_to_get_a_new_one(client):
    client.post("/login/link", data={"email": "ana@example.org"})
    token = last_link_token("ana@example.org")
    assert client.post(f"/login/link/{token}").status_code == 302
    client.post("/logout")
    for resp in (client.get(f"/login/link/{token}"), client.post(f"/login/link/{token}")):
        assert resp.status_code == 410
        html = resp.get_data(as_text=True)
        assert "already been used" in html and "Email me a new link" in html
    assert signed_in_id(client) is None


def test_an_expired_link_gets_a_410(client):
    token = magic_links.issue("ana@example.org", now=utcnow() - timedelta(minutes=16))
    db.session.commit()
    for resp in (client.get(f"/login/link/{token}"), client.post(f"/login/link/{token}")):
        assert resp.status_code == 410
        assert b"expired" in resp.data and b"Email me a new link" in resp.data
    assert user_by_email("ana@example.org") is None


@pytest.mark.parametrize("token", ["nope", "x" * 5000, "%00", "a.b"])
def test_an_invalid_link_gets_a_404(client, token):
    for resp in (client.get(f"/login/link/{token}"), client.post(f"/login/link/{token}")):
        assert resp.status_code == 404
        if token == "%00":  # refused before the view (meetup/input_guard.py)
            assert b"Not found" in resp.data
        else:
            assert b"Email me a new link" in resp.data


def test_a_link_made_for_something_else_does_not_sign_in(client):
    token = magic_links.issue("ana@example.org", purpose="door")
    db.session.commit()
    assert client.post(f"/login/link/{token}").status_code == 404
    assert signed_in_id(client) is None


BAD_EMAILS = [
    "not-an-email",
    "a@",
    "@b.org",
    "ana@example.org\r\nBcc: x@y.org",
    "a" * 300 + "@x.org",
]


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_link_request_with_a_bad_address_is_a_400_and_sends_nothing(client, email):
    resp = client.post("/login/link", data={"email": email})
    assert resp.status_code == 400
    assert b"Enter a valid email address" in resp.data
    assert outbox_count() == 0


def test_sign_in_handlers_run_in_the_same_transaction(client, monkeypatch):
    seen = []
    monkeypatch.setattr(magic_links, "_handlers", {})
    magic_links.on_sign_in("rsvp_id")(lambda user, value, now: seen.append((user.email, value)))
    token = magic_links.issue("ana@example.org", payload={"rsvp_id": 7})
    db.session.commit()
    client.post(f"/login/link/{token}")
    assert seen == [("ana@example.org", 7)]


# ---------------------------------------------------------------- sign up


PASSWORD = "correct horse battery"


def signup(client, email="ana@example.org", **extra):
    data = {"name": "Ana Lima", "email": email, "password": PASSWORD, **extra}
    return client.post("/signup", data=data)


def test_signup_page_renders_and_keeps_next(client):
    resp = client.get("/signup?next=/e/abc")
    assert resp.status_code == 200
    assert b'value="/e/abc"' in resp.data


def test_signup_creates_the_account_once_the_address_is_confirmed(client):
    resp = signup(client, next="/e/abc")
    assert resp.status_code == 200 and b"Check your email" in resp.data
    assert user_by_email("ana@example.org") is None
    token = last_link_token("ana@example.org")
    assert "confirm your address" in db.session.scalar(select(OutboxMessage.body_text))
    assert client.post(f"/login/link/{token}").headers["Location"] == "/e/abc"
    user = user_by_email("ana@example.org")
    assert user.name == "Ana Lima" and user.email_confirmed_at is not None
    assert "password_hash" not in db.session.scalar(select(LoginToken.payload))
    client.post("/logout")
    resp = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD})
    assert resp.status_code == 302 and signed_in_id(client) == user.get_id()


def test_signup_cannot_choose_the_password_of_an_account_made_without_one(client):
    """A member imported from Slack (no password yet): a stranger signs up with their
    address and a password of the stranger's choosing; the owner opens the email they get.
    The link signs the owner in and sets nothing: the stranger's password opens nothing."""
    make_user("ana@example.org", name="Ana")  # imported from Slack
    stranger = signup(client, password="a stranger's choice")
    assert stranger.data == signup(client, email="new@example.org").data  # no enumeration
    body = db.session.scalar(
        select(OutboxMessage.body_text)
        .where(OutboxMessage.to_addr == "ana@example.org")
        .order_by(OutboxMessage.id.desc())
    )
    assert "you already have one" in body and "confirm your address" not in body
    owner = client.application.test_client()
    owner.post(f"/login/link/{last_link_token('ana@example.org')}")
    assert user_by_email("ana@example.org").password_hash is None
    attempt = {"email": "ana@example.org", "password": "a stranger's choice"}
    assert client.post("/login", data=attempt).status_code == 400
    # The owner sets a password only while signed in, from the profile.
    new = {"new_password": "the owner's own one", "confirm_password": "the owner's own one"}
    resp = owner.post("/profile/password", data=new)
    assert resp.status_code == 302 and user_by_email("ana@example.org").password_hash


def test_a_signup_link_sets_no_password_on_an_account_made_meanwhile(client):
    signup(client, password="a stranger's choice")
    token = last_link_token("ana@example.org")
    make_user("ana@example.org", name="Ana")  # imported before the link was opened
    client.post(f"/login/link/{token}")
    assert user_by_email("ana@example.org").password_hash is None


def test_signup_hashes_the_password_whoever_the_address_belongs_to(client, monkeypatch):
    """Hashing is the slow part: an address with an account and a new one cost the same."""
    from meetup.services.accounts import users

    calls = []
    real = users.generate_password_hash
    monkeypatch.setattr(users, "generate_password_hash", lambda p: calls.append(p) or real(p))
    make_user("has@example.org", password="the owner's own one")
    make_user("none@example.org")
    counts = []
    for email in ("new@example.org", "has@example.org", "none@example.org"):
        calls.clear()
        assert signup(client, email=email).status_code == 200
        counts.append(len(calls))
    assert counts == [1, 1, 1]


def test_signup_never_replaces_an_existing_password(client):
    make_user("ana@example.org", password="the real owner's one")
    first = signup(client, password="an attacker's choice")
    fresh = signup(client, email="new@example.org", password="an attacker's choice")
    assert first.data == fresh.data  # no enumeration on the page
    body = db.session.scalar(
        select(OutboxMessage.body_text).where(OutboxMessage.to_addr == "ana@example.org")
    )
    assert "you already have one" in body
    client.post(f"/login/link/{last_link_token('ana@example.org')}")
    client.post("/logout")
    owner = {"email": "ana@example.org", "password": "the real owner's one"}
    ok = client.post("/login", data=owner)
    assert ok.status_code == 302


@pytest.mark.parametrize(
    "extra",
    [
        {"password": "short"},
        {"password": "x" * 201},
        {"name": ""},
        {"name": "N" * 121},
        {"email": "not-an-email"},
    ],
)
def test_bad_signup_is_a_400_and_writes_nothing(client, extra):
    resp = signup(client, **extra)
    assert resp.status_code == 400
    assert outbox_count() == 0
    assert db.session.scalar(select(func.count()).select_from(LoginToken)) == 0


# ---------------------------------------------------------------- sign out


def test_sign_out_is_a_post(client, login):
    user = make_user()
    login(client, user)
    assert client.get("/logout").status_code == 405
    assert signed_in_id(client) == user.get_id()
    resp = client.post("/logout")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert signed_in_id(client) is None
    assert b"signed out" in client.get("/").data


def test_navigation_shows_sign_in_or_sign_out(client, login):
    assert b'href="/login?next=' in client.get("/").data
    login(client, make_user())
    html = client.get("/").get_data(as_text=True)
    assert 'action="/logout"' in html and 'name="csrf_token"' in html


# ---------------------------------------------------------------- rate limits


def test_link_requests_and_sign_ins_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        # Per address: the fourth link to the same inbox within minutes is refused.
        for _ in range(3):
            assert client.post("/login/link", data={"email": "ana@example.org"}).status_code == 200
        refused = client.post("/login/link", data={"email": "Ana@example.org"})
        assert refused.status_code == 429
        assert b"Too many attempts" in refused.data
        # Signing up emails a link too: it shares the per-address budget.
        assert signup(client).status_code == 429
        # Another address from the same client still works (until the per-IP limit).
        assert client.post("/login/link", data={"email": "bo@example.org"}).status_code == 200
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 4

        # Password guessing on one address: 10 failures, then refused, even from elsewhere.
        make_user("cy@example.org", password="correct horse battery")
        for i in range(10):
            resp = client.post(
                "/login",
                data={"email": "cy@example.org", "password": "guess"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
            )
            assert resp.status_code == 400
        resp = client.post(
            "/login",
            data={"email": "cy@example.org", "password": "correct horse battery"},
            environ_base={"REMOTE_ADDR": "10.0.1.1"},
        )
        assert resp.status_code == 429

        # Per client address: many addresses from one client are cut off too.
        codes = [
            client.post(
                "/login",
                data={"email": f"u{i}@example.org", "password": "guess"},
                environ_base={"REMOTE_ADDR": "10.9.9.9"},
            ).status_code
            for i in range(11)
        ]
        assert codes[:10] == [400] * 10 and codes[10] == 429

"""Every address is checked where it is typed exactly as the mailer will send it: an
international domain is kept encoded, a local part with other than ASCII is refused with a
clear message unless the SMTP server speaks SMTPUTF8; and an organizer sees who on their
list never got an email."""

from __future__ import annotations

import inspect

import pytest
from aiosmtpd.controller import Controller
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from wtforms import EmailField

from meetup import forms
from meetup.extensions import db
from meetup.forms.base import MailableEmail
from meetup.models import OutboxMessage, User
from meetup.services.accounts import users
from meetup.services.community import member_import
from tests.conftest import Inbox, free_port
from tests.door_support import door_link
from tests.factories import make_event, make_group, make_rsvp, make_user

UNMAILABLE = "üser@exämple.org"
SAYS_WHY = b"We can&#39;t send email to this address"


@pytest.fixture
def party(app):
    organizer = make_user(name="Olga")
    event = make_event(make_group(organizer), capacity=5)
    return organizer, event


def _nothing_written() -> bool:
    users = db.session.scalar(select(func.count()).select_from(User).where(User.name == "Üser"))
    mail = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    return users == 0 and mail == 0


def test_every_page_that_takes_an_address_refuses_one_that_cannot_be_mailed(app, login, party):
    organizer, event = party
    client = app.test_client()
    posts = [
        ("/signup", {"name": "Üser", "email": UNMAILABLE, "password": "long enough pw"}),
        ("/login/link", {"email": UNMAILABLE}),
        (f"/e/{event.key}/rsvp", {"answer": "going", "name": "Üser", "email": UNMAILABLE}),
    ]
    for path, data in posts:
        resp = client.post(path, data=data)
        assert resp.status_code == 400 and SAYS_WHY in resp.data, path
    login(client, organizer)
    data = {"add-name": "Üser", "add-email": UNMAILABLE}
    resp = client.post(f"/e/{event.key}/attendees/add", data=data)
    assert resp.status_code == 400 and SAYS_WHY in resp.data
    door = app.test_client()
    door.get(f"/door/{door_link(event)}")
    body = {"nonce": "nonce-0001", "name": "Üser", "email": UNMAILABLE}
    resp = door.post(f"/e/{event.key}/door/walkin", json=body)
    assert resp.status_code == 400 and "send email" in str(resp.get_json())
    assert _nothing_written()


def test_an_import_skips_an_address_that_cannot_be_mailed(app):
    table = member_import.read_csv(f"email,name\n{UNMAILABLE},Üser\nana@example.org,Ana\n".encode())
    plan = member_import.plan(table, member_import.detect_mapping(table))
    assert [p.email for p in plan.people] == ["ana@example.org"]
    assert [s.reason for s in plan.skipped] == ["invalid_email"]


def test_every_address_field_of_every_form_is_checked_as_the_mailer_sends(app):
    """Forms added later too: an email field without the check fails here."""
    checked = []
    for module in forms.__dict__.values():
        if not inspect.ismodule(module):
            continue
        for form in vars(module).values():
            if not (inspect.isclass(form) and hasattr(form, "_unbound_fields")):
                continue
            for name, unbound in inspect.getmembers(form):
                kwargs = getattr(unbound, "kwargs", None)
                is_email = getattr(unbound, "field_class", None) is EmailField or (name == "email")
                if kwargs is None or not is_email:
                    continue
                validators = kwargs.get("validators") or []
                assert any(isinstance(v, MailableEmail) for v in validators), (form, name)
                checked.append(f"{form.__name__}.{name}")
    assert {"WalkinForm.email", "AddForm.email", "RsvpForm.email"} <= set(checked)


def test_an_international_domain_is_stored_and_sent_encoded(make_app, smtp_server):
    port, inbox = smtp_server
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        event = make_event(make_group(make_user()), capacity=5)
        data = {"answer": "going", "name": "Ana", "email": "Ana@Exämple.org"}
        assert app.test_client().post(f"/e/{event.key}/rsvp", data=data).status_code == 303
        assert db.session.scalar(select(User.email).where(User.name == "Ana")) == (
            "ana@xn--exmple-cua.org"
        )
        app.test_cli_runner().invoke(args=["worker", "--once"])
        assert [e.rcpt_tos for e in inbox.envelopes] == [["ana@xn--exmple-cua.org"]]


def test_with_smtputf8_configured_such_an_address_is_accepted_and_delivered(make_app):
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        app = make_app(
            MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SMTPUTF8=True
        )
        with app.app_context():
            event = make_event(make_group(make_user()), capacity=5)
            data = {"answer": "going", "name": "Üser", "email": UNMAILABLE}
            assert app.test_client().post(f"/e/{event.key}/rsvp", data=data).status_code == 303
            app.test_cli_runner().invoke(args=["worker", "--once"])
            assert [e.rcpt_tos for e in inbox.envelopes] == [[UNMAILABLE]]
            assert f"<{UNMAILABLE}>".encode() in inbox.envelopes[0].content  # the To header
    finally:
        controller.stop()


def test_the_organizer_sees_who_never_got_their_email(app, login, party):
    organizer, event = party
    bo = make_rsvp(event, make_user("bo@example.org", name="Bo"), status="pending")
    cy = make_rsvp(event, make_user("cy@example.org", name="Cy"), status="pending")
    for rsvp, status in ((bo, "failed"), (cy, "sent")):
        db.session.add(
            OutboxMessage(
                message_id=f"<{rsvp.id}@test>",
                to_addr=rsvp.user.email,
                subject="Confirm your RSVP",
                body_text="...",
                body_html="...",
                group_id=event.group_id,
                status=status,
                last_error="550 5.1.1 mailbox unavailable" if status == "failed" else None,
            )
        )
    db.session.commit()
    html = (
        login(app.test_client(), organizer).get(f"/e/{event.key}/attendees").get_data(as_text=True)
    )
    assert "1 person on this list never got an email we sent them" in html
    assert html.count("our email never reached them") == 1
    assert 'title="550 5.1.1 mailbox unavailable"' in html
    assert f"/g/{event.group.slug}/mail" in html


# ------------------------------------------------------------- the everyday address, read fast

_ADDRESSISH = (
    r"[A-Za-z0-9._+!#~-]{1,70}@[A-Za-z0-9.-]{1,70}\.(?:[A-Za-z]{1,8}|[0-9]{2}|test|local|arpa)"
)


@settings(max_examples=400, deadline=None)
@given(st.from_regex(_ADDRESSISH, fullmatch=True))
def test_the_fast_reading_of_an_address_agrees_with_the_full_one(text):
    """normalize_email skips email_validator for everyday addresses (an import of 50,000
    rows reads each twice): whatever it accepts that way, the validator accepts identically."""
    fast = users.plain_address(text)
    if fast is None:
        return
    info = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    assert fast == info.ascii_email.lower()


@pytest.mark.parametrize(
    "text",
    [
        "a@b.test",
        "a..b@example.org",
        ".a@example.org",
        "a@-x.org",
        "a@x-.org",
        "a@xn--bcher-kva.ch",
        "a@example.o",
        "a@example.123",
        f"{'a' * 65}@example.org",
        "a@localhost",
    ],
)
def test_addresses_the_fast_reading_leaves_to_the_validator(text):
    assert users.plain_address(text) is None

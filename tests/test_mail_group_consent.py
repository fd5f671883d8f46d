"""Group email is consented: the welcome of imported people, one-click unsubscribe, the List-*
headers, per-group preferences and hard bounces, through a real SMTP server."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import Membership, OutboxMessage, User
from meetup.services.community import member_import as mi
from meetup.services.mail import consent
from meetup.worker import deliver_due, jobs
from tests.factories import add_member, make_event, make_group, make_user

CSV = b"fullname,email\nAna Lima,ana@example.org\nBo Chen,bo@example.org\n"


def _membership(group, email) -> Membership:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.group_id == group.id, User.email == email)
    )


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(text: str) -> list[str]:
    return re.findall(r"http://localhost/m/\S+", text)


def _import(client, login, organizer, group, data=CSV, **form):
    login(client, organizer)
    upload = client.post(f"/g/{group.slug}/import", data={"file": (io.BytesIO(data), "m.csv")})
    token = upload.headers["Location"].rsplit("/", 1)[1]
    client.get(f"/g/{group.slug}/import/{token}")
    done = client.post(f"/g/{group.slug}/import/{token}", data={"email": "1", "name": "0", **form})
    assert done.status_code == 302


def test_imported_people_are_welcomed_once_with_list_headers(smtp_app, login):
    app, inbox = smtp_app
    client = app.test_client()
    olga = make_user("olga@example.org", name="Olga")
    group = make_group(olga, name="Rust Paris", platform="slack")
    _import(client, login, olga, group)
    _import(client, login, olga, group)  # a re-import welcomes nobody again
    assert deliver_due().sent == 2

    by_to = {m["To"].addresses[0].addr_spec: m for m in inbox.messages}
    assert set(by_to) == {"ana@example.org", "bo@example.org"}
    msg = by_to["ana@example.org"]
    text = msg.get_body(("plain",)).get_content()
    assert "Olga added you to Rust Paris's meetups from the Rust Paris Slack." in text
    assert msg.get_body(("html",)) is not None
    assert msg["List-Id"] == f'"Rust Paris" <{group.slug}.localhost>'
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(http://localhost/m/unsubscribe/\S+)>", msg["List-Unsubscribe"])
    assert unsubscribe and unsubscribe.group(1) in text  # the visible link is the same
    yes, no = (link for link in _links(text) if "/m/welcome/" in link)
    assert yes.endswith("answer=yes") and no.endswith("answer=no")

    client = app.test_client()  # signed out
    # A GET (a mail scanner's prefetch) shows one button and changes nothing.
    page = client.get(_path(no))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    article = page.get_data(as_text=True).split("<article", 1)[1].split("</article>")[0]
    assert article.count('type="submit"') == 1
    assert _membership(group, "ana@example.org").welcome_answer is None
    assert client.post(_path(no), data={"answer": "no"}).status_code == 200
    ana = _membership(group, "ana@example.org")
    assert ana.welcome_answer == "no" and ana.unsubscribed_at is not None
    assert not (ana.mail_announcements or ana.mail_reminders or ana.mail_intros)

    bo_text = by_to["bo@example.org"].get_body(("plain",)).get_content()
    bo_yes = next(link for link in _links(bo_text) if link.endswith("answer=yes"))
    client.post(_path(bo_yes), data={"answer": "yes"})
    assert _membership(group, "bo@example.org").welcome_answer == "yes"
    # Tampered links name nobody.
    assert client.get(_path(bo_yes).replace("/m/welcome/", "/m/welcome/x")).status_code == 404


def test_the_import_chooses_whether_announcements_go_until_they_answer(app, client, login):
    olga = make_user(name="Olga")
    group = make_group(olga)
    _import(client, login, olga, group, announcements="no")
    assert not _membership(group, "ana@example.org").mail_announcements
    assert _membership(group, "ana@example.org").imported_by_id == olga.id


def test_one_click_unsubscribe_needs_no_sign_in_nor_csrf(smtp_app):
    app, inbox = smtp_app
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    group = make_group(make_user(), name="Rust Paris")
    mi.import_csv(group, CSV)
    db.session.commit()
    deliver_due()
    msg = next(m for m in inbox.messages if m["To"].addresses[0].addr_spec == "ana@example.org")
    url = msg["List-Unsubscribe"].strip("<>")

    page = client.get(_path(url))  # one button, nothing changed yet
    assert page.status_code == 200 and "Unsubscribe" in page.get_data(as_text=True)
    assert _membership(group, "ana@example.org").mail_announcements
    # What a mail provider sends (RFC 8058): a POST with that body, no cookie, no token.
    done = client.post(_path(url), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 204
    ana = _membership(group, "ana@example.org")
    assert ana.unsubscribed_at and not ana.mail_announcements
    assert client.post(_path(url) + "x", data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_unsubscribing_drops_their_queued_group_email(app):
    group = make_group(make_user())
    mi.import_csv(group, CSV)
    db.session.commit()
    consent.unsubscribe(_membership(group, "ana@example.org"))
    db.session.commit()
    queued = db.session.scalars(select(OutboxMessage.to_addr)).all()
    assert queued == ["bo@example.org"]


def test_imported_people_are_shown_to_members_once_they_join_or_rsvp(app, client, login):
    from meetup.services.events import answers

    org = make_user(name="Org")
    group = make_group(org)
    mi.import_csv(group, CSV)
    db.session.commit()
    member = make_user(name="Mia")
    add_member(group, member)
    login(client, member)
    page = client.get(f"/g/{group.slug}/members").get_data(as_text=True)
    assert "Mia" in page and "Ana Lima" not in page and "Bo Chen" not in page
    login(client, org)
    assert "Ana Lima" in client.get(f"/g/{group.slug}/members").get_data(as_text=True)

    ana = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    answers.answer(make_event(group), ana, True)
    db.session.commit()
    assert jobs.run_jobs(jobs=[consent.show_members_who_answered]) == {
        "show_members_who_answered": 1
    }
    login(client, member)
    page = client.get(f"/g/{group.slug}/members").get_data(as_text=True)
    assert "Ana Lima" in page and "Bo Chen" not in page
    total = db.session.scalar(select(func.count()).select_from(Membership))
    assert total == 4


def test_a_hard_bounce_stops_group_email_but_not_transactional(make_app):
    from meetup.services.accounts import sign_in
    from tests.smtp_sinks import Sink, running

    sink = Sink(fail=1, reply="550 5.1.1 No such user")
    with running(sink) as port:
        app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        with app.app_context(), app.test_request_context():
            org = make_user("org@example.org")
            group = make_group(org)
            mi.import_csv(group, b"email\nana@example.org\n")
            db.session.commit()
            report = deliver_due()  # the welcome is refused for good: failed at once
            assert (report.sent, report.failed, report.retried) == (0, 1, 0)
            ana = db.session.scalar(select(User).where(User.email == "ana@example.org"))
            db.session.refresh(ana)
            assert ana.mail_undeliverable_at is not None and "550" in ana.mail_bounce
            assert not consent.may_send(_membership(group, "ana@example.org"), "announcements")

            sign_in.request_link("ana@example.org", next_url=None)  # transactional: still goes
            db.session.commit()
            assert deliver_due().sent == 1
            client = app.test_client()  # the organizer sees it on the member list
            with client.session_transaction() as session:
                session["_user_id"] = org.get_id()
            page = client.get(f"/g/{group.slug}/members").get_data(as_text=True)
            assert "Email bounced" in page
    assert [e.rcpt_tos for e in sink.envelopes] == [["ana@example.org"]]


def test_preferences_on_the_profile_per_group(app, client, login):
    ana = make_user("ana@example.org", name="Ana")
    rust, python = make_group(make_user(), name="Rust"), make_group(make_user(), name="Python")
    add_member(rust, ana)
    add_member(python, ana)
    login(client, ana)
    page = client.get("/profile").get_data(as_text=True)
    assert "Email from your groups" in page and "Rust" in page and "Python" in page
    form = {"g": [str(rust.id), str(python.id)], f"a-{python.id}": "on", f"r-{python.id}": "on"}
    assert client.post("/profile/group-email", data=form).status_code == 302
    r, p = _membership(rust, ana.email), _membership(python, ana.email)
    assert r.unsubscribed_at is None  # switching all off is not an unsubscribe by link
    assert (r.mail_announcements, r.mail_reminders, r.mail_intros) == (False, False, False)
    assert (p.mail_announcements, p.mail_reminders, p.mail_intros) == (True, True, False)


def test_reminders_follow_the_preference_and_carry_list_headers(app):
    from datetime import timedelta

    from meetup.models import utcnow
    from meetup.services.mail import reminders
    from tests.factories import make_rsvp

    group = make_group(make_user())
    ana, bo = make_user("ana@example.org"), make_user("bo@example.org")
    add_member(group, ana)
    add_member(group, bo, mail_reminders=False)
    event = make_event(group, starts_at=utcnow() + timedelta(hours=2))
    make_rsvp(event, ana)
    make_rsvp(event, bo)
    assert reminders.send_reminders(utcnow()) == 1
    row = db.session.scalar(select(OutboxMessage))
    assert row.to_addr == "ana@example.org" and row.list_kind == "reminders"
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/m/unsubscribe/" in row.body_text


def test_introductions_turned_off_for_a_group_make_none(app):
    from meetup.models import IntroPair
    from meetup.services.intros import proposals
    from tests.test_intros import setup_event

    _org, group, event, people = setup_event()
    ben = _membership(group, people["ben"].email)
    consent.set_preferences(ben, mail_intros=False)
    db.session.commit()
    proposals.ensure_proposals(event)
    db.session.commit()
    pairs = db.session.scalars(select(IntroPair)).all()
    assert pairs  # the others are still introduced
    assert all(people["ben"].id not in (p.user_a_id, p.user_b_id) for p in pairs)

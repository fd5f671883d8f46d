"""Which language a page or an email is in: the person's saved choice, else the group's, else
the browser's. Emails are worded in the recipient's language when queued."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Group, OutboxMessage, User, utcnow
from meetup.services.events import answers
from meetup.services.mail import reminders
from tests.factories import add_member, make_event, make_group, make_user, send_outbox

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def _lang(page) -> str:
    html = page.get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def _mail_to(user) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_addr == user.email)
            .order_by(OutboxMessage.id)
        )
    )


def test_saved_choice_then_group_then_browser(client, login):
    group = make_group(locale="fr")
    event = make_event(group, visibility="public")
    db.session.commit()
    # Nobody signed in: the group's language beats the browser's on its pages...
    assert _lang(client.get(f"/g/{group.slug}", headers=ENGLISH)) == "fr"
    page = client.get(f"/e/{event.key}", headers=ENGLISH)
    assert _lang(page) == "fr" and "Je viens" in page.get_data(as_text=True)
    # ...and elsewhere the browser decides.
    assert _lang(client.get("/login", headers=FRENCH)) == "fr"
    assert _lang(client.get("/login", headers=ENGLISH)) == "en"
    # A saved choice beats both.
    ana = make_user(locale="en")
    login(client, ana)
    page = client.get(f"/e/{event.key}", headers=FRENCH)
    assert _lang(page) == "en" and "Going" in page.get_data(as_text=True)


def test_the_profile_saves_a_language_and_says_so_in_it(client, login):
    ana = make_user(name="Ana")
    login(client, ana)
    page = client.get("/profile", headers=ENGLISH).get_data(as_text=True)
    assert 'name="locale"' in page and "Français" in page
    resp = client.post("/profile", data={"name": "Ana", "locale": "fr"}, headers=ENGLISH)
    assert resp.status_code == 302
    assert db.session.get(User, ana.id).locale == "fr"
    page = client.get("/profile", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="fr"' in page and "Votre profil est enregistré." in page
    client.post("/profile", data={"name": "Ana", "locale": ""}, headers=ENGLISH)
    assert db.session.get(User, ana.id).locale is None  # back to the group's or the browser's
    client.post("/profile", data={"name": "Ana", "locale": "xx"}, headers=ENGLISH)
    assert db.session.get(User, ana.id).locale is None


def test_a_new_group_speaks_its_organizers_language(client, login):
    org = make_user(name="Org")
    login(client, org)
    # An organizer who chose nothing, on a French browser: the form offers French.
    form = client.get("/groups/new", headers=FRENCH).get_data(as_text=True)
    assert '<option selected value="fr">Français</option>' in form
    resp = client.post("/groups/new", data={"name": "Anciens", "platform": "slack", "locale": "fr"})
    assert resp.status_code == 302
    assert db.session.scalar(select(Group.locale).where(Group.name == "Anciens")) == "fr"
    # One who chose French, from a client that sends no language: the group takes theirs.
    org.locale = "fr"
    db.session.commit()
    client.post("/groups/new", data={"name": "Alumni", "platform": "slack"})
    assert db.session.scalar(select(Group.locale).where(Group.name == "Alumni")) == "fr"


def test_an_rsvp_email_is_in_the_recipients_language_whoever_caused_it(app):
    group = make_group(locale="fr")
    event = make_event(group, capacity=1, title="Soirée data")
    lea, sam, ben = make_user(name="Léa"), make_user(name="Sam", locale="en"), make_user()
    for user in (lea, sam, ben):
        add_member(group, user)
    answers.answer(event, lea, True)  # the group's language: French
    answers.answer(event, sam, True)  # waitlisted; chose English
    db.session.commit()
    [going] = _mail_to(lea)
    [waiting] = _mail_to(sam)
    assert going.subject == "Vous venez\u00a0: Soirée data"
    assert waiting.subject == "You're on the waitlist: Soirée data"
    send_outbox()
    [going] = _mail_to(lea)
    [waiting] = _mail_to(sam)
    assert "Présentez votre billet à l'entrée." in going.body_html
    assert '<html lang="fr">' in going.body_html
    ics = going.ics.replace("\r\n ", "")  # unfolded
    assert "SUMMARY:Soirée data" in ics and "Votre billet" in ics, ics
    assert "number 1 in line" in waiting.body_text


def test_a_sign_in_link_asked_for_from_a_french_page_comes_in_french(client):
    resp = client.post("/login/link", data={"email": "nouveau@example.org"}, headers=FRENCH)
    assert resp.status_code in (200, 302, 303)
    [message] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_addr == "nouveau@example.org")
    ).all()
    assert message.subject == "Votre lien de connexion à Meetup"
    assert "Il fonctionne une fois" in message.body_text


def test_a_reminder_is_worded_and_dated_in_the_recipients_language(app):
    group = make_group()
    start = utcnow() + timedelta(hours=20)
    event = make_event(group, starts_at=start, reminder_hours=24, timezone="Europe/Paris")
    lea = make_user(locale="fr")
    from tests.factories import make_rsvp

    make_rsvp(event, lea)
    db.session.commit()
    reminders.send_reminders(utcnow())
    [message] = _mail_to(lea)
    assert message.subject.startswith("Rappel\u00a0: ")
    assert "Ajouter à votre agenda" in message.body_html


def test_an_introductions_reason_is_in_each_readers_language(app):
    """Max writes in French but chose English; Ivy writes in English but chose French: each
    reads why they should meet in their own language, quoting both people's own words."""
    from meetup.services.intros import proposals
    from tests.factories import make_rsvp

    group = make_group(locale="fr")
    start = utcnow() - timedelta(hours=3)
    event = make_event(group, starts_at=start, hours=2)
    max_ = make_user(name="Max", locale="en")
    ivy = make_user(name="Ivy", locale="fr")
    make_rsvp(event, max_, checked_in_at=start, looking_for="des investisseurs pour ma fintech")
    make_rsvp(event, ivy, checked_in_at=start,
              can_offer="I write angel cheques for early-stage payments startups")  # fmt: skip
    db.session.commit()
    proposals.ensure_proposals(event)
    [pair] = proposals.pairs(event)
    reads = {pair.user_a.name: pair.reason_for_a, pair.user_b.name: pair.reason_for_b}
    assert reads["Max"].startswith("You are looking for funding"), reads["Max"]
    assert "“des investisseurs pour ma fintech”" in reads["Max"]
    assert reads["Ivy"].startswith("Max cherche un financement"), reads["Ivy"]
    assert "«\u00a0I write angel cheques" in reads["Ivy"]


def test_group_email_subjects_are_worded_in_each_recipients_language(app):
    """An announcement queued by the worker, and welcomes queued by a French-speaking
    organizer: each subject in its recipient's language, not the sender's."""
    from flask_babel import force_locale

    from meetup.services.community import welcome
    from meetup.services.events import announcements
    from meetup.worker import jobs

    olga = make_user("olga@example.org", name="Olga")
    group = make_group(olga, name="Rust Paris")
    ana = make_user("ana@example.org", name="Ana")
    bob = make_user("bob@example.org", name="Bob")
    ana.locale, bob.locale = "fr", "en"
    for person in (ana, bob):
        add_member(group, person)
    event = make_event(group, title="Rust night", capacity=10)

    announcements.announce(event, olga, "few_seats")
    db.session.commit()
    jobs.run_jobs(jobs=[announcements.queue_announcements])
    assert [m.subject for m in _mail_to(ana)] == ["Plus que quelques places\u00a0: Rust night"]
    assert [m.subject for m in _mail_to(bob)] == ["A few seats left: Rust night"]

    with force_locale("fr"):  # the organizer imports while browsing in French
        welcome.queue_welcomes(group, [ana.id, bob.id], now=utcnow())
    db.session.commit()
    assert _mail_to(ana)[-1].subject == "Vous avez été ajouté aux rencontres de Rust Paris"
    assert _mail_to(bob)[-1].subject == "You've been added to Rust Paris's meetups"


def test_calendar_files_speak_their_readers_language(client):
    """A calendar app polls with its own language, or none: a person's feed and their ticket's
    file follow their saved choice, a group's feed the group's, each cached per language."""
    from meetup.services.calendar import feeds
    from tests.factories import make_rsvp

    lea = make_user(locale="fr")
    english, french = make_group(locale="en"), make_group(locale="fr")
    rsvp = make_rsvp(make_event(english, visibility="public"), lea)
    make_event(french, visibility="public")
    feeds.reset_token(lea)
    db.session.commit()

    def unfolded(url: str, headers=ENGLISH) -> str:
        return client.get(url, headers=headers).get_data(as_text=True).replace("\r\n ", "")

    mine = unfolded(f"/cal/{lea.feed_token}.ics")
    assert "X-WR-CALNAME:Mes rencontres" in mine and "Page de l'événement" in mine, mine
    ticket = unfolded(f"/t/{rsvp.ticket_token}/event.ics")
    assert "Votre billet" in ticket and "Your ticket" not in ticket
    assert "Event page" in unfolded(f"/g/{english.slug}/calendar.ics", FRENCH)
    assert "Page de l'événement" in unfolded(f"/g/{french.slug}/calendar.ics")
    assert "Page de l'événement" in unfolded(f"/g/{french.slug}/calendar.ics", FRENCH)


def test_pages_opened_from_an_email_link_speak_the_readers_language(client):
    """A ticket or an unsubscribe link opened signed out, on an English phone: the person's
    saved language, else their group's."""
    from meetup.services.mail import consent
    from tests.factories import make_rsvp

    lea, bob = make_user(locale="fr"), make_user()
    group = make_group(locale="fr")
    english = make_group()
    add_member(group, bob)
    rsvp = make_rsvp(make_event(english), lea)
    db.session.commit()
    assert _lang(client.get(f"/t/{rsvp.ticket_token}", headers=ENGLISH)) == "fr"
    token = consent.member_token("unsubscribe", group.id, bob.id)
    assert _lang(client.get(f"/m/unsubscribe/{token}", headers=ENGLISH)) == "fr"


def test_an_emails_event_summary_names_the_zone_as_its_reader_does(app):
    from flask_babel import force_locale

    from meetup.services.mail import messages

    event = make_event(make_group(), timezone="Europe/Paris")
    for locale, zone in (("fr", "(heure de Paris)"), ("en", "(Europe/Paris)")):
        with app.test_request_context(), force_locale(locale):
            text, html = messages.render_bodies(
                "Léa", "event_announcement", "x",
                {"event": event, "group": event.group, "kind": "event", "event_link": "",
                 "going_link": "", "not_going_link": "", "unsubscribe_link": ""},
            )  # fmt: skip
        assert zone in text and zone in html, (locale, text)

"""En français, in Chromium at phone size: a French phone signs in by emailed link, opens a
French group's event, answers "Je viens", shows its ticket; the organizer checks her in at
the door by name. Every page is in French, with French dates.

Screenshots of each page go to $SCREENSHOT_DIR (default: the test's temporary folder), to be
looked at: longer French words must not break a layout.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import OutboxMessage, Rsvp, User, utcnow
from tests.e2e.browser_support import PHONE, sign_in
from tests.factories import make_event, make_group, make_user

pytestmark = pytest.mark.browser

NB = "\u00a0"


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _mail_to(email: str) -> OutboxMessage:
    db.session.rollback()  # a fresh snapshot: the server wrote in its own transactions
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_addr == email).order_by(OutboxMessage.id)
    ).all()[-1]


def test_sign_in_rsvp_ticket_and_door_in_french(app, live_server, browser, shots):
    olga = make_user("olga@example.fr", name="Olga Lefèvre", locale="fr")
    group = make_group(olga, name="Anciens de l'École d'ingénieurs", locale="fr")
    event = make_event(
        group,
        title="Soirée data & apéro",
        starts_at=utcnow() + timedelta(minutes=30),
        timezone="Europe/Paris",
        visibility="public",
        venue_name="Le Loft, 3e étage",
        capacity=40,
    )
    lea_phone = browser.new_context(**PHONE, locale="fr-FR")
    page = lea_phone.new_page()

    # Sign in by emailed link, from a French browser.
    page.goto(f"{live_server}/login?next=/e/{event.key}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("E-mail").first.fill("lea@example.fr")
    page.get_by_role("button", name="M'envoyer un lien de connexion").click()
    expect(page.get_by_role("heading", name="Consultez vos e-mails")).to_be_visible()
    mail = _mail_to("lea@example.fr")
    assert mail.subject == "Votre lien de connexion à Meetup"
    link = re.search(r"https?://\S+/login/link/\S+", mail.body_text).group(0)
    page.goto(link)
    page.get_by_role("button", name="Se connecter en tant que lea@example.fr").click()

    # The event, in French with a French date; one tap on "Je viens".
    expect(page).to_have_url(re.compile(rf"/e/{event.key}"))
    expect(page.get_by_text("heure de Paris").first).to_be_visible()
    assert re.search(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d+ ", page.content())
    page.screenshot(path=str(shots / "fr-1-event.png"), full_page=True)
    page.get_by_role("button", name="Je viens", exact=True).click()
    expect(page.get_by_text(f"Vous venez{NB}!", exact=True)).to_be_visible()
    page.screenshot(path=str(shots / "fr-2-going.png"), full_page=True)
    db.session.rollback()
    lea = db.session.scalar(select(User).where(User.email == "lea@example.fr"))
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.user_id == lea.id))
    assert rsvp.status == "going"

    # The ticket.
    page.get_by_role("link", name="Mon billet").first.click()
    expect(page.get_by_text("Présentez-le à l'entrée.", exact=False)).to_be_visible()
    page.screenshot(path=str(shots / "fr-3-ticket.png"), full_page=True)

    # The door: the organizer finds Léa by name and checks her in.
    door_phone = browser.new_context(**PHONE, locale="fr-FR")
    sign_in(app, door_phone, olga, live_server)
    door = door_phone.new_page()
    door.goto(f"{live_server}/e/{event.key}/door")
    expect(door.locator("html")).to_have_attribute("lang", "fr")
    door.get_by_role("button", name="Chercher un nom").click()
    door.locator("#search").fill("lea")
    door.locator("#guest-list").get_by_role("button", name="Enregistrer l'entrée").click()
    expect(door.locator("#result-title")).to_have_text("Bienvenue, lea")
    door.screenshot(path=str(shots / "fr-4-door.png"), full_page=True)
    door.locator("#search").fill("lea")
    expect(door.locator("#guest-list")).to_contain_text(re.compile(r"Entré à \d{1,2} h \d\d"))

    # The group's page and the profile, to be looked at.
    for name, path in (("fr-5-group", f"/g/{group.slug}"), ("fr-6-profile", "/profile")):
        page.goto(f"{live_server}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    lea_phone.close()
    door_phone.close()

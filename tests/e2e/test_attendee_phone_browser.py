"""Attendees, guests and visitors on a phone (Chromium, 390x844), in English and in French:
every page they reach from the demo data fits the screen, its controls are thumb-sized, and
it says which language it is in.

MEETUP_SCREENSHOTS=dir keeps a screenshot of each page there, to be looked at."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from meetup.extensions import db
from meetup.models import Group, IntroPair, Rsvp, RsvpGuest, User, utcnow
from tests.e2e.browser_support import PHONE, sign_in
from tests.factories import make_event, make_rsvp

pytestmark = pytest.mark.browser

# What a page must not do on a phone: scroll sideways, put an element past the screen's edge,
# or offer a control too small for a thumb. A link inside a sentence is read, not aimed at,
# and is left out (as on the organizer's pages); so are tables that scroll on purpose.
_PROBLEMS = """(lang) => {
  const out = [];
  const root = document.documentElement;
  if (root.lang !== lang) out.push(['lang', root.lang]);
  const width = root.clientWidth;
  if (root.scrollWidth > width) out.push(['scroll', root.scrollWidth]);
  const visible = (el) => el.offsetParent !== null || el.tagName === 'SUMMARY';
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('.table-scroll, .sr-only, .visually-hidden')) continue;
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > width + 0.5 || r.left < -0.5))
      out.push(['overflow', `${el.tagName}.${el.className}`,
        Math.round(r.left), Math.round(r.right)]);
  }
  const targets = document.querySelectorAll(`header a, header button, main a, main button,
    main summary, main input, main select, main textarea, main [role=button]`);
  for (const el of targets) {
    if (!visible(el) || el.closest('.table-scroll') || el.type === 'hidden') continue;
    if (el.tagName === 'A' && el.parentElement.textContent.trim() !== el.textContent.trim()
        && !el.parentElement.matches('.actions, nav li, th')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width) continue;
    // A checkbox or radio is tapped through its label, which is what must be tall enough.
    const box = (el.type === 'checkbox' || el.type === 'radio') && el.labels.length
      ? el.labels[0].getBoundingClientRect() : r;
    const what = (el.textContent || el.name || '').trim().slice(0, 40);
    if (box.height < 44) out.push(['small', el.tagName, what, Math.round(box.height)]);
  }
  return out;
}"""


def _pages(world) -> list[tuple[str, User | None, str]]:
    """(what, who is signed in or None, path) for every page an attendee, a guest or a
    visitor meets."""
    from meetup.services.accounts import magic_links
    from meetup.services.events import answers, guests, leave_links
    from meetup.services.events.announcements import answer_token
    from meetup.services.insights.followups import feedback_token
    from meetup.services.intros import proposals
    from meetup.services.mail.consent import member_token

    group, up, past, dinner = world.group, world.upcoming, world.past, world.approval_event
    priya, org = world.member, world.organizer
    now = utcnow()
    answered = select(Rsvp.user_id).where(Rsvp.event_id == up.id)
    newcomer = db.session.scalars(
        select(User).where(User.id.not_in(answered), User.id != org.id).order_by(User.id)
    ).first()
    # One seat, taken, with someone waiting; a cancelled one; a members-only one.
    full = make_event(group, title="Kafka internals: a deep dive with Marie-Françoise", capacity=1)
    taker = make_rsvp(full, org, claim_expires_at=now + timedelta(days=1))  # promoted
    waiting = make_rsvp(full, priya, status="waitlisted")
    cancelled = make_event(group, title="Summer picnic", cancelled_at=now)
    members_only = make_event(group, title="Members' breakfast", visibility="members")
    # A visitor asked by email, and links emailed to members.
    _rsvp, confirm = answers.request_by_email(up, "visitor@example.net", "Vi Sitor", now=now)
    sign_in_link = magic_links.issue(newcomer.email, now=now)
    proposals.send_suggestions(past.ends_at + timedelta(days=3, minutes=5))
    pair = db.session.scalars(select(IntroPair).where(IntroPair.token_a.is_not(None))).first()
    came = db.session.scalars(
        select(Rsvp).where(Rsvp.event_id == past.id, Rsvp.checked_in_at.is_not(None))
    ).first()
    # A named guest with an address: their own ticket and their introductions link.
    with_guests = make_event(group, title="Airflow clinic", capacity=30, max_guests=2)
    host = make_rsvp(with_guests, newcomer)
    long_name = "Jean-Baptiste Delacroix-Montgolfier"
    guests.replace_party(host, [guests.GuestInput(long_name, "jb@example.fr")], now)
    guest = db.session.scalar(select(RsvpGuest).where(RsvpGuest.rsvp_id == host.id))
    db.session.commit()
    assert taker and pair and came and guest.ticket_token and guest.consent_token
    return [
        ("home-out", None, "/"),
        ("login", None, "/login"),
        ("signup", None, "/signup"),
        ("magic-link", None, f"/login/link/{sign_in_link}"),
        ("group-visitor", None, f"/g/{group.slug}"),
        ("event-visitor", None, f"/e/{up.key}"),
        ("rsvp-form-visitor", None, f"/e/{up.key}/rsvp"),
        ("rsvp-confirm", None, f"/rsvp/confirm/{confirm}"),
        ("join", None, f"/join/{group.invites[0].code}"),
        ("home-in", priya, "/"),
        ("group-member", priya, f"/g/{group.slug}"),
        ("event-not-answered", newcomer, f"/e/{up.key}"),
        ("rsvp-form", newcomer, f"/e/{up.key}/rsvp"),
        ("event-going-guests-questions", priya, f"/e/{up.key}"),
        ("rsvp-form-going", priya, f"/e/{up.key}/rsvp"),
        ("event-waitlisted", priya, f"/e/{full.key}"),
        ("event-full", newcomer, f"/e/{full.key}"),
        ("event-requested", priya, f"/e/{dinner.key}"),
        ("event-past", came.user, f"/e/{past.key}"),
        ("event-cancelled", priya, f"/e/{cancelled.key}"),
        ("event-members-only", priya, f"/e/{members_only.key}"),
        ("series", priya, f"/s/{world.series.key}"),
        ("announcement-going", None, f"/m/answer/{answer_token(up.id, newcomer.id)}?answer=going"),
        ("leave", None, f"/rsvp/leave/{leave_links.leave_token(waiting)}"),
        ("claim", None, f"/e/{full.key}/claim/{taker.ticket_token}"),
        ("ticket-host", None, f"/t/{world.ticket_rsvp.ticket_token}"),
        ("ticket-guest", None, f"/t/{guest.ticket_token}"),
        ("guest-consent", None, f"/guest/{guest.consent_token}/intros"),
        ("profile", priya, "/profile"),
        ("unsubscribe", None, f"/m/unsubscribe/{member_token('unsubscribe', group.id, priya.id)}"),
        ("welcome", None, f"/m/welcome/{member_token('welcome', group.id, priya.id)}?answer=yes"),
        ("feedback", None, f"/feedback/{feedback_token(came)}"),
        ("intro-answer", None, f"/i/{pair.token_a}/yes"),
        ("intro-met", None, f"/i/{pair.token_a}/met/yes"),
        ("not-found", None, "/e/no-such-event"),
        ("bad-request", None, f"/e/{up.key}?via=%00"),
    ]


def test_every_attendee_page_fits_a_phone_in_english_and_french(browser, live_server, app):
    from meetup import demo

    world = demo.seed()
    db.session.commit()
    pages = _pages(world)
    folder = os.environ.get("MEETUP_SCREENSHOTS")
    problems = {}
    for lang in ("en", "fr"):
        db.session.execute(update(User).values(locale=lang))
        db.session.execute(update(Group).values(locale=lang))
        db.session.commit()
        context = browser.new_context(**PHONE, locale=lang)
        page = context.new_page()
        signed_in = None
        for name, who, path in pages:
            if who is not signed_in:
                context.clear_cookies()
                if who is not None:
                    sign_in(app, context, who, live_server)
                signed_in = who
            page.goto(f"{live_server}{path}")
            _check(page, f"{lang} {name}", lang, problems, folder)
        context.close()
    assert not problems, "\n".join(f"{name}: {found}" for name, found in problems.items())


def _check(page, name: str, lang: str, problems: dict, folder: str | None) -> None:
    if found := page.evaluate(_PROBLEMS, lang):
        problems[name] = found
    if folder:
        page.screenshot(path=f"{folder}/{name.replace(' ', '-')}.png", full_page=True)

"""Every email, text and HTML, rendered with realistic data: no two fields run together.

A text-only mail app shows the text part as it is: a link glued to the word before it
("69001 Lyonhttp://...") is not clickable, a heading glued to the line before is not a
heading. Each template in templates/email/ is rendered here (a new one is picked up on its
own, with the shared context below), and checked:
- every URL stands alone between whitespace, and is exactly one of the links given;
- every field (names, headline, venue, address, email, reasons...) is set off from its
  neighbours by a space, a line break or punctuation;
- a line introducing what follows (ending with ":") has a blank line before it;
- no blank line opens the message, and never two blank lines in a row.
The HTML part gets the same field and link checks on the text a reader sees.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import current_app
from jinja2 import ChainableUndefined

from meetup.services.mail import messages as mail
from meetup.urls import event_url, ticket_url

from .factories import make_event, make_group, make_user

EMAIL_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"
BASE = "http://127.0.0.1:5000"

# (template, name of the case, what differs from the shared context)
CASES: list[tuple[str, str, dict]] = [
    ("rsvp_going", "", {"kind": "going"}),
    ("rsvp_added", "", {"kind": "added"}),
    ("rsvp_waitlisted", "position", {"kind": "waitlisted"}),
    ("rsvp_waitlisted", "no position", {"kind": "waitlisted", "position": None}),
    ("rsvp_promoted", "claim", {"kind": "promoted"}),
    ("rsvp_promoted", "no claim", {"kind": "promoted", "claim_link": None, "claim_until": None}),
    ("rsvp_cancelled", "handed on", {"kind": "cancelled", "handed_on": True}),
    ("rsvp_cancelled", "nobody waiting", {"kind": "cancelled", "handed_on": False}),
    ("rsvp_cancelled", "left the waitlist", {"kind": "cancelled", "had_seat": False}),
    ("rsvp_removed", "", {"kind": "removed"}),
    ("rsvp_claim_expired", "", {"kind": "claim_expired"}),
    ("rsvp_link", "seat", {}),
    ("rsvp_link", "waitlist", {"joins_waitlist": True}),
    ("rsvp_link", "request", {"asks_approval": True}),
    ("rsvp_declined", "", {}),
    ("rsvp_request_closed", "", {}),
    ("magic_link", "login", {"reason": "login"}),
    ("magic_link", "signup", {"reason": "signup", "intro": "To confirm your seat."}),
    ("magic_link", "signup_existing", {"reason": "signup_existing"}),
    ("reminder", "ticket", {}),
    ("reminder", "no ticket", {"ticket_url": None, "qr_cid": None}),
    ("event_updated", "ticket", {}),
    ("event_updated", "waitlisted", {"ticket_link": None, "waitlisted": True}),
    ("event_cancelled", "", {}),
    ("event_cancelled", "waitlisted", {"ticket_link": None, "waitlisted": True}),
    ("announcement", "", {}),
    ("intro_suggestions", "first", {"reminder": False}),
    ("intro_suggestions", "reminder", {"reminder": True}),
    ("intro_made", "", {}),
    ("intro_made", "no headline", {"other_headline": ""}),
    ("intro_met", "", {}),
    ("welcome", "announcements", {"announcements": True}),
    ("welcome", "no announcements", {"announcements": False}),
    ("event_announcement", "event", {"kind": "event"}),
    ("event_announcement", "few seats", {"kind": "few_seats"}),
    ("event_announcement", "waitlist open", {"kind": "waitlist_open"}),
    ("followup_thanks", "", {}),
    ("followup_missed", "next event", {}),
    ("followup_missed", "no next event", {"next_event": None}),
    ("series_new_date", "", {}),
    (
        "guest_ticket",
        "",
        {
            "host_name": "Hannah Lévy",
            "recipient_name": "Bo Li",
            "consent_link": f"{BASE}/guest/Y29uc2VudHRva2Vu/intros",
        },
    ),
    ("guest_cancelled", "", {"host_name": "Hannah Lévy", "recipient_name": "Bo Li"}),
    (
        "guest_cancelled",
        "event cancelled",
        {"host_name": "Hannah Lévy", "recipient_name": "Bo Li", "event_cancelled": True},
    ),
]


SHARED = "shared context"  # a template with no case of its own yet


def _render_leniently(template: str, ctx: dict) -> tuple[str, str]:
    """A template not listed in CASES, rendered with the shared context where anything it
    names that the context lacks reads as empty: what it does show is still checked."""
    env = current_app.jinja_env.overlay(undefined=ChainableUndefined)
    ctx = {"recipient_name": "Ana Lima", "subject": "A subject", **ctx}
    return tuple(
        env.get_template(f"email/{template}.{kind}").render(ctx) for kind in ("txt", "html")
    )


def _all_cases():
    named = {t for t, _, _ in CASES}
    found = sorted(p.stem for p in EMAIL_DIR.glob("*.txt") if not p.stem.startswith("_"))
    extra = [(t, SHARED, {}) for t in found if t not in named]
    return [c for c in CASES if c[0] in found] + extra


@pytest.fixture
def world(app):
    app.config["BASE_URL"] = BASE
    group = make_group(name="Data & Analytics Lyon")
    starts = datetime(2027, 3, 11, 18, 30, tzinfo=UTC)
    event = make_event(
        group,
        title="dbt & analytics engineering night",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2, minutes=30),
        timezone="Europe/Paris",
        venue_name="La Cordée Liberté",
        venue_address="12 Rue de la République, 69001 Lyon",
    )
    other = make_user(
        "hannah.levy@example.org",
        name="Hannah Lévy",
        headline="Recruiter for engineering teams",
        contact_details=(
            "LinkedIn: https://www.linkedin.com/in/hannah-levy\nPhone +33 6 12 34 56 78"
        ),
    )
    return event, other


def _context(event, other, overrides: dict) -> dict:
    link = f"{BASE}/login/link/Zm9vYmFyYmF6cXV4cXV1eA"
    ticket = ticket_url("kX9vQ2mP7rT4wY1z")
    other.headline = overrides.pop("other_headline", other.headline)
    ctx = {
        "event": event,
        "event_link": event_url(event.key),
        "event_url": event_url(event.key),
        "ticket_link": ticket,
        "ticket_url": ticket,
        "qr_cid": mail.QR_CID,
        "claim_link": f"{BASE}/e/{event.key}/claim/kX9vQ2mP7rT4wY1z",
        "claim_until": datetime(2027, 3, 10, 12, 0, tzinfo=UTC),
        "leave_link": f"{BASE}/rsvp/leave/bGVhdmV0b2tlbg",
        "position": 3,
        "link": link,
        "minutes": 30,
        "reason": "login",
        "intro": "",
        "when": "Thu 11 Mar 2027, 19:30",
        "zone": "CET",
        "map_url": "https://www.openstreetmap.org/search?query=12%20Rue%20de%20la%20R%C3%A9publique",
        "ics_url": event_url(event.key) + "/event.ics",
        "sender_name": "Camille Martin",
        "group_name": event.group.name,
        "group": event.group,
        "lines": ["Doors open at 19:00.", "Bring your laptop: https://example.org/setup"],
        "other": other,
        "reasons": ["You look for a data engineering job; Hannah Lévy recruits data engineers."],
        "suggestions": [
            {
                "name": "Hannah Lévy",
                "headline": "Recruiter for engineering teams",
                "reason": "You look for a job in data; she recruits for data teams.",
                "yes_url": f"{BASE}/intros/answer/dG9rZW4x/yes",
                "no_url": f"{BASE}/intros/answer/dG9rZW4x/no",
            },
            {
                "name": "Bruno Costa",
                "headline": "",
                "reason": "You both work on dbt models.",
                "yes_url": f"{BASE}/intros/answer/dG9rZW4y/yes",
                "no_url": f"{BASE}/intros/answer/dG9rZW4y/no",
            },
        ],
        "yes_url": f"{BASE}/intros/met/dG9rZW4z/yes",
        "no_url": f"{BASE}/intros/met/dG9rZW4z/no",
        "reminder": False,
        "kind": "going",
        "handed_on": True,
        "had_seat": True,
        "joins_waitlist": False,
        "waitlisted": False,
        "added_line": "Olga Martin added you to Data & Analytics Lyon's meetups.",
        "announcements": True,
        "yes_link": f"{BASE}/mail/welcome/d2VsY29tZQ/yes",
        "no_link": f"{BASE}/mail/welcome/d2VsY29tZQ/no",
        "group_link": f"{BASE}/g/data-lyon",
        "going_link": f"{BASE}/m/answer/YW5zd2Vy?answer=going&via=email",
        "not_going_link": f"{BASE}/m/answer/YW5zd2Vy?answer=not_going&via=email",
        "unsubscribe_link": f"{BASE}/u/dW5zdWJzY3JpYmU",
        "feedback_url": f"{BASE}/feedback/ZmVlZGJhY2s",
        "next_event": event,
        "next_when": "Thu 8 Apr 2027, 19:30",
        "next_url": event_url(event.key),
        "series_url": f"{BASE}/s/c2VyaWVz",
        "changes": [
            ("when", "Thu 4 Mar 2027, 19:30 – 22:00", "Thu 11 Mar 2027, 19:30 – 22:00"),
            ("where", "Le Sucre, 50 Quai Rambaud, 69002 Lyon", "La Cordée Liberté, 12 Rue"),
        ],
    }
    ctx.update(overrides)
    return ctx


def _fields(ctx: dict) -> list[str]:
    event, other = ctx["event"], ctx["other"]
    values = [
        event.title,
        event.venue_name,
        event.venue_address,
        other.display_name,
        other.email,
        *other.contact_details.splitlines(),
        *ctx["reasons"],
        ctx["sender_name"],
        ctx["group_name"],
        *(s[k] for s in ctx["suggestions"] for k in ("name", "reason")),
    ]
    if other.headline:
        values.append(other.headline)
    return [v for v in values if v]


def _urls(ctx: dict) -> set[str]:
    keys = ("event_link", "ticket_link", "claim_link", "leave_link", "link", "map_url", "ics_url")
    keys += ("yes_url", "no_url", "yes_link", "no_link", "group_link", "unsubscribe_link")
    keys += (
        "feedback_url",
        "next_url",
        "series_url",
        "going_link",
        "not_going_link",
        "consent_link",
    )
    found = {ctx[k] for k in keys if ctx.get(k)}
    found |= {s[k] for s in ctx["suggestions"] for k in ("yes_url", "no_url")}
    found |= {"https://www.linkedin.com/in/hannah-levy", "https://example.org/setup"}
    return found


BEFORE = set(" \n\t(“\"'")
AFTER = set(" \n\t,.;:)”\"'!?")
URL = re.compile(r"https?://\S+")


def _run_together(text: str, fields: list[str]) -> list[str]:
    """Fields glued to what surrounds them."""
    bad = []
    for value in fields:
        for m in re.finditer(re.escape(value), text):
            before = text[m.start() - 1] if m.start() else "\n"
            after = text[m.end()] if m.end() < len(text) else "\n"
            if before not in BEFORE or after not in AFTER:
                bad.append(repr(text[max(0, m.start() - 20) : m.end() + 20]))
    return bad


def _bad_urls(text: str, urls: set[str]) -> list[str]:
    bad = []
    for m in URL.finditer(text):
        before = text[m.start() - 1] if m.start() else "\n"
        if before not in " \n" or m.group() not in urls:
            bad.append(repr(text[max(0, m.start() - 20) : m.end()]))
    starts = {m.start() for m in URL.finditer(text)}
    for m in re.finditer(r"https?://", text):  # "Lyonhttp://": not even seen as a URL above
        if m.start() not in starts:
            bad.append(repr(text[max(0, m.start() - 20) : m.end() + 20]))
    return bad


def _layout_problems(text: str) -> list[str]:
    problems = []
    if text.startswith("\n") or text.startswith(" "):
        problems.append("opens with a blank line")
    if "\n\n\n" in text:
        problems.append("two blank lines in a row")
    lines = text.split("\n")
    for i, line in enumerate(lines):
        # (A footer's "--" sets it off as a blank line would.)
        if i and line.rstrip().endswith(":") and lines[i - 1].strip() not in ("", "--"):
            problems.append(f"no blank line before the heading {line!r}")
        if line != line.rstrip():
            problems.append(f"trailing spaces in {line!r}")
    return problems


class _Seen(HTMLParser):
    """The text a reader sees in an HTML part (blocks and <br> break lines), and its hrefs."""

    BLOCKS = {"p", "br", "div", "table", "tr", "td", "li", "ul", "ol", "h1", "h2", "h3", "title"}
    VOID = {"br", "img", "meta", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hrefs: list[str] = []
        self.open: list[str] = []
        self.unbalanced: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if not self.open or self.open.pop() != tag:
            self.unbalanced.append(tag)

    def handle_data(self, data):
        self.parts.append(re.sub(r"[ \t]*\n[ \t]*", " ", data))

    @property
    def text(self) -> str:
        return re.sub(r"\n\s*\n+", "\n", "".join(self.parts))


@pytest.mark.parametrize(
    "template,case,overrides", _all_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_email_reads_well(world, template, case, overrides):
    event, other = world
    ctx = _context(event, other, dict(overrides))
    if case == SHARED:
        text, html = _render_leniently(template, ctx)
    else:
        text, html = mail.render_bodies("Ana Lima", template, "A subject", ctx)
    fields, urls = _fields(ctx), _urls(ctx)

    problems = _run_together(text, fields) + _bad_urls(text, urls) + _layout_problems(text)
    assert not problems, f"{template} ({case}), text part:\n{text}\n" + "\n".join(problems)

    seen = _Seen()
    seen.feed(html)
    seen.close()
    assert not seen.unbalanced and not seen.open, (template, seen.unbalanced, seen.open)
    problems = _run_together(seen.text, fields) + _bad_urls(seen.text, urls)
    problems += [h for h in seen.hrefs if not (h in urls or h.startswith(("mailto:", "cid:")))]
    assert not problems, f"{template} ({case}), HTML part:\n{seen.text}\n" + "\n".join(problems)

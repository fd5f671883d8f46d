"""Every page a French organizer, member or visitor can reach is in French: the demo's group
walked link by link (a link found on one page leads to the next, so new pages are walked
too), with `<html lang="fr">` on each and none of the app's own words left in English.

What people typed (titles, names, answers, the demo's English profiles) is taken out of each
page's text first: only the words the app writes are read."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from sqlalchemy import JSON, String, Text, select

from meetup import demo
from meetup.extensions import db
from meetup.models import Group, User

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
# Words of English that French doesn't share (no "on", "message", "question", "ticket").
ENGLISH = re.compile(
    r"\b(the|your|you|and|with|this|that|will|who|when|where|here|going|waitlist|sign|add|"
    r"edit|delete|save|send|show|hide|back|from|people|seats?|left|full|approve|decline|"
    r"reply|sent|queued|preview|events?|members?|tickets?|yet|has|have|are|is|of|to|for|"
    r"can|see|more|today|ago|hours?|days?|open|closed|copy|share|link|name|none|new|all)\b",
    re.I,
)
SKIP = ("/logout", "/static/", ".ics", ".svg", ".png", ".csv", "/delete", "/login/link")
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
MAX_PAGES = 250


class _Page(HTMLParser):
    """The words a person reads on a page (text and the attributes read aloud) and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.words: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self.hidden += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        self.words += [values[a] for a in ATTRIBUTES if values.get(a)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.words.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.words.append(data.strip())


# Where a typed text is cut when a page shows part of it (Markdown, links, a clause of it).
_PIECES = re.compile(r"\*\*|[\[\]()\n;]|https?://\S+")
WRITTEN_BY_THE_APP = {"outbox", "webhook_posts", "login_tokens", "checkin_log", "intro_pairs"}
_ZONE = re.compile(r"[A-Z][A-Za-z_-]+(/[A-Za-z_ -]+)+")  # "America/Port of Spain" in a picker


def _strings(value) -> list[str]:
    """The strings in a value, in lists and mappings too (JSON columns)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _typed_by_people() -> list[str]:
    """Every text stored in the database (and its pieces), longest first."""
    found: set[str] = set()
    for table in db.metadata.sorted_tables:
        if table.name in WRITTEN_BY_THE_APP:
            continue
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for row in db.session.execute(select(*columns)) if columns else ():
            for text in _strings(tuple(row)):
                found.update(p.strip() for p in [text, *_PIECES.split(text)])
    # Not the codes the app stores ("going", "member"): lower-case words without a space.
    typed = (t for t in found if len(t) > 2 and not re.fullmatch(r"[a-z0-9_:.-]+", t))
    return sorted(typed, key=len, reverse=True)


def _walk(client, start: list[str], typed: list[str]) -> tuple[set[str], list[str]]:
    seen: set[str] = set()
    found: list[str] = []
    todo = list(start)
    while todo and len(seen) < MAX_PAGES:
        parts = urlsplit(todo.pop(0))
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc not in ("", "localhost") or url in seen or not url.startswith("/"):
            continue
        if any(s in url for s in SKIP):
            continue
        seen.add(url)
        resp = client.get(url, headers=FRENCH)
        if "text/html" not in resp.content_type or 300 <= resp.status_code < 400:
            continue
        html = resp.get_data(as_text=True)
        if '<html lang="fr"' not in html:
            found.append(f"{url}: <html lang> is not fr")
        page = _Page()
        page.feed(html)
        for words in page.words:
            for text in typed:
                if text in words:
                    words = words.replace(text, " ")
            if ENGLISH.search(words) and not _ZONE.fullmatch(words):
                found.append(f"{url}: {words!r}")
        todo += page.links
    return seen, found


def test_every_page_reached_from_the_demo_is_in_french(app, login):
    with app.test_request_context(headers=FRENCH):  # the emails it queues: in French too
        result = demo.seed()
    for user in db.session.scalars(select(User)):
        user.locale = "fr"
    for group in db.session.scalars(select(Group)):
        group.locale = "fr"
    db.session.commit()
    typed = _typed_by_people()
    start = [
        "/",
        f"/g/{result.group.slug}",
        f"/e/{result.upcoming.key}",
        f"/e/{result.past.key}",
        f"/s/{result.series.key}",
        "/profile",
        "/groups/new",
        "/no-such-page",
    ]
    if result.approval_event is not None:
        start += [f"/e/{result.approval_event.key}", f"/e/{result.approval_event.key}/requests"]
    if result.ticket_rsvp is not None:
        start += [f"/t/{result.ticket_rsvp.ticket_token}", f"/e/{result.upcoming.key}/guests"]
    walked: set[str] = set()
    found: list[str] = []
    for person in (result.organizer, result.member, None):
        client = app.test_client()
        if person is not None:
            login(client, person)
        seen, left = _walk(client, start + ["/login", "/signup"], typed)
        walked |= seen
        found += left
    # The walk reached the organizer's pages, not just the front door.
    for part in ("/attendees", "/door", "/announce", "/questions", "/requests", "/insights",
                 "/webhooks", "/mail", "/import", "/intros", "/guests"):  # fmt: skip
        assert any(part in url for url in walked), part
    assert not found, "English left on French pages:\n" + "\n".join(sorted(set(found))[:200])

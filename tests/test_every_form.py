"""Every form on every page, sent as a browser sends it and then with each of its fields left
out (as another client might): an answer (2xx, 3xx or 4xx with a message), never a 500.

Pages are read in the demo community as its organizer, a member, a door volunteer and a
visitor; forms that end the session or delete something are left out so the rest can run.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from meetup import demo
from meetup.extensions import db
from tests.door_support import door_link

_SKIP = re.compile(r"delete|logout|cancel|leave|sign-out|revoke|remove")


class _Forms(HTMLParser):
    """The POST forms of a page, with what a browser would send for each field."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[list[str]]]] = []
        self._fields: list[list[str]] | None = None  # of the form being read
        self._action = ""
        self._textarea: list[str] | None = None
        self._select: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            post = (a.get("method") or "").lower() == "post"
            self._fields, self._action = ([] if post else None), a.get("action") or ""
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            unchecked = kind in ("checkbox", "radio") and "checked" not in a
            if kind not in ("submit", "button", "file") and not unchecked:
                filler = "x" if "required" in a and kind == "text" else ""
                self._fields.append([a["name"], a.get("value") or filler])
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            self._fields.append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], ""]
            self._fields.append(self._select)
        elif (
            tag == "option"
            and self._select is not None
            and ("selected" in a or not self._select[1])
        ):
            self._select[1] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._fields is not None:
            self.forms.append((self._action, self._fields))
            self._fields = None


def _visitors(app, login):
    world = demo.seed()
    values = {
        "group_slug": world.group.slug,
        "event_key": world.upcoming.key,
        "ticket_token": world.ticket_rsvp.ticket_token,
    }
    volunteer = app.test_client()
    token = door_link(world.upcoming)
    assert volunteer.get(f"/door/{token}").status_code == 302
    db.session.commit()
    clients = {
        "organizer": login(app.test_client(), world.organizer),
        "member": login(app.test_client(), world.member),
        "volunteer": volunteer,
        "visitor": app.test_client(),
    }
    return clients, values


def test_every_form_survives_any_field_left_out(app, login):
    clients, values = _visitors(app, login)
    sent: dict[str, int] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.build({a: values.get(a, "1") for a in rule.arguments})[1]
        for who, client in clients.items():
            page = client.get(path)
            if page.status_code != 200 or page.mimetype != "text/html":
                continue
            parser = _Forms()
            parser.feed(page.get_data(as_text=True))
            for action, fields in parser.forms:
                action = action or path
                key = f"{who} {re.sub(r'/[0-9]+', '/N', action)}"
                if _SKIP.search(action) or key in sent:
                    continue
                names = dict.fromkeys(name for name, _ in fields if name != "csrf_token")
                for left_out in (None, *names):
                    data: dict[str, list[str]] = {}
                    for name, value in fields:
                        if name != left_out:
                            data.setdefault(name, []).append(value)
                    resp = client.post(action, data=data)  # TESTING: a failure raises here
                    assert resp.status_code < 500, (key, left_out, resp.status_code)
                    db.session.rollback()
                sent[key] = len(names)
    # The crawl reached the forms that matter, each with its fields.
    for key in ("organizer /profile", "member /profile", "organizer /groups/new"):
        assert sent.get(key, 0) >= 1, sorted(sent)
    assert any(k.startswith("organizer /g/") and k.endswith("/events/new") for k in sent)
    assert any(k.startswith("member /e/") and k.endswith("/rsvp") for k in sent)
    assert len(sent) >= 25, sorted(sent)

"""Visibility first, over the whole URL map: anyone who may not see a members-only event
gets, from every route that names it, exactly the answer of a key that doesn't exist, and
no page (error pages included) shows its title or venue.

The outsiders: someone signed out, a signed-in person outside the group, another group's
organizer, and a volunteer holding the door link of another event. Every route is asked
with GET and with POST bodies that are wrong in the ways a probe sends them.
"""

from __future__ import annotations

import re

import pytest

from meetup.extensions import db
from meetup.services.tokens import new_event_key, new_token
from tests.door_support import door_link
from tests.factories import (
    add_member,
    make_event,
    make_group,
    make_invite,
    make_rsvp,
    make_user,
    queue_messages,
)

SECRETS = ("Zebra Supper Club", "Hidden Vault Bar", "9 Quietude Lane")
# Routes that end the asker's session or account: they name no event, and would leave the
# outsider signed out for the rest of the walk.
_ENDING = {"auth.logout", "profile.delete", "profile.sign_out_elsewhere"}
BODIES = (
    {"data": {"answer": "maybe", "capacity": "-1", "title": "", "email": "x", "token": "x"}},
    {"json": {"token": "x", "nonce": "", "rsvp_id": "x", "scanned_at": "soon"}},
    {"data": {}},
)
_CSRF = re.compile(r'(name="csrf-token" content="|"csrf": "|value=")[^"]*"')
_FLASH = re.compile(r'<p class="flash[^"]*"[^>]*>.*?</p>')  # left by an earlier request


def _world(app, login):
    organizer = make_user()
    group = make_group(organizer)
    member = make_user()
    add_member(group, member)
    secret = make_event(
        group,
        visibility="members",
        title=SECRETS[0],
        venue_name=SECRETS[1],
        venue_address=SECRETS[2],
        capacity=1,
    )
    going = make_rsvp(secret, member)
    make_rsvp(secret, make_user(), status="waitlisted")
    secret_link = door_link(secret)  # noqa: F841 (a link row for <link_id>)
    other_organizer = make_user()
    other_group = make_group(other_organizer)
    other_event = make_event(other_group, title="Open Breakfast")
    other_ticket = make_rsvp(other_event, make_user())
    invite = make_invite(group)
    message_id = queue_messages(1, group_id=group.id, subject=f"About {SECRETS[0]}")[0]
    db.session.commit()

    volunteer = app.test_client()
    assert volunteer.get(f"/door/{door_link(other_event)}").status_code == 302
    clients = {
        "anonymous": app.test_client(),
        "non_member": login(app.test_client(), make_user()),
        "other_organizer": login(app.test_client(), other_organizer),
        "other_door": volunteer,
    }
    values = {
        "event_key": secret.key,
        "group_slug": group.slug,
        "ticket_token": other_ticket.ticket_token,
        "rsvp_id": going.id,
        "user_id": member.id,
        "invite_id": invite.id,
        "message_id": message_id,
        "link_id": 1,
        "pair_id": 1,
        "invite_code": new_token(),
        "token": new_token(),
        "feed_token": new_token(),
        "answer": "yes",
    }
    return clients, values


def _normal(resp, key: str, unknown: str) -> tuple[int, str, str]:
    body = _FLASH.sub("", _CSRF.sub("", resp.get_data(as_text=True))).replace(unknown, key)
    body = "\n".join(line for line in body.splitlines() if line.strip())
    return resp.status_code, resp.headers.get("Location", "").replace(unknown, key), body


def _leaks(resp) -> list[str]:
    seen = resp.get_data(as_text=True) + str(resp.headers)
    return [s for s in SECRETS if s in seen]


def test_outsiders_get_the_unknown_key_answer_from_every_route(app, login):
    clients, values = _world(app, login)
    key, unknown = values["event_key"], new_event_key()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in ("static", *_ENDING)]
    failures, asked = [], 0
    for rule in sorted(rules, key=lambda r: r.rule):
        args = {name: values.get(name, "1") for name in rule.arguments}
        path = rule.build(args, append_unknown=False)[1]
        other = rule.build({**args, "event_key": unknown}, append_unknown=False)[1]
        requests = [("GET", {})] if "GET" in rule.methods else []
        if "POST" in rule.methods:
            requests.extend(("POST", body) for body in BODIES)
        for who, client in clients.items():
            for method, body in requests:
                asked += 1
                where = f"{who} {method} {rule.rule} {body}"
                resp = client.open(path, method=method, **body)
                db.session.rollback()
                if resp.status_code >= 500 or _leaks(resp):
                    failures.append((where, resp.status_code, _leaks(resp)))
                if "event_key" not in rule.arguments:
                    continue
                mine = _normal(resp, key, unknown)
                theirs = _normal(client.open(other, method=method, **body), key, unknown)
                db.session.rollback()
                if mine != theirs:
                    failures.append((where, mine[:2], "for an unknown key:", theirs[:2]))
    assert not failures, "\n".join(map(str, failures))
    assert asked > 300


@pytest.mark.parametrize("who", ["anonymous", "non_member"])
def test_an_invalid_answer_to_a_members_only_event_is_a_404(app, login, who):
    """The probe's case: answer=maybe rendered the event in a 400 page."""
    clients, values = _world(app, login)
    resp = clients[who].post(f"/e/{values['event_key']}/rsvp", data={"answer": "maybe"})
    assert resp.status_code == 404
    assert not _leaks(resp)

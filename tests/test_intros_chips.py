"""The intent chips of the RSVP form and the profile: preselected from what we read in the
words ("We read: … Right?"), confirmed in one tap, unticked ones remembered as declined and
left out of the matching; a form sent without chips keeps the words alone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp, User, utcnow
from meetup.services.intros import proposals
from tests.factories import make_event, make_group, make_rsvp, make_user


@pytest.fixture
def event(app):
    org = make_user(name="Olga Organizer")
    return make_event(make_group(org), capacity=20, title="Data drinks")


def ticked(html: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"looking_intents": [], "offer_intents": []}
    for attrs in re.findall(r"<input([^>]*)>", html):
        name = re.search(r'name="(looking_intents|offer_intents)"', attrs)
        if name and "checked" in attrs:
            out[name.group(1)].append(re.search(r'value="([^"]+)"', attrs).group(1))
    return out


def read_field(html: str) -> str:
    return re.search(r'name="intents_read"[^>]*value="([^"]*)"', html).group(1)


def rsvp_of(event, user) -> Rsvp:
    db.session.expire_all()
    return db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))


def test_chips_are_preselected_from_the_words_and_confirmed_in_one_tap(client, login, event):
    ana = make_user(name="Ana")
    login(client, ana)
    words = {"looking_for": "Je cherche un mentor en big data", "can_offer": "Des conseils en UX"}
    # A first answer with words only, as most people give it: nothing ticked, nothing lost.
    assert client.post(f"/e/{event.key}/rsvp", data={"answer": "going", **words}).status_code == 303
    assert rsvp_of(event, ana).intents is None
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "We read: looking for a mentor in data; can offer advice on UX design. Right?" in page
    assert '<details class="rsvp-details" open>' in page  # asked at once, one tap away
    assert ticked(page) == {"looking_intents": ["looking_for_mentor"],
                            "offer_intents": ["advice_on_design"]}  # fmt: skip
    assert read_field(page) == "looking_for_mentor advice_on_design"
    # One tap: the form as shown.
    data = {"answer": "going", **words, **ticked(page), "intents_read": read_field(page)}
    assert client.post(f"/e/{event.key}/rsvp", data=data).status_code == 303
    assert rsvp_of(event, ana).intents == {
        "looking": ["looking_for_mentor"], "offer": ["advice_on_design"], "declined": [],
        "read": ["looking_for_mentor", "advice_on_design"],
    }  # fmt: skip
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert '<details class="rsvp-details" open>' not in page  # confirmed: no need to ask


def test_an_unticked_reading_is_declined_and_a_ticked_tag_counts(client, login, event):
    ana = make_user(name="Ana")
    login(client, ana)
    data = {
        "answer": "going",
        "looking_for": "un mentor en data",
        "can_offer": "",
        "looking_intents": ["raising_funds"],  # ticked by hand; the mentor chip unticked
        "intents_read": "looking_for_mentor",
    }
    assert client.post(f"/e/{event.key}/rsvp", data=data).status_code == 303
    rsvp = rsvp_of(event, ana)
    assert rsvp.intents == {
        "looking": ["raising_funds"],
        "offer": [],
        "declined": ["looking_for_mentor"],
        "read": ["looking_for_mentor"],
    }
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert ticked(page)["looking_intents"] == ["raising_funds"]  # stays unticked
    # What the matcher sees: funding asked, no mentor.
    rsvp.checked_in_at = utcnow()
    seen = proposals.person(rsvp, rsvp.user)
    assert seen.looking_intents == ("raising_funds",)
    assert seen.declined_intents == ("looking_for_mentor",)


def test_saving_to_the_profile_keeps_the_chips_there_too(client, login, event):
    ana = make_user(name="Ana")
    login(client, ana)
    data = {"answer": "going", "looking_for": "un CDI commercial", "can_offer": "",
            "intents_read": "looking_for_job", "save_to_profile": "y"}  # fmt: skip
    assert client.post(f"/e/{event.key}/rsvp", data=data).status_code == 303
    db.session.expire_all()
    ana = db.session.get(User, ana.id)
    assert ana.declined_intents == ["looking_for_job"] and ana.looking_intents == []
    profile = client.get("/profile").get_data(as_text=True)
    assert "We read: looking for a job in sales. Right?" in profile
    assert ticked(profile)["looking_intents"] == []


def test_profile_chips_read_the_profile_and_save_what_was_unticked(client, login):
    ana = make_user(name="Ana", looking_for="a mentor in product", can_offer="I invest in fintech")
    login(client, ana)
    page = client.get("/profile").get_data(as_text=True)
    assert (
        "We read: looking for a mentor in product management; can offer investment in fintech"
        in page
    )
    assert ticked(page) == {
        "looking_intents": ["looking_for_mentor"],
        "offer_intents": ["investing"],
    }
    data = {"looking_intents": ["looking_for_mentor"], "intents_read": read_field(page),
            "max_intros": "2"}  # fmt: skip
    assert client.post("/profile/intros", data=data).status_code == 302
    db.session.expire_all()
    ana = db.session.get(User, ana.id)
    assert ana.declined_intents == ["investing"] and ana.looking_intents == ["looking_for_mentor"]


def test_proposals_use_the_words_when_nobody_ticked_anything(app, event):
    """People who write and tick nothing, in two languages, are introduced by what they wrote."""
    start = utcnow() - timedelta(hours=3)
    event.starts_at, event.ends_at = start, start + timedelta(hours=2)
    people = {
        "lea": ("", "j'accompagne des juniors qui démarrent en ingestion batch et streaming"),
        "sam": ("a mentor in big data", ""),
        "tom": ("a mentor in big data too", ""),  # asks the same as Sam: not his match
        "ivy": ("", "I write angel cheques for early-stage payments startups"),
        "max": ("des investisseurs pour ma fintech", ""),
    }
    users = {}
    for name, (looking_for, can_offer) in people.items():
        users[name] = make_user(name=name.title())
        make_rsvp(event, users[name], checked_in_at=start + timedelta(minutes=5),
                  looking_for=looking_for, can_offer=can_offer)  # fmt: skip
    db.session.commit()
    proposals.ensure_proposals(event)
    pairs = {frozenset((p.user_a.display_name, p.user_b.display_name)): p
             for p in proposals.pairs(event)}  # fmt: skip
    assert frozenset(("Sam", "Lea")) in pairs and frozenset(("Tom", "Lea")) in pairs
    assert frozenset(("Max", "Ivy")) in pairs
    assert frozenset(("Sam", "Tom")) not in pairs
    pair = pairs[frozenset(("Max", "Ivy"))]
    max_reads = pair.reason_for_a if pair.user_a.display_name == "Max" else pair.reason_for_b
    # Max wrote in French: his reason is in French, quoting each side's own words.
    assert max_reads.startswith("Vous cherchez un financement")
    assert "«\u00a0des investisseurs pour ma fintech\u00a0»" in max_reads
    assert "«\u00a0I write angel cheques for early-stage payments startups\u00a0»" in max_reads


def test_the_chips_script_reads_words_without_storing_them(client):
    resp = client.get("/intros/read", query_string={"looking_for": "on recrute un commercial"})
    assert resp.status_code == 200
    assert resp.get_json() == {
        "read": ["hiring"],
        "line": "We read: can offer a job in sales. Right?",
    }
    assert client.get("/intros/read").get_json()["read"] == []
    assert client.get("/intros/read", query_string={"can_offer": "x" * 1001}).status_code == 400


def test_the_chips_are_worded_in_the_readers_language(client, login, event):
    """Their labels are built once for every request: each page still translates them."""
    login(client, make_user(name="Ana"))
    english = client.get(f"/e/{event.key}").get_data(as_text=True)
    french = client.get(f"/e/{event.key}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    chip = re.compile(r'value="hiring"[^>]*>\s*<label[^>]*>([^<]+)<')
    assert chip.search(english).group(1).strip() == "Hiring"
    assert chip.search(french).group(1).strip() == "Recrute"

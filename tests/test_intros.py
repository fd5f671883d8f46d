"""Introductions after an event: proposals, the organizer's review, the emails through the
worker and a real SMTP server, the yes/no links, reminders, "did you meet?", settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from meetup import worker
from meetup.extensions import db
from meetup.models import Event, IntroBlock, IntroPair, OutboxMessage, User, utcnow
from meetup.services.intros import proposals as intros
from meetup.timeutil import format_in_zone, zone_abbreviation

from .factories import add_member, csrf_in, make_event, make_group, make_rsvp, make_user

LINK = re.compile(r"(https?://\S+/i/[\w-]+/(?:met/)?(?:yes|no))")


def setup_event(**event_kw):
    org = make_user("org@example.org", name="Olga")
    group = make_group(org, name="Data Paris")
    start = utcnow().replace(microsecond=0) - timedelta(hours=3)
    event = make_event(group, starts_at=start, hours=2, title="Data drinks", **event_kw)
    people = {
        "ana": make_user("ana@example.org", name="Ana", headline="Data engineer",
                         looking_intents=["looking_for_job"], contact_details="linkedin.com/in/ana",
                         looking_for="a data-engineering role"),
        "ben": make_user("ben@example.org", name="Ben", headline="CTO at Quanta",
                         offer_intents=["hiring"], contact_details="+33 6 12 34 56 78",
                         can_offer="We are hiring data engineers"),
        "cy": make_user("cy@example.org", name="Cy", offer_intents=["mentoring"]),
        "dee": make_user("dee@example.org", name="Dee", looking_intents=["looking_for_mentor"]),
        "eve": make_user("eve@example.org", name="Eve", looking_intents=["looking_for_mentor"],
                         wants_intros=False),
        "fay": make_user("fay@example.org", name="Fay", looking_intents=["looking_for_mentor"]),
    }  # fmt: skip
    for key, user in people.items():
        add_member(group, user)
        came = None if key == "dee" else start + timedelta(minutes=10)
        make_rsvp(event, user, checked_in_at=came)
    return org, group, event, people


def pass_at(when):
    db.session.rollback()
    worker.run_pass(now=when)
    db.session.rollback()


def mail_to(inbox, address: str) -> list:
    return [m for m in inbox.messages if m["To"].addresses[0].addr_spec == address]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def links(message) -> list[str]:
    return LINK.findall(body(message))


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


# ---------------------------------------------------------------- end to end


def test_event_to_introduction_through_the_worker_and_smtp(smtp_app, login):
    app, inbox = smtp_app
    org, _group, event, p = setup_event()
    client = login(app.test_client(), org)

    page = client.get(f"/e/{event.key}/intros")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "You are looking for a job in data engineering (“a data-engineering role”); "
        "Ben is hiring in data engineering (“We are hiring data engineers”)."
    ) in html
    assert (
        "Ana is looking for a job in data engineering (“a data-engineering role”); you are hiring"
        in html
    )
    pairs = db.session.scalars(select(IntroPair)).all()
    pair_ids = {frozenset((x.user_a_id, x.user_b_id)) for x in pairs}
    assert frozenset((p["ana"].id, p["ben"].id)) in pair_ids
    assert frozenset((p["cy"].id, p["fay"].id)) in pair_ids
    involved = {u for x in pairs for u in (x.user_a_id, x.user_b_id)}
    assert p["dee"].id not in involved and p["eve"].id not in involved  # no check-in / no consent

    pass_at(event.ends_at + timedelta(hours=1))  # too early: nothing yet
    assert inbox.messages == []

    pass_at(intros.send_time(event) + timedelta(minutes=1))
    assert {m["To"].addresses[0].addr_spec for m in inbox.messages} == {
        "ana@example.org", "ben@example.org", "cy@example.org", "fay@example.org"}  # fmt: skip
    (to_ana,) = mail_to(inbox, "ana@example.org")
    assert to_ana["Subject"] == "People to meet again from Data drinks"
    assert "Ben (CTO at Quanta)" in body(to_ana)
    assert "+33 6 12" not in body(to_ana)  # contact details only after both say yes
    ana_yes, ana_no = links(to_ana)
    (to_ben,) = mail_to(inbox, "ben@example.org")
    ben_yes, _ben_no = links(to_ben)

    anon = app.test_client()
    confirm = anon.get(path_of(ana_yes))
    assert confirm.status_code == 200 and "Yes, introduce us" in confirm.get_data(as_text=True)
    assert "Thanks, noted" in anon.post(path_of(ana_yes)).get_data(as_text=True)
    pass_at(utcnow() + timedelta(minutes=1))
    assert len(mail_to(inbox, "ana@example.org")) == 1  # nothing until Ben answers

    done = anon.post(path_of(ben_yes)).get_data(as_text=True)
    assert "You are introduced!" in done
    pass_at(utcnow() + timedelta(minutes=1))
    intro_to_ana = mail_to(inbox, "ana@example.org")[1]
    intro_to_ben = mail_to(inbox, "ben@example.org")[1]
    assert intro_to_ana["Subject"] == "Introduction: Ben, from Data drinks"
    assert "ben@example.org" in body(intro_to_ana) and "+33 6 12 34 56 78" in body(intro_to_ana)
    assert "CTO at Quanta" in body(intro_to_ana) and "Data drinks" in body(intro_to_ana)
    assert "linkedin.com/in/ana" in body(intro_to_ben)
    assert (
        "Ana is looking for a job in data engineering (“a data-engineering role”); you are hiring"
        in body(intro_to_ben)
    )
    assert "You are looking for a job" not in body(intro_to_ben)  # Ana's reason is hers

    # Answering again, and running the worker again, send nothing twice.
    anon.post(path_of(ana_yes))
    count = len(inbox.messages)
    pass_at(utcnow() + timedelta(minutes=2))
    pass_at(intros.send_time(event) + timedelta(hours=1))
    assert len(inbox.messages) == count
    assert ana_no  # a "no" link was offered too


def test_a_no_stays_private(smtp_app):
    app, inbox = smtp_app
    _org, _group, event, p = setup_event()
    pass_at(intros.send_time(event) + timedelta(minutes=1))
    ana_yes, _ = links(mail_to(inbox, "ana@example.org")[0])
    _, ben_no = links(mail_to(inbox, "ben@example.org")[0])
    anon = app.test_client()
    anon.post(path_of(ana_yes))
    page = anon.post(path_of(ben_no)).get_data(as_text=True)
    assert "Ana will not be told" in page
    pass_at(utcnow() + timedelta(minutes=1))
    assert len(mail_to(inbox, "ana@example.org")) == 1
    assert len(mail_to(inbox, "ben@example.org")) == 1
    # Ana's own link still reads as an open question: nothing hints at Ben's answer.
    again = anon.get(path_of(ana_yes)).get_data(as_text=True)
    assert "Introduce you to Ben?" in again and "declin" not in again.lower()
    # Reminders skip what's settled; nobody is reminded about a declined pair.
    pass_at(intros.send_time(event) + timedelta(hours=73))
    assert len(mail_to(inbox, "ana@example.org")) == 1
    assert len(mail_to(inbox, "ben@example.org")) == 1


def test_reminder_after_72_hours_then_did_you_meet_a_week_after(smtp_app):
    app, inbox = smtp_app
    _org, _group, event, _p = setup_event()
    sent = intros.send_time(event) + timedelta(minutes=1)
    pass_at(sent)
    first = len(inbox.messages)
    pass_at(sent + timedelta(hours=71))
    assert len(inbox.messages) == first
    pass_at(sent + timedelta(hours=73))
    reminders = [m for m in inbox.messages if m["Subject"].startswith("Reminder")]
    assert len(reminders) == first  # every person had unanswered suggestions
    pass_at(sent + timedelta(hours=80))
    assert len(inbox.messages) == 2 * first  # one reminder each, never two

    yes = [links(m)[0] for m in reminders if m["To"].addresses[0].username in ("cy", "fay")]
    anon = app.test_client()
    for url in yes:
        anon.post(path_of(url))
    pair = db.session.scalar(select(IntroPair).where(IntroPair.status == "accepted"))
    pass_at(pair.introduced_at + timedelta(days=7, minutes=1))
    met = [m for m in inbox.messages if m["Subject"].startswith("Did you meet")]
    assert sorted(m["Subject"] for m in met) == ["Did you meet Cy?", "Did you meet Fay?"]
    met_yes = [u for u in links(met[0]) if "/met/yes" in u][0]
    assert "Yes, we met" in anon.get(path_of(met_yes)).get_data(as_text=True)
    assert "Glad you met" in anon.post(path_of(met_yes)).get_data(as_text=True)
    pass_at(pair.introduced_at + timedelta(days=8))
    assert len([m for m in inbox.messages if m["Subject"].startswith("Did you meet")]) == 2
    assert intros.counts_by_event([event.id])[event.id].met == 1


# ---------------------------------------------------------------- organizer


def _pair_of(a: User, b: User) -> IntroPair:
    ids = sorted((a.id, b.id))
    return db.session.scalar(
        select(IntroPair).where(IntroPair.user_a_id == ids[0], IntroPair.user_b_id == ids[1])
    )


def _token(pair: IntroPair, user: User) -> str:
    return pair.token_a if pair.user_a_id == user.id else pair.token_b


def test_attendees_answer_their_suggestions_on_the_event_page(app, login):
    _org, _group, event, p = setup_event()
    ana, ben, cy = p["ana"], p["ben"], p["cy"]
    ana_page = login(app.test_client(), ana)

    def page(client) -> str:
        db.session.rollback()
        html = client.get(f"/e/{event.key}").get_data(as_text=True)
        return html.split('id="my-intros-title"', 1)[1] if 'id="my-intros-title"' in html else ""

    # Proposed, not sent (the organizer may still change them): when they come, not who.
    before = page(ana_page)
    at = intros.send_time(event)
    when = format_in_zone(at, event.timezone, "EEE d MMM, HH:mm")
    when += " " + zone_abbreviation(at, event.timezone)  # "Fri 4 Dec, 22:00 CET"
    assert f"suggestions of people to meet again by email on {when}." in before
    assert "Ben" not in before
    pass_at(intros.send_time(event) + timedelta(minutes=1))
    pair = _pair_of(ana, ben)
    mine, theirs = _token(pair, ana), _token(pair, ben)
    shown = page(ana_page)
    assert "Ben" in shown and "CTO at Quanta" in shown and "You are looking for a job" in shown
    assert f'action="/i/{mine}/yes"' in shown and f'action="/i/{mine}/no"' in shown
    assert theirs not in shown and "+33 6 12" not in shown  # contact details only once both agree
    assert "Fay" not in shown  # someone else's pair

    # Answering from the page is answering by the link: yes, then Ben says no (kept private).
    done = ana_page.post(f"/i/{mine}/yes")
    assert done.status_code == 200
    back = rf'<a href="/e/{event.key}#my-intros-title"[^>]*>Back to Data drinks</a>'
    assert re.search(back, done.get_data(as_text=True))
    app.test_client().post(f"/i/{theirs}/no")
    shown = page(ana_page)
    assert "You said yes. If Ben says yes too" in shown
    assert f'action="/i/{mine}/yes"' not in shown and f'action="/i/{mine}/no"' in shown
    assert "declin" not in shown.lower() and "said no" not in shown

    # Ben changes his mind: introduced, with the details the introduction email carries.
    app.test_client().post(f"/i/{theirs}/yes")
    shown = page(ana_page)
    assert "You both said yes." in shown
    assert 'href="mailto:ben@example.org"' in shown and "+33 6 12 34 56 78" in shown
    assert "/i/" not in shown

    # Nobody else sees Ana's suggestions: not Cy, nor a visitor.
    assert "Ben" not in page(login(app.test_client(), cy)).split("</section>", 1)[0]
    assert page(app.test_client()) == ""


def test_the_event_page_tells_who_came_when_suggestions_come(app, login):
    """Before any suggestion is sent, each attendee who came reads when they will come (or
    that they said no to them); those who didn't come, and everyone once it is too late to
    send any, read nothing about them."""
    _org, _group, event, p = setup_event(intros_delay_hours=18)

    def note(person) -> str:
        db.session.rollback()
        html = login(app.test_client(), person).get(f"/e/{event.key}").get_data(as_text=True)
        return html.split('id="my-intros-title"', 1)[1] if 'id="my-intros-title"' in html else ""

    at = intros.send_time(event)
    when = format_in_zone(at, event.timezone, "EEE d MMM, HH:mm")
    when += " " + zone_abbreviation(at, event.timezone)  # "Fri 4 Dec, 22:00 CET"
    assert f"by email on {when}." in note(p["ana"])
    off = note(p["eve"])  # said no to introductions in her profile
    assert "You chose not to get introductions" in off and 'href="/profile"' in off
    assert note(p["dee"]) == ""  # didn't come

    event.intros_delay_hours = 0  # their time has come; the worker hasn't passed yet
    db.session.commit()
    assert "are on their way to you by email" in note(p["ana"])

    event.starts_at -= timedelta(days=20)
    event.ends_at -= timedelta(days=20)
    db.session.commit()
    assert note(p["ana"]) == "" and note(p["eve"]) == ""


def test_a_no_from_the_event_page_can_be_changed_back(app, login):
    _org, _group, event, p = setup_event()
    pass_at(intros.send_time(event) + timedelta(minutes=1))
    mine = _token(_pair_of(p["cy"], p["fay"]), p["cy"])
    client = login(app.test_client(), p["cy"])
    client.post(f"/i/{mine}/no")
    html = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "You said no thanks. Fay will not be told." in html
    assert f'action="/i/{mine}/yes"' in html and f'action="/i/{mine}/no"' not in html


def test_organizer_removes_adds_and_approves(app, client, login):
    org, _group, event, p = setup_event()
    login(client, org)
    client.get(f"/e/{event.key}/intros")
    pair = db.session.scalar(select(IntroPair).where(IntroPair.user_a_id == p["ana"].id))
    assert client.post(f"/e/{event.key}/intros/{pair.id}/remove").status_code == 302
    r = client.post(
        f"/e/{event.key}/intros/add",
        data={"user_id": p["eve"].id, "other_id": p["ana"].id, "reason": "Both love Rust."},
    )
    assert r.status_code == 302
    bad = client.post(
        f"/e/{event.key}/intros/add",
        data={"user_id": p["dee"].id, "other_id": p["ana"].id, "reason": "x"},
    )
    assert bad.status_code == 303  # Dee didn't come: not a choice
    same = client.post(
        f"/e/{event.key}/intros/add",
        data={"user_id": p["ana"].id, "other_id": p["ana"].id, "reason": "x"},
    )
    assert same.status_code == 400
    assert client.post(f"/e/{event.key}/intros/approve").status_code == 302
    worker.run_pass(now=utcnow())
    db.session.rollback()
    statuses = {(x.user_a_id, x.user_b_id): x.status for x in db.session.scalars(select(IntroPair))}
    assert statuses[(pair.user_a_id, pair.user_b_id)] == "removed"
    assert statuses[tuple(sorted((p["ana"].id, p["eve"].id)))] == "sent"
    sent_to = set(db.session.scalars(select(OutboxMessage.to_addr)))
    assert "ben@example.org" not in sent_to and "eve@example.org" in sent_to
    # Once sent, pairs can't change.
    assert client.post(f"/e/{event.key}/intros/{pair.id}/remove").status_code == 409


def test_only_organizers_see_the_review(client, login):
    _org, group, event, p = setup_event()
    assert client.get(f"/e/{event.key}/intros").status_code == 302  # sign in first
    login(client, p["ana"])
    assert client.get(f"/e/{event.key}/intros").status_code == 403
    assert client.get(f"/g/{group.slug}/intros").status_code == 403
    assert client.get("/e/nope/intros").status_code == 404


def test_nothing_before_the_event_ends(client, login):
    org, group, event, _p = setup_event()
    event.ends_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    login(client, org)
    page = client.get(f"/e/{event.key}/intros").get_data(as_text=True)
    assert "proposed after the event ends" in page
    assert db.session.scalar(select(IntroPair.id)) is None
    assert client.post(f"/e/{event.key}/intros/approve").status_code == 409


def test_the_review_is_a_row_per_pair_with_the_rest_one_tap_away(client, login):
    """A big event's review stays short on a phone: a row per pair (the two names and its
    state), what each reads and Remove behind a tap; no internal score shown; "Approve all
    and send now" asks first, saying how many emails go out."""
    org, _group, event, _p = setup_event()
    login(client, org)
    html = client.get(f"/e/{event.key}/intros").get_data(as_text=True)
    rows = re.findall(r'<li class="intro-pair">(.*?)</li>', html, re.S)
    pairs = db.session.scalars(select(IntroPair)).all()
    assert len(rows) == len(pairs) >= 2
    for pair in pairs:
        a, b = pair.user_a.display_name, pair.user_b.display_name
        (row,) = [r for r in rows if f"<strong>{a}</strong> &amp; <strong>{b}</strong>" in r]
        summary, folded = row.split("</summary>")
        assert pair.reason_for_a not in summary and pair.reason_for_a in folded
        assert f'aria-label="Remove {a} and {b}"' in folded
    assert "score" not in html.lower()
    people = {i for p in pairs for i in (p.user_a_id, p.user_b_id)}
    approve = html.split('<details class="intro-approve">')[1].split("</details>")[0]
    assert f"Send {len(pairs)} suggestions now?" in approve
    assert f"Yes, send {len(people)} emails now" in approve
    assert approve.index("<summary") < approve.index('<form method="post"')


def test_the_review_page_says_when_the_suggestions_go_out(client, login):
    """Before their time: when, and a button to send them sooner. Once their time has come:
    on the worker's next pass. Once sent: sent. An event reviewed more than two weeks
    later: they were not sent and won't be, and the button is gone (it did nothing)."""
    org, _group, event, _p = setup_event(intros_delay_hours=18)
    login(client, org)
    path = f"/e/{event.key}/intros"
    page = client.get(path).get_data(as_text=True)
    assert "unless you approve them sooner" in page and "Approve all and send now" in page
    at = intros.send_time(event)
    when = format_in_zone(at, event.timezone, "EEE d MMM, HH:mm")
    assert f"suggestions on {when} {zone_abbreviation(at, event.timezone)}, unless" in page

    event.intros_delay_hours = 0  # its time has come; the worker hasn't passed yet
    db.session.commit()
    page = client.get(path).get_data(as_text=True)
    assert "go out on the next pass" in page and "Approve all" not in page

    pass_at(utcnow())
    page = client.get(path).get_data(as_text=True)
    assert "have been sent" in page and "next pass" not in page


def test_suggestions_reviewed_too_late_are_not_promised(client, login):
    org, _group, event, _p = setup_event()
    intros.ensure_proposals(event)  # made in time; the worker never ran to send them
    event.starts_at -= timedelta(days=20)
    event.ends_at -= timedelta(days=20)
    db.session.commit()
    login(client, org)
    path = f"/e/{event.key}/intros"
    page = client.get(path).get_data(as_text=True)
    assert "were not sent: they go out only in the 14 days after an event" in page
    assert "Approve all" not in page and ">Remove<" not in page and "Add a pair" not in page
    resp = client.post(f"{path}/approve", headers={"Accept": "application/json"})
    assert resp.status_code == 409 and resp.get_json()["error"] == "intros_too_late"
    db.session.expire_all()
    assert event.intros_approved_at is None


def test_an_event_first_reviewed_too_late_gets_no_suggestions(client, login):
    """Opening the review of an event that ended weeks ago writes nothing: suggestions
    made now could never be sent."""
    org, _group, event, _p = setup_event()
    event.starts_at -= timedelta(days=20)
    event.ends_at -= timedelta(days=20)
    db.session.commit()
    login(client, org)
    page = client.get(f"/e/{event.key}/intros").get_data(as_text=True)
    assert "No suggestions were made for this event: they are made and sent only in" in page
    assert "No pairs. People are paired" not in page and "were not sent" not in page
    assert db.session.scalar(select(IntroPair.id)) is None


def test_a_pair_is_never_proposed_at_a_second_event(app):
    _org, group, event, p = setup_event()
    intros.ensure_proposals(event)
    db.session.commit()
    later = make_event(group, starts_at=utcnow() - timedelta(hours=2), hours=1)
    for user in p.values():
        make_rsvp(later, user, checked_in_at=utcnow() - timedelta(hours=2))
    intros.ensure_proposals(later)
    db.session.commit()
    first = {(x.user_a_id, x.user_b_id) for x in db.session.scalars(
        select(IntroPair).where(IntroPair.event_id == event.id))}  # fmt: skip
    second = {(x.user_a_id, x.user_b_id) for x in db.session.scalars(
        select(IntroPair).where(IntroPair.event_id == later.id))}  # fmt: skip
    assert first and not first & second


def test_group_figures(client, login):
    org, group, event, _p = setup_event()
    login(client, org)
    client.get(f"/e/{event.key}/intros")
    page = client.get(f"/g/{group.slug}/intros").get_data(as_text=True)
    assert "Data drinks" in page and "<b>2</b> proposed" in page
    assert f'href="/g/{group.slug}/intros"' in client.get(f"/g/{group.slug}").get_data(as_text=True)


# ---------------------------------------------------------------- links


@pytest.mark.parametrize("path", ["/i/not-a-token/yes", "/i/" + "x" * 80 + "/no", "/i/abc/maybe"])
def test_bad_links_get_a_clear_404(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404


def test_answer_links_need_the_csrf_token(app, csrf_on):
    _org, _group, event, _p = setup_event()
    pass_at(intros.send_time(event) + timedelta(minutes=1))
    pair = db.session.scalar(select(IntroPair).where(IntroPair.status == "sent"))
    client = app.test_client()
    assert client.post(f"/i/{pair.token_a}/yes").status_code == 400
    page = client.get(f"/i/{pair.token_a}/yes").get_data(as_text=True)
    token = csrf_in(page)
    assert client.post(f"/i/{pair.token_a}/yes", data={"csrf_token": token}).status_code == 200
    db.session.rollback()
    assert db.session.get(IntroPair, pair.id).answer_a == "yes"


# ---------------------------------------------------------------- settings


def test_settings_are_saved_and_blocks_respected(app, client, login):
    _org, group, event, p = setup_event()
    login(client, p["ana"])
    r = client.post(
        "/profile/intros",
        data={
            "looking_intents": ["looking_for_mentor", "hiring", "bogus"],
            "offer_intents": ["advice_on_data"],
            "max_intros": "2",
            "intro_colleagues": "y",
            "block_name": "ben",
        },  # fmt: skip
    )
    assert r.status_code == 302
    db.session.rollback()
    ana = db.session.get(User, p["ana"].id)
    assert ana.looking_intents == ["looking_for_mentor"]  # offer tags aren't "looking for"
    assert ana.offer_intents == ["advice_on_data"] and ana.max_intros == 2 and ana.intro_colleagues
    assert db.session.scalar(select(IntroBlock.blocked_user_id)) == p["ben"].id
    intros.ensure_proposals(db.session.get(Event, event.id))
    pairs = {(x.user_a_id, x.user_b_id) for x in db.session.scalars(select(IntroPair))}
    assert tuple(sorted((p["ana"].id, p["ben"].id))) not in pairs

    assert (
        client.post("/profile/intros", data={"max_intros": "2", "block_name": "Nobody"}).status_code
        == 400
    )
    assert client.post("/profile/intros", data={"max_intros": "9"}).status_code == 303
    # Unticking the block lifts it.
    client.post("/profile/intros", data={"max_intros": "3"})
    assert db.session.scalar(select(IntroBlock.id)) is None
    del group


def test_the_co_founder_tag_is_offered_once_and_kept_where_it_was_stored(app, client, login):
    """It counts on both sides; under "I can offer" its label read as a mistake. Someone who
    saved it there before still sees it ticked, and saving the form keeps it."""
    _org, _group, _event, p = setup_event()
    ana = p["ana"]
    ana.looking_intents, ana.offer_intents = [], ["looking_for_cofounder", "mentoring"]
    ana.looking_for = ""  # nothing read from her words: only what she saved is ticked
    db.session.commit()
    login(client, ana)
    page = client.get("/profile").get_data(as_text=True)
    assert page.count("Looking for a co-founder") == 1
    ticked: dict[str, list[str]] = {"looking_intents": [], "offer_intents": []}
    for attrs in re.findall(r"<input([^>]*)>", page):
        name = re.search(r'name="(looking_intents|offer_intents)"', attrs)
        if name and "checked" in attrs:
            ticked[name.group(1)].append(re.search(r'value="([^"]+)"', attrs).group(1))
    assert ticked == {"looking_intents": ["looking_for_cofounder"], "offer_intents": ["mentoring"]}
    data = {**ticked, "max_intros": "3"}
    assert client.post("/profile/intros", data=data).status_code == 302
    db.session.rollback()
    ana = db.session.get(User, ana.id)
    assert ana.looking_intents == ["looking_for_cofounder"] and ana.offer_intents == ["mentoring"]
    # A form cached from before, with the tag still under "I can offer", keeps it too.
    stale = {"offer_intents": ["looking_for_cofounder", "mentoring"], "max_intros": "3"}
    assert client.post("/profile/intros", data=stale).status_code == 302
    db.session.rollback()
    ana = db.session.get(User, ana.id)
    assert ana.looking_intents == ["looking_for_cofounder"] and ana.offer_intents == ["mentoring"]

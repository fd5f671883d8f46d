"""The profile: editing, interests, password (and signing other sessions out), deletion."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import (
    Event,
    Group,
    IntroPair,
    LoginToken,
    Membership,
    OutboxMessage,
    Rsvp,
    User,
)
from meetup.services.accounts import magic_links
from meetup.services.accounts import users as accounts
from meetup.services.errors import DomainError
from tests.factories import (
    add_member,
    last_link_token,
    make_event,
    make_group,
    make_rsvp,
    make_user,
)

PROFILE = {
    "name": "Ana Lima",
    "headline": "Data engineer, ex-Acme",
    "company": "Acme",
    "looking_for": "A co-founder",
    "can_offer": "Advice on data pipelines",
    "interests": " Python, data  science,python,, Climate ",
    "wants_intros": "y",
    "contact_details": "linkedin.com/in/ana",
}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def reload(user: User) -> User | None:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_profile_needs_sign_in(client):
    resp = client.get("/profile")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def test_profile_page_shows_the_form_prefilled(client, login):
    user = make_user(interests=["python", "climate"], headline="Builder")
    login(client, user)
    html = client.get("/profile").get_data(as_text=True)
    assert 'value="python, climate"' in html and 'value="Builder"' in html
    assert '<input checked id="wants_intros" name="wants_intros"' in html
    assert "Set a password" in html  # no password yet


def test_saving_the_profile(client, login):
    user = make_user()
    login(client, user)
    resp = client.post("/profile", data=PROFILE)
    assert resp.status_code == 302 and resp.headers["Location"] == "/profile"
    user = reload(user)
    assert user.name == "Ana Lima" and user.company == "Acme"
    assert user.looking_for == "A co-founder" and user.can_offer.startswith("Advice")
    assert user.interests == ["python", "data science", "climate"]
    assert user.wants_intros is True and user.contact_details == "linkedin.com/in/ana"
    assert b"Your profile is saved" in client.get("/profile").data


def test_intros_can_be_switched_off(client, login):
    user = make_user()
    login(client, user)
    client.post("/profile", data={k: v for k, v in PROFILE.items() if k != "wants_intros"})
    assert reload(user).wants_intros is False


def test_new_accounts_want_intros_by_default(app):
    assert accounts.get_or_create("new@example.org").wants_intros is True


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", ""),
        ("name", "N" * 121),
        ("headline", "H" * 161),
        ("company", "C" * 121),
        ("looking_for", "L" * 1001),
        ("can_offer", "O" * 1001),
        ("contact_details", "D" * 501),
        ("interests", "x" * 1001),
        ("interests", ",".join(f"tag{i}" for i in range(21))),
    ],
)
def test_bad_profile_input_is_a_400_and_changes_nothing(client, login, field, value):
    user = make_user(name="Before")
    login(client, user)
    resp = client.post("/profile", data={**PROFILE, field: value})
    assert resp.status_code == 400
    assert b"field-error" in resp.data
    user = reload(user)
    assert user.name == "Before" and user.interests in ([], None)


def test_tags_are_cleaned():
    assert accounts.clean_tags("  A,b ,, a , B  c,") == ["a", "b", "b c"]
    assert accounts.clean_tags("x" * 100) == ["x" * 40]
    assert accounts.clean_tags("") == []
    with pytest.raises(DomainError):
        accounts.clean_tags(",".join(str(i) for i in range(21)))


def test_the_page_leaves_room_for_other_features(app):
    source = app.jinja_env.loader.get_source(app.jinja_env, "accounts/profile.html")[0]
    assert '{% include "calendar/_feed_settings.html" ignore missing %}' in source
    assert '{% include "intros/_profile_fields.html" ignore missing %}' in source
    # The introduction settings are fields of the profile's one form ("Save profile" keeps
    # them); the calendar link has buttons of its own, outside it (forms don't nest).
    form_end = source.index("</form>")
    assert source.index("intros/_profile_fields.html") < form_end
    assert source.index("calendar/_feed_settings.html") > form_end
    fields = app.jinja_env.loader.get_source(app.jinja_env, "intros/_profile_fields.html")[0]
    assert "<form" not in fields


def test_save_profile_keeps_the_introduction_settings_shown_with_it(client, login):
    """Ticking an introduction preference, then "Save profile": the tick is kept."""
    user = make_user(max_intros=1, intro_colleagues=False)
    login(client, user)
    html = client.get("/profile").get_data(as_text=True)
    assert html.count("<form") - html.count('class="inline"') >= 1
    assert 'action="/profile/intros"' not in html  # no second form to miss
    resp = client.post(
        "/profile",
        data={**PROFILE, "max_intros": "3", "intro_colleagues": "y", "intents_read": ""},
    )
    assert resp.status_code == 302
    user = reload(user)
    assert user.max_intros == 3 and user.intro_colleagues is True
    assert user.name == "Ana Lima"


def test_a_bad_introduction_setting_is_shown_beside_its_field(client, login):
    user = make_user()
    login(client, user)
    resp = client.post("/profile", data={**PROFILE, "max_intros": "2", "block_name": "Nobody"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "find anyone by that name" in html
    # The first bad field takes the focus (the browser scrolls to it, script or not).
    assert html.count("autofocus") == 1 and 'autofocus id="block_name"' in html
    assert reload(user).name != "Ana Lima"  # nothing half-saved


# ---------------------------------------------------------------- password


def test_setting_a_first_password_then_signing_in_with_it(client, login):
    user = make_user("ana@example.org")  # came by magic link
    login(client, user)
    resp = client.post(
        "/profile/password",
        data={"new_password": "correct horse battery", "confirm_password": "correct horse battery"},
    )
    assert resp.status_code == 302
    client.post("/logout")
    resp = client.post(
        "/login", data={"email": "ana@example.org", "password": "correct horse battery"}
    )
    assert resp.status_code == 302


def test_changing_the_password_needs_the_current_one(client, login):
    user = make_user(password="old password here")
    login(client, user)
    data = {"new_password": "new password here", "confirm_password": "new password here"}
    resp = client.post("/profile/password", data={**data, "current_password": "wrong one!!"})
    assert resp.status_code == 400 and b"isn&#39;t your current password" in resp.data
    resp = client.post("/profile/password", data=data)
    assert resp.status_code == 400
    assert (
        client.post(
            "/profile/password", data={**data, "current_password": "old password here"}
        ).status_code
        == 302
    )


def test_after_an_emailed_link_a_forgotten_password_can_be_replaced(client):
    user = make_user("ana@example.org", password="forgotten password")
    client.post("/login/link", data={"email": "ana@example.org"})
    client.post(f"/login/link/{last_link_token('ana@example.org')}")
    assert b"Current password" not in client.get("/profile").data
    data = {"new_password": "brand new password", "confirm_password": "brand new password"}
    assert client.post("/profile/password", data=data).status_code == 302
    assert accounts.authenticate("ana@example.org", "brand new password").id == user.id


@pytest.mark.parametrize(
    "data",
    [
        {"new_password": "short", "confirm_password": "short"},
        {"new_password": "x" * 201, "confirm_password": "x" * 201},
        {"new_password": "long enough one", "confirm_password": "different one!!"},
    ],
)
def test_bad_new_password_is_a_400(client, login, data):
    user = make_user()
    login(client, user)
    assert client.post("/profile/password", data=data).status_code == 400
    assert reload(user).password_hash is None


def test_changing_the_password_signs_other_sessions_out(app, login):
    user = make_user(password="old password here")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    data = {
        "current_password": "old password here",
        "new_password": "new password here",
        "confirm_password": "new password here",
    }
    assert here.post("/profile/password", data=data).status_code == 302
    assert here.get("/profile").status_code == 200  # still signed in here
    assert elsewhere.get("/profile").status_code == 302  # signed out there
    # The remember-me cookie was re-issued with the new token too.
    here_only_remember = app.test_client()
    here_only_remember.set_cookie("remember_token", here.get_cookie("remember_token").value)
    assert here_only_remember.get("/profile").status_code == 200


def test_sign_out_on_other_devices(app, login):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    assert here.post("/profile/sign-out-elsewhere").status_code == 302
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302


# ---------------------------------------------------------------- deletion


def test_delete_asks_for_the_email_first(client, login):
    user = make_user("ana@example.org")
    login(client, user)
    page = client.get("/profile/delete")
    assert page.status_code == 200 and b"can't be undone" in page.data
    for typed in ("", "bo@example.org", "x" * 5000):
        resp = client.post("/profile/delete", data={"confirm_email": typed})
        assert resp.status_code == 400
    assert reload(user) is not None


def test_deleting_removes_the_person_and_their_data(client, login):
    ana = make_user("ana@example.org")
    bo = make_user("bo@example.org")
    group = make_group(bo)
    add_member(group, ana)
    event = make_event(group, created_by_id=ana.id)
    make_rsvp(event, ana)
    make_rsvp(event, bo)
    a, b = sorted([ana.id, bo.id])
    db.session.add(IntroPair(event_id=event.id, user_a_id=a, user_b_id=b))
    magic_links.send("ana@example.org")
    db.session.commit()
    login(client, ana)

    resp = client.post("/profile/delete", data={"confirm_email": " ANA@example.org "})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert reload(ana) is None
    assert db.session.scalars(select(Membership.user_id)).all() == [bo.id]
    assert db.session.scalars(select(Rsvp.user_id)).all() == [bo.id]
    assert count(IntroPair) == 0
    assert count(LoginToken) == 0
    assert count(OutboxMessage) == 0
    assert db.session.get(Event, event.id).created_by_id is None  # the event stays
    assert client.get("/profile").status_code == 302  # signed out
    assert b"are deleted" in client.get("/").data


def test_the_only_organizer_of_a_group_with_members_must_hand_over_first(client, login):
    ana = make_user("ana@example.org")
    group = make_group(ana, name="Data Folks")
    add_member(group, make_user())
    login(client, ana)
    page = client.get("/profile/delete").get_data(as_text=True)
    assert "Data Folks" in page and "co-organizer" in page
    resp = client.post("/profile/delete", data={"confirm_email": "ana@example.org"})
    assert resp.status_code == 409
    assert reload(ana) is not None and count(Group) == 1
    with pytest.raises(DomainError) as err:
        accounts.delete_account(ana)
    assert err.value.code == "sole_organizer"


def test_a_co_organizer_takes_over(client, login):
    ana = make_user("ana@example.org")
    group = make_group(ana)
    newer, senior = make_user(name="Newer"), make_user(name="Senior")
    add_member(group, senior, role="co_organizer")
    add_member(group, newer, role="co_organizer")
    add_member(group, make_user())
    login(client, ana)
    assert "Senior becomes the organizer" in client.get("/profile/delete").get_data(as_text=True)
    assert (
        client.post("/profile/delete", data={"confirm_email": "ana@example.org"}).status_code == 302
    )
    roles = dict(db.session.execute(select(Membership.user_id, Membership.role)).all())
    assert roles[senior.id] == "organizer" and roles[newer.id] == "co_organizer"


def test_a_group_with_another_organizer_just_loses_one(app):
    ana, bo = make_user(), make_user()
    group = make_group(ana)
    add_member(group, bo, role="organizer")
    plan = accounts.deletion_plan(ana)
    assert plan.blocking == plan.handed_over == plan.deleted == []
    accounts.delete_account(ana)
    db.session.commit()
    assert count(Group) == 1


def test_a_group_nobody_else_uses_goes_with_the_account(client, login):
    ana = make_user("ana@example.org")
    make_event(make_group(ana, name="Solo Club"))
    login(client, ana)
    assert "Solo Club" in client.get("/profile/delete").get_data(as_text=True)
    assert (
        client.post("/profile/delete", data={"confirm_email": "ana@example.org"}).status_code == 302
    )
    assert count(Group) == 0 and count(Event) == 0


def test_rsvps_from_non_members_count_as_people_in_the_group(app):
    ana = make_user()
    event = make_event(make_group(ana))
    make_rsvp(event, make_user())  # a public event answered by someone outside the group
    assert len(accounts.deletion_plan(ana).blocking) == 1


def test_deletion_plan_takes_four_queries_whatever_the_size(app):
    from sqlalchemy import event as sa_event

    ana = make_user()
    for _ in range(5):
        group = make_group(ana)
        add_member(group, make_user(), role="co_organizer")
        add_member(group, make_user())
    assert ana.id  # loaded before counting
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        plan = accounts.deletion_plan(ana)
        [successor.name for _, successor in plan.handed_over]
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)
    assert len(plan.handed_over) == 5
    assert (
        len([s for s in statements if s.startswith("SELECT")]) == 4
    )  # my groups, who else takes part (x2), successors

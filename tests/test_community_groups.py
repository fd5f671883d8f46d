"""Groups: create/edit/delete, the group page, roles, invite links and joining, members page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import Event, Group, Invite, Membership, User, utcnow
from meetup.services.community import groups as svc
from meetup.services.community import invite_links, member_import, members
from meetup.services.errors import DomainError
from tests.factories import (
    add_member,
    count_queries,
    last_link_token,
    make_event,
    make_group,
    make_invite,
    make_user,
)


def membership(group: Group, user: User) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )


# ---------------------------------------------------------------- creating a group


def test_create_group_makes_creator_organizer(client, login):
    ana = make_user(name="Ana")
    login(client, ana)
    resp = client.post(
        "/groups/new",
        data={
            "name": "Rust Berlin",
            "description": "We **meet** monthly.",
            "platform": "discord",
            "community_url": "https://discord.gg/rustberlin",
        },
    )
    assert resp.status_code == 302
    group = db.session.scalar(select(Group))
    assert group.slug == "rust-berlin"
    assert resp.headers["Location"] == f"/g/{group.slug}/invites"
    assert group.platform == "discord"
    assert membership(group, ana).role == "organizer"
    assert membership(group, ana).source == "created"

    page = client.get("/g/rust-berlin").get_data(as_text=True)
    assert "<strong>meet</strong>" in page  # Markdown rendered
    assert 'href="https://discord.gg/rustberlin"' in page
    assert "Join us on Discord" in page


def test_slug_is_unique_and_stable(app):
    ana = make_user()
    first = svc.create_group(ana, name="Café Rust Berlin!")
    second = svc.create_group(ana, name="Cafe Rust  Berlin")
    third = svc.create_group(ana, name="café rust berlin")
    assert (first.slug, second.slug, third.slug) == (
        "cafe-rust-berlin",
        "cafe-rust-berlin-2",
        "cafe-rust-berlin-3",
    )
    svc.update_group(
        first, ana, name="Renamed entirely", description="", platform="other", community_url=""
    )
    assert first.slug == "cafe-rust-berlin"
    assert svc.slugify("!!!") == "group"
    assert len(svc.slugify("x" * 500)) <= 60


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.org", "not a url", "https://", "http:///path"],
)
def test_community_link_must_be_http(client, login, url):
    login(client, make_user())
    resp = client.post("/groups/new", data={"name": "G", "platform": "slack", "community_url": url})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Group)) == 0
    with pytest.raises(DomainError) as err:
        svc.clean_community_url(url)
    assert err.value.code == "invalid_url"


def test_absurdly_long_fields_are_refused(client, login):
    login(client, make_user())
    resp = client.post("/groups/new", data={"name": "N" * 5000, "platform": "slack"})
    assert resp.status_code == 400
    assert b"Field cannot be longer than 120 characters" in resp.data
    resp = client.post(
        "/groups/new",
        data={"name": "Ok", "platform": "slack", "community_url": "https://x.org/" + "a" * 600},
    )
    assert resp.status_code == 400
    resp = client.post("/groups/new", data={"name": "Ok", "platform": "myspace"})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Group)) == 0


def test_create_group_needs_sign_in(client):
    resp = client.get("/groups/new")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


# ---------------------------------------------------------------- editing and deleting


def test_organizer_and_co_organizer_can_edit_member_cannot(client, login):
    org, co, member = make_user(), make_user(), make_user()
    group = make_group(org, name="Old name")
    add_member(group, co, role="co_organizer")
    add_member(group, member)
    form = {"name": "New name", "platform": "slack", "community_url": "https://x.slack.com"}

    login(client, member)
    assert client.get(f"/g/{group.slug}/edit").status_code == 403
    assert client.post(f"/g/{group.slug}/edit", data=form).status_code == 403
    assert b"Old name" in client.get(f"/g/{group.slug}").data

    login(client, co)
    assert client.post(f"/g/{group.slug}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Group, group.id).name == "New name"


def test_one_groups_organizer_cannot_touch_another_group(client, login):
    mine, theirs = make_user(), make_user()
    other = make_group(theirs)
    invite = make_invite(other)
    add_member(other, make_user())
    login(client, mine)
    make_group(mine)
    slug = other.slug
    assert client.get(f"/g/{slug}/edit").status_code == 403
    assert client.get(f"/g/{slug}/invites").status_code == 403
    assert client.post(f"/g/{slug}/invites", data={"label": "x"}).status_code == 403
    assert client.post(f"/g/{slug}/invites/{invite.id}/revoke").status_code == 403
    assert client.get(f"/g/{slug}/delete").status_code == 403
    assert client.post(f"/g/{slug}/delete", data={"confirm_name": other.name}).status_code == 403
    assert client.get(f"/g/{slug}/members").status_code == 403
    assert db.session.get(Group, other.id) is not None


def test_delete_group_needs_confirmation_and_the_organizer(client, login):
    org, co = make_user(), make_user()
    group = make_group(org, name="Doomed")
    add_member(group, co, role="co_organizer")
    make_event(group)
    make_invite(group)

    login(client, co)
    resp = client.post(f"/g/{group.slug}/delete", data={"confirm_name": "Doomed"})
    assert resp.status_code == 403

    login(client, org)
    page = client.get(f"/g/{group.slug}/delete")
    assert page.status_code == 200 and b"Type the group" in page.data
    wrong = client.post(f"/g/{group.slug}/delete", data={"confirm_name": "doomed?"})
    assert wrong.status_code == 400
    assert db.session.get(Group, group.id) is not None

    resp = client.post(f"/g/{group.slug}/delete", data={"confirm_name": "Doomed"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Group, group.id) is None
    for model in (Event, Invite, Membership):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert client.get(f"/g/{group.slug}").status_code == 404


# ---------------------------------------------------------------- the group page


def test_group_page_lists_upcoming_and_past_events(client, login):
    org = make_user()
    group = make_group(org)
    now = utcnow()
    make_event(group, title="Next month", starts_at=now + timedelta(days=30))
    make_event(group, title="Next week", starts_at=now + timedelta(days=7))
    make_event(group, title="Last year", starts_at=now - timedelta(days=365))
    make_event(group, title="Secret dinner", visibility="members")

    page = client.get(f"/g/{group.slug}").get_data(as_text=True)
    upcoming, past = page.split("Past events")
    assert upcoming.index("Next week") < upcoming.index("Next month")
    assert "Last year" in past
    assert "Secret dinner" not in page  # members-only, and we're not a member
    assert "Ask an organizer" in page

    stranger = make_user()
    login(client, stranger)
    assert "Secret dinner" not in client.get(f"/g/{group.slug}").get_data(as_text=True)

    member = make_user()
    add_member(group, member)
    login(client, member)
    page = client.get(f"/g/{group.slug}").get_data(as_text=True)
    assert "Secret dinner" in page
    assert "Invite links" not in page  # organizer tools are hidden


def test_group_page_links_events_and_shows_organizer_tools(client, login):
    org = make_user()
    group = make_group(org)
    ev = make_event(group, title="Talk night")
    login(client, org)
    page = client.get(f"/g/{group.slug}").get_data(as_text=True)
    assert f'href="/e/{ev.key}"' in page
    assert f"/g/{group.slug}/invites" in page
    assert f"/g/{group.slug}/edit" in page


def test_group_page_query_count_does_not_grow_with_events(client):
    group = make_group(make_user())
    make_event(group)
    url = f"/g/{group.slug}"
    with count_queries() as few:
        client.get(url)
    for _ in range(15):
        make_event(group)
        make_event(group, starts_at=utcnow() - timedelta(days=3))
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)


def test_unknown_group_is_404(client):
    resp = client.get("/g/nope")
    assert resp.status_code == 404
    assert b"find that group" in resp.data


# ---------------------------------------------------------------- roles and leaving


def test_organizer_promotes_and_demotes(client, login):
    org, co, member = make_user(), make_user(), make_user(name="Bo")
    group = make_group(org)
    add_member(group, co, role="co_organizer")
    add_member(group, member)

    login(client, co)  # co-organizers can't change roles
    url = f"/g/{group.slug}/members/{member.id}/role"
    assert client.post(url, data={"role": "co_organizer"}).status_code == 403

    login(client, org)
    assert client.post(url, data={"role": "co_organizer"}).status_code == 302
    assert membership(group, member).role == "co_organizer"
    assert client.post(url, data={"role": "member"}).status_code == 302
    assert membership(group, member).role == "member"
    assert client.post(url, data={"role": "organizer"}).status_code == 400
    assert client.post(url, data={"role": ""}).status_code == 400
    own = f"/g/{group.slug}/members/{org.id}/role"
    assert client.post(own, data={"role": "member"}).status_code == 400
    assert membership(group, org).role == "organizer"
    stranger = make_user()
    resp = client.post(f"/g/{group.slug}/members/{stranger.id}/role", data={"role": "member"})
    assert resp.status_code == 404


def test_members_leave_but_the_last_organizer_cannot(client, login):
    org, member = make_user(), make_user()
    group = make_group(org)
    add_member(group, member)
    login(client, member)
    assert client.post(f"/g/{group.slug}/leave").status_code == 302
    assert membership(group, member) is None

    login(client, org)
    resp = client.post(f"/g/{group.slug}/leave")
    assert resp.status_code == 409
    assert b"only organizer" in resp.data
    assert membership(group, org) is not None


def test_co_organizer_can_manage_invites(client, login):
    org, co = make_user(), make_user()
    group = make_group(org)
    add_member(group, co, role="co_organizer")
    login(client, co)
    assert client.post(f"/g/{group.slug}/invites", data={"label": "Slack"}).status_code == 302
    assert client.get(f"/g/{group.slug}/delete").status_code == 403


# ---------------------------------------------------------------- invite links


def test_invite_links_with_labels_and_counts(client, login):
    org = make_user()
    group = make_group(org)
    login(client, org)
    for label in ("Slack #general", "Alumni newsletter", "LinkedIn post"):
        assert client.post(f"/g/{group.slug}/invites", data={"label": label}).status_code == 302
    slack, news, linkedin = (
        db.session.scalar(select(Invite).where(Invite.label == label))
        for label in ("Slack #general", "Alumni newsletter", "LinkedIn post")
    )
    assert len({slack.code, news.code, linkedin.code}) == 3
    assert len(slack.code) >= 32
    for _ in range(3):
        add_member(group, make_user(), invite_id=slack.id)
    add_member(group, make_user(), invite_id=news.id)
    make_invite(make_group(make_user()), label="Someone else's link")

    db.session.refresh(group)
    with count_queries(cold=False) as queries:
        stats = invite_links.invites_with_counts(group)
    assert len(queries) == 1
    assert {s.invite.label: s.joined for s in stats} == {
        "Slack #general": 3,
        "Alumni newsletter": 1,
        "LinkedIn post": 0,
    }

    page = client.get(f"/g/{group.slug}/invites").get_data(as_text=True)
    assert f"http://localhost/join/{slack.code}" in page
    assert "3 joined" in page
    assert "Someone else" not in page


def test_invite_page_query_count_does_not_grow_with_links(client, login):
    org = make_user()
    group = make_group(org)
    login(client, org)
    make_invite(group)
    url = f"/g/{group.slug}/invites"
    with count_queries() as few:
        client.get(url)
    for n in range(10):
        inv = make_invite(group, label=f"Link {n}")
        add_member(group, make_user(), invite_id=inv.id)
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)


def test_invite_label_is_required_and_bounded(client, login):
    org = make_user()
    group = make_group(org)
    login(client, org)
    assert client.post(f"/g/{group.slug}/invites", data={"label": "  "}).status_code == 400
    assert client.post(f"/g/{group.slug}/invites", data={"label": "L" * 500}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


def test_join_flow_signed_in(client, login):
    group = make_group(make_user(), name="Data Folks")
    invite = make_invite(group, label="Slack #general")
    bo = make_user()
    login(client, bo)
    page = client.get(f"/join/{invite.code}")
    assert page.status_code == 200
    assert b"Join Data Folks" in page.data
    assert membership(group, bo) is None  # a GET changes nothing

    resp = client.post(f"/join/{invite.code}")
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/g/{group.slug}"
    m = membership(group, bo)
    assert (m.role, m.source, m.invite_id) == ("member", "invite", invite.id)

    again = client.get(f"/join/{invite.code}")
    assert b"already a member" in again.data
    assert client.post(f"/join/{invite.code}").status_code == 302
    count = select(func.count()).select_from(Membership).where(Membership.user_id == bo.id)
    assert db.session.scalar(count) == 1


def test_join_flow_signed_out_goes_to_sign_in_and_back(client):
    group = make_group(make_user(), name="Data Folks")
    invite = make_invite(group)
    page = client.get(f"/join/{invite.code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Data Folks" in html
    assert f"/login?next=/join/{invite.code}" in html
    resp = client.post(f"/join/{invite.code}")
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/login?next=/join/{invite.code}"
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1


def test_newcomer_joins_through_magic_link_sign_in(client):
    """Invite link -> sign in by emailed link (no account yet) -> back on the invite -> Join."""
    group = make_group(make_user(), name="Data Folks")
    invite = make_invite(group)
    join_url = f"/join/{invite.code}"
    login_url = f"/login?next={join_url}"
    assert login_url in client.get(join_url).get_data(as_text=True)
    assert f'value="{join_url}"' in client.get(login_url).get_data(as_text=True)
    client.post("/login/link", data={"email": "new@example.org", "next": join_url})
    resp = client.post(f"/login/link/{last_link_token('new@example.org')}")
    assert resp.headers["Location"] == join_url
    assert b"Join Data Folks" in client.get(join_url).data
    assert b'name="name"' in client.get(join_url).data  # a newcomer is asked their name
    assert client.post(join_url).status_code == 400  # and can't join without one
    client.post(join_url, data={"name": "  Nour   Haddad "})
    newcomer = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert membership(group, newcomer).invite_id == invite.id
    assert newcomer.name == "Nour Haddad"  # the home page greets them by it


def test_revoked_invite_is_410_and_joins_nobody(client, login):
    org = make_user()
    group = make_group(org)
    invite = make_invite(group)
    login(client, org)
    assert client.post(f"/g/{group.slug}/invites/{invite.id}/revoke").status_code == 302
    page = client.get(f"/g/{group.slug}/invites").get_data(as_text=True)
    assert "no longer works" in page
    assert f"/join/{invite.code}" not in page

    bo = make_user()
    login(client, bo)
    for resp in (client.get(f"/join/{invite.code}"), client.post(f"/join/{invite.code}")):
        assert resp.status_code == 410
        assert b"This invite link is no longer valid" in resp.data
    assert membership(group, bo) is None


def test_invite_of_deleted_group_is_a_clear_404(client, login):
    org = make_user()
    group = make_group(org, name="Gone")
    invite = make_invite(group)
    code = invite.code
    login(client, org)
    client.post(f"/g/{group.slug}/delete", data={"confirm_name": "Gone"})
    login(client, make_user())
    for resp in (client.get(f"/join/{code}"), client.post(f"/join/{code}")):
        assert resp.status_code == 404
        assert b"This invite link is no longer valid" in resp.data
    assert client.get("/join/" + "x" * 5000).status_code == 404


def test_revoking_another_groups_invite_is_refused(client, login):
    org = make_user()
    group = make_group(org)
    other_invite = make_invite(make_group(make_user()))
    login(client, org)
    resp = client.post(f"/g/{group.slug}/invites/{other_invite.id}/revoke")
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(Invite, other_invite.id).revoked_at is None


# ---------------------------------------------------------------- members page


def test_members_page_organizer_sees_emails_member_sees_names(client, login):
    org = make_user(name="Olga Organizer")
    group = make_group(org)
    invite = make_invite(group, label="Slack #general")
    bo = make_user("bo@example.org", name="Bo Builder", headline="Rust dev", company="Acme")
    add_member(group, bo, invite_id=invite.id)
    add_member(group, make_user("cy@example.org", name="Cy"), source="import")

    login(client, org)
    page = client.get(f"/g/{group.slug}/members").get_data(as_text=True)
    assert "bo@example.org" in page
    assert "Joined via “Slack #general”" in page
    assert "Imported" in page
    assert "Make co-organizer" in page
    assert page.index("Olga Organizer") < page.index("Bo Builder")

    login(client, bo)
    page = client.get(f"/g/{group.slug}/members").get_data(as_text=True)
    assert "Bo Builder" in page and "Rust dev" in page
    assert "@example.org" not in page
    assert "Acme" not in page
    assert "Slack #general" not in page
    assert "Make co-organizer" not in page
    # Members can't find people by email either.
    assert "Bo Builder" not in client.get(f"/g/{group.slug}/members?q=bo@").get_data(as_text=True)

    login(client, make_user())
    assert client.get(f"/g/{group.slug}/members").status_code == 403


def test_members_page_is_paginated_and_searchable_without_n_plus_1(client, login):
    org = make_user()
    group = make_group(org)
    invite = make_invite(group)
    login(client, org)
    url = f"/g/{group.slug}/members"
    with count_queries() as few:
        assert client.get(url).status_code == 200
    users = [
        User(email=f"m{n:03}@example.org", name=f"Member {n:03}", session_token=f"t{n}")
        for n in range(120)
    ]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(
        Membership(group_id=group.id, user_id=u.id, invite_id=invite.id) for u in users
    )
    db.session.commit()
    with count_queries() as many:
        page1 = client.get(url).get_data(as_text=True)
    assert len(many) == len(few), "\n".join(many)
    assert "121 members" in page1 and "Page 1 of 3" in page1
    page3 = client.get(f"/g/{group.slug}/members?page=3").get_data(as_text=True)
    assert "Member 119" in page3
    assert client.get(f"/g/{group.slug}/members?page=4").status_code == 404
    found = client.get(f"/g/{group.slug}/members?q=member 05").get_data(as_text=True)
    assert "Member 050" in found and "Member 060" not in found
    # LIKE wildcards in a search are taken literally.
    assert "0 matches" in client.get(f"/g/{group.slug}/members?q=%25_").get_data(as_text=True)


def test_the_member_list_keeps_its_order_as_people_are_renamed_and_promoted(app):
    """Organizers, co-organizers, then members; named people by name (case aside), then the
    unnamed by email. The order is kept on each membership (read from an index), so every
    way of joining, renaming or changing a role must keep it."""
    org = make_user("olga@example.org", name="Olga")
    group = make_group(org)
    people = {
        email: make_user(f"{email}@example.org", name=name)
        for name, email in [("zoe", "z"), ("Ana", "a"), ("", "ben"), ("", "al"), ("Marc", "m")]
    }
    for user in people.values():
        add_member(group, user)
    csv = "email,name\nkim@example.org,kim\nmarc@example.org,Marc\n"
    member_import.import_csv(group, csv.encode())
    db.session.commit()

    def order() -> list[str]:
        page = members.members_page(group, org, page=1, per_page=3)
        more = members.members_page(group, org, page=2, per_page=3)
        last = members.members_page(group, org, page=3, per_page=3)
        assert page.total == 8
        return [r.name or r.email for r in page.rows + more.rows + last.rows]

    assert order() == [
        "Olga",
        "Ana",
        "kim",
        "Marc",
        "Marc",
        "zoe",
        "al@example.org",
        "ben@example.org",
    ]
    members.set_role(group, org, people["z"].id, "co_organizer")
    people["a"].name = "Yann"  # renamed on their profile
    people["ben"].name = "Ben"  # an unnamed one gave a name
    db.session.commit()
    assert order()[:3] == ["Olga", "zoe", "Ben"]
    assert order()[-2:] == ["Yann", "al@example.org"]


def test_csrf_is_required_on_group_posts(client, login, csrf_on):
    org = make_user()
    group = make_group(org)
    login(client, org)
    resp = client.post(f"/g/{group.slug}/invites", data={"label": "Slack"})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0

"""Importing members from Slack, LinkedIn and Discord exports: detection, preview, import."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from meetup.demo import SLACK_CSV
from meetup.extensions import db
from meetup.models import Membership, OutboxMessage, User
from meetup.services.community import member_import as mi
from meetup.services.errors import DomainError
from tests.factories import add_member, count_queries, make_group, make_user

DATA = Path(__file__).parent / "data"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def members_of(group) -> dict[str, Membership]:
    db.session.expire_all()
    rows = db.session.execute(
        select(User.email, Membership).join(Membership).where(Membership.group_id == group.id)
    )
    return {email: m for email, m in rows}


@pytest.fixture
def import_dir(app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    return tmp_path / "imports"


@pytest.fixture
def organizer_client(client, login):
    org = make_user("org@example.org", name="Olga")
    group = make_group(org, name="Alumni")
    login(client, org)
    return client, group


def upload(client, group, name: str, content: bytes | None = None):
    body = content if content is not None else data(name)
    return client.post(
        f"/g/{group.slug}/import",
        data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def token_of(resp) -> str:
    return resp.headers["Location"].rsplit("/", 1)[1]


# ---------------------------------------------------------------- reading exports


def test_slack_export_columns_detected():
    table = mi.read_csv(data("slack_members.csv"))
    mapping = mi.detect_mapping(table)
    assert table.headers[mapping.email] == "email"
    assert table.headers[mapping.name] == "fullname"  # not displayname or username
    assert table.headers[mapping.status] == "status"
    plan = mi.plan(table, mapping)
    assert [p.email for p in plan.people] == [
        "ana.lima@example.org",
        "bo.chen@example.org",  # lower-cased
        "eve@example.org",
        "fay@example.org",
    ]
    assert [(s.line, s.reason) for s in plan.skipped] == [
        (4, "no_email"),
        (5, "invalid_email"),
        (6, "duplicate"),
        (9, "deactivated"),
    ]


def test_linkedin_export_with_notes_before_the_header():
    table = mi.read_csv(data("linkedin_connections.csv"))
    assert table.headers[:4] == ["First Name", "Last Name", "URL", "Email Address"]
    mapping = mi.detect_mapping(table)
    assert mapping.name is None
    plan = mi.plan(table, mapping)
    grace = plan.people[0]
    assert (grace.name, grace.email, grace.company, grace.headline) == (
        "Grace Hopper",
        "grace@example.org",
        "Navy",
        "Rear Admiral",
    )
    assert [(s.line, s.reason) for s in plan.skipped] == [(6, "no_email")]  # Alan Turing


def test_discord_export_without_email_column_is_refused():
    with pytest.raises(DomainError) as err:
        mi.detect_mapping(mi.read_csv(data("discord_no_email.csv")))
    assert err.value.code == "no_email_column"


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "expected"),
    [
        ("latin1_semicolon.csv", "cp1252", ";", ("Zoë Müller", "Café Crème SàRL")),
        ("utf16_tab.csv", "utf-16", "\t", ("Łukasz Żółć", "")),
        ("utf8_bom.csv", "utf-8-sig", ",", ("Björn Ångström", "")),
    ],
)
def test_encodings_and_delimiters(name, encoding, delimiter, expected):
    table = mi.read_csv(data(name))
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    person = mi.plan(table, mi.detect_mapping(table)).people[0]
    assert (person.name, person.company) == expected


def test_utf8_bom_does_not_hide_the_first_header():
    table = mi.read_csv(data("utf8_bom.csv"))
    assert table.headers[0] == "email"
    assert mi.detect_mapping(table).email == 0


def test_file_without_header_row_finds_emails_by_content():
    table = mi.read_csv(b"ana@example.org;Ana\nbo@example.org;Bo\n")
    mapping = mi.detect_mapping(table)
    assert table.headers == ["Column 1", "Column 2"]
    assert [p.email for p in mi.plan(table, mapping).people] == [
        "ana@example.org",
        "bo@example.org",
    ]


def test_formula_cells_are_stored_as_plain_text():
    table = mi.read_csv(data("formulas.csv"))
    people = mi.plan(table, mi.detect_mapping(table)).people
    for p in people:
        for value in (p.name, p.headline, p.company):
            assert not value.startswith(("=", "+", "-", "@", "'")), value
    assert people[0].name == "1+2"
    assert people[1].name == "Dash Leader"
    assert people[2].name == "cmd|' /C calc'!A0"


def test_absurdly_long_cells_are_cut_or_refused():
    long_name = "N" * 100_000
    table = mi.read_csv(f"email,name\nlong@example.org,{long_name}\n".encode())
    person = mi.plan(table, mi.detect_mapping(table)).people[0]
    assert len(person.name) == mi.NAME_MAX
    long_email = "a" * 300 + "@example.org"
    table = mi.read_csv(f"email,name\n{long_email},X\n".encode())
    assert mi.plan(table, mi.detect_mapping(table)).skipped[0].reason == "invalid_email"
    with pytest.raises(DomainError) as err:  # over the csv module's field limit
        mi.read_csv(b'email,name\nx@example.org,"' + b"y" * 200_000 + b'"\n')
    assert err.value.code == "csv_unreadable"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "csv_empty"),
        (b"\n\n  \n", "csv_empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "csv_unreadable"),
        (b"just some words\nand more words\n", "no_email_column"),
    ],
)
def test_unusable_files(content, code):
    with pytest.raises(DomainError) as err:
        mi.detect_mapping(mi.read_csv(content))
    assert err.value.code == code


# ---------------------------------------------------------------- writing


def test_import_reuses_accounts_and_never_duplicates(app):
    org = make_user()
    group = make_group(org)
    bo = make_user("bo.chen@example.org", name="Bo (own profile)")
    ana = make_user("ana.lima@example.org", name="Ana")
    add_member(group, ana)

    result = mi.import_csv(group, data("slack_members.csv"))
    db.session.commit()
    assert (result.added, result.already_members, result.accounts_created) == (3, 1, 2)
    assert result.skipped == {
        "no_email": 1,
        "invalid_email": 1,
        "duplicate": 1,
        "deactivated": 1,
        "bot": 0,
        "guest": 0,
        "too_few_columns": 0,
    }
    members = members_of(group)
    assert set(members) == {
        org.email,
        "ana.lima@example.org",
        "bo.chen@example.org",
        "eve@example.org",
        "fay@example.org",
    }
    assert members["bo.chen@example.org"].user_id == bo.id
    assert members["bo.chen@example.org"].source == "import"
    assert members["ana.lima@example.org"].source == "invite"  # left as it was
    db.session.refresh(bo)
    assert bo.name == "Bo (own profile)"  # an import never overwrites someone's profile
    eve = db.session.scalar(select(User).where(User.email == "eve@example.org"))
    assert eve.name == 'HYPERLINK("http://evil.example","click")'
    assert eve.session_token and eve.feed_token and eve.password_hash is None

    again = mi.import_csv(group, data("slack_members.csv"))
    db.session.commit()
    assert (again.added, again.already_members, again.accounts_created) == (0, 4, 0)
    assert count(Membership, Membership.group_id == group.id) == 5
    assert count(User) == 5
    # One welcome per person the first import added (Bo, Eve, Fay), none for the re-import.
    assert count(OutboxMessage) == 3
    assert count(OutboxMessage, OutboxMessage.list_kind == "welcome") == 3


def test_ten_thousand_rows_import_with_set_based_queries(app):
    group = make_group(make_user())
    existing = make_user("person00042@example.org")
    lines = ["username,email,status,billing-active,has-2fa,has-sso,userid,fullname,displayname"]
    lines += [
        f"p{n},Person{n:05}@Example.org,Member,1,0,0,U{n},Person {n},p{n}" for n in range(10_000)
    ]
    lines += ["dup,person00001@example.org,Member,1,0,0,UX,Dup,dup", "none,,Member,1,0,0,UY,No,no"]
    content = "\n".join(lines).encode()
    group_id = group.id

    with count_queries(cold=False) as queries:
        result = mi.import_csv(group, content)
        db.session.commit()
    assert (result.added, result.accounts_created) == (10_000, 9_999)
    assert result.skipped["duplicate"] == 1 and result.skipped["no_email"] == 1
    assert len(queries) < 90  # about 8 per 1,000 rows, not one per row
    assert count(Membership, Membership.group_id == group_id) == 10_001
    assert count(Membership, Membership.user_id == existing.id) == 1
    # Rows made in bulk (COPY on PostgreSQL) are whole: model defaults, JSON, times.
    person = db.session.scalar(select(User).where(User.email == "person00007@example.org"))
    assert (person.name, person.interests, person.looking_intents) == ("Person 7", [], [])
    assert person.wants_intros and person.max_intros == 3 and person.created_at is not None
    member = db.session.scalar(select(Membership).where(Membership.user_id == person.id))
    assert (member.role, member.source, member.mail_announcements) == ("member", "import", True)
    welcome = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == person.email))
    assert welcome.notice["type"] == "welcome" and welcome.notice["user_id"] == person.id
    assert (welcome.status, welcome.attempts, welcome.list_kind) == ("queued", 0, "welcome")
    assert count(OutboxMessage) == 10_000

    again = mi.import_csv(db.session.get(type(group), group_id), content)
    db.session.commit()
    assert (again.added, again.already_members) == (0, 10_000)
    assert count(User) == 10_001
    assert count(OutboxMessage) == 10_000  # no second welcome


def test_demo_sample_imports_in_one_go(app):
    group = make_group(make_user())
    result = mi.import_csv_file(group, SLACK_CSV)  # its one guest isn't chosen by default
    assert (result.added, result.skipped["guest"]) == (29, 1)
    result = mi.import_csv_file(group, SLACK_CSV, guests=True)  # as the demo does
    db.session.commit()
    assert (result.added, result.already_members) == (1, 29)
    assert result.skipped["deactivated"] == 1
    headlines = db.session.scalars(
        select(User.headline).join(Membership).where(Membership.group_id == group.id)
    ).all()
    assert len({h for h in headlines if h}) == 30


# ---------------------------------------------------------------- the pages


def test_upload_preview_import_without_javascript(organizer_client, import_dir):
    client, group = organizer_client
    add_member(group, make_user("ana.lima@example.org"))
    resp = upload(client, group, "slack_members.csv")
    assert resp.status_code == 302
    token = token_of(resp)
    assert (import_dir / f"{token}.csv").exists()

    page = client.get(f"/g/{group.slug}/import/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    counts = re.findall(r"<strong>(\d+)</strong><span>([^<]+)</span>", html)
    assert counts == [("3", "will be added"), ("1", "already members"), ("4", "skipped")]
    assert "Row 5 (Dee Broken): invalid email" in html
    assert "Row 6 (Bo Chen (again)): duplicate in the file" in html
    assert "Row 9 (Gus Gone): deactivated account" in html
    assert "Bo Chen" in html
    assert count(Membership) == 2  # the preview writes nothing

    resp = client.post(
        f"/g/{group.slug}/import/{token}", data={"email": "1", "name": "7", "status": "2"}
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/g/{group.slug}/members"
    assert count(Membership, Membership.group_id == group.id) == 5
    assert count(Membership, Membership.source == "import") == 3
    assert not list(import_dir.iterdir())  # the upload is gone
    members = client.get(f"/g/{group.slug}/members").get_data(as_text=True)
    assert "Import finished: 3 added, 1 already members, 4 rows skipped" in members
    # The same token can't run twice.
    assert client.post(f"/g/{group.slug}/import/{token}", data={"email": "1"}).status_code == 410


def test_a_large_import_leaves_postgresql_fresh_statistics(organizer_client, import_dir):
    """After thousands of new members the planner must know it: with autovacuum off or a
    minute away, the member list's pages were sorted on disk (90 ms instead of 10)."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite keeps no planner statistics")
    client, group = organizer_client
    lines = ["email,name"] + [f"big{n}@example.org,Big {n}" for n in range(mi.ANALYZE_FROM)]
    token = token_of(upload(client, group, "big.csv", "\n".join(lines).encode()))
    resp = client.post(f"/g/{group.slug}/import/{token}", data={"email": "0", "name": "1"})
    assert resp.status_code == 302
    tuples = db.session.execute(
        text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('memberships', 'users')")
    ).all()
    assert {name: n >= mi.ANALYZE_FROM for name, n in tuples} == {
        "memberships": True,
        "users": True,
    }


def test_chunked_import_answers_progress_as_json(organizer_client, import_dir, monkeypatch):
    from meetup.views.community import member_import as group_import

    monkeypatch.setattr(group_import, "CHUNK_ROWS", 2)
    client, group = organizer_client
    token = token_of(upload(client, group, "slack_members.csv"))
    client.get(f"/g/{group.slug}/import/{token}")
    form = {"email": "1", "name": "7", "status": "2"}
    url = f"/g/{group.slug}/import/{token}"
    answers = []
    for offset in (0, 2):
        answers.append(client.post(url, data={**form, "offset": offset}).get_json())
    assert answers[0] == {"done": False, "processed": 2, "total": 4, "added": 2, "already": 0}
    assert answers[1]["done"] is True and answers[1]["added"] == 4
    assert answers[1]["redirect"] == f"/g/{group.slug}/members"
    assert count(Membership, Membership.source == "import") == 4
    assert not list(import_dir.iterdir())


def test_organizer_overrides_the_column_mapping(organizer_client, import_dir):
    client, group = organizer_client
    token = token_of(upload(client, group, "linkedin_connections.csv"))
    # Use the Position column as the name, just to see the override take effect.
    page = client.get(f"/g/{group.slug}/import/{token}?email=3&name=5&company=&headline=")
    html = page.get_data(as_text=True)
    assert "Rear Admiral" in html and "Grace Hopper" not in html
    bad = client.get(f"/g/{group.slug}/import/{token}?email=99")
    assert bad.status_code == 400
    assert client.get(f"/g/{group.slug}/import/{token}?email=&name=0").status_code == 400
    client.post(f"/g/{group.slug}/import/{token}", data={"email": "3", "first_name": "0"})
    names = db.session.scalars(select(User.name).where(User.email.like("%@example.org"))).all()
    assert "Grace" in names and "Katherine" in names


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("discord_no_email.csv", None, b"find a column of email addresses"),
        ("empty.csv", b"", b"That file is empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"read that file as a CSV"),
    ],
)
def test_bad_files_get_a_clear_400_and_nothing_is_written(
    organizer_client, import_dir, name, content, message
):
    client, group = organizer_client
    resp = upload(client, group, name, content)
    assert resp.status_code == 400
    assert message in resp.data
    assert count(Membership) == 1 and count(User) == 1
    assert not import_dir.exists() or not list(import_dir.iterdir())


def test_upload_without_a_file_is_400(organizer_client, import_dir):
    client, group = organizer_client
    resp = client.post(f"/g/{group.slug}/import", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert b"Choose a CSV file" in resp.data


def test_import_is_for_organizers_of_that_group_only(client, login, import_dir):
    org, member = make_user(), make_user()
    group = make_group(org)
    add_member(group, member)
    login(client, org)
    token = token_of(upload(client, group, "slack_members.csv"))

    login(client, member)
    assert upload(client, group, "slack_members.csv").status_code == 403
    assert client.get(f"/g/{group.slug}/import/{token}").status_code == 403
    assert client.post(f"/g/{group.slug}/import/{token}", data={"email": "1"}).status_code == 403

    other_org = make_user()
    other = make_group(other_org)
    login(client, other_org)
    # Another group's organizer can't use this group's upload through their own group.
    assert client.get(f"/g/{other.slug}/import/{token}").status_code == 410
    assert client.get(f"/g/{other.slug}/import/..%2F..%2Fetc%2Fpasswd").status_code in (404, 410)
    assert count(Membership, Membership.group_id == group.id) == 2


def test_upload_of_a_deleted_group_is_gone(client, login, import_dir):
    org = make_user()
    group = make_group(org, name="Gone")
    login(client, org)
    token = token_of(upload(client, group, "slack_members.csv"))
    client.post(f"/g/{group.slug}/delete", data={"confirm_name": "Gone"})
    assert client.get(f"/g/{group.slug}/import/{token}").status_code == 404


def test_too_large_or_too_long_files_are_refused(organizer_client, import_dir, app, monkeypatch):
    client, group = organizer_client
    app.config["MAX_CONTENT_LENGTH"] = 2_000
    resp = upload(client, group, "big.csv", b"email\n" + b"x@example.org\n" * 500)
    assert resp.status_code == 413
    assert b"too large" in resp.data

    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    monkeypatch.setattr(mi, "MAX_ROWS", 5)
    resp = upload(client, group, "long.csv", b"email\n" + b"x@example.org\n" * 6)
    assert resp.status_code == 400
    assert b"Split it" in resp.data
    assert count(User) == 1 and (not import_dir.exists() or not list(import_dir.iterdir()))


# ---------------------------------------------------------------- bots, guests, short rows

SLACK_HEADER = "username,email,status,billing-active,has-2fa,has-sso,userid,fullname,displayname"
MIXED = "\n".join(
    [
        SLACK_HEADER,
        "ana,ana@example.org,Member,1,0,0,U1,Ana Lima,ana",
        "slackbot,,Bot,0,0,0,USLACKBOT,Slackbot,slackbot",
        "standup,,Bot,0,0,0,U2,Standup Bot,standup",
        "gil,gil@example.org,Single-Channel Guest,0,0,0,U3,Gil Guest,gil",
        "hal,hal@example.org,Multi-Channel Guest,0,0,0,U4,Hal Guest,hal",
        "short,short@example.org",
        "gus,gus@example.org,Deactivated,0,0,0,U5,Gus Gone,gus",
        "ivy,ivy@example.org,Deactivated,0,0,0,U6,Ivy Gone,ivy",
    ]
).encode()


def test_bots_guests_and_short_rows_are_told_apart(app):
    table = mi.read_csv(MIXED)
    plan = mi.plan(table, mi.detect_mapping(table))
    assert [p.email for p in plan.people] == ["ana@example.org"]
    assert [(s.line, s.reason, s.name) for s in plan.skipped] == [
        (3, "bot", "Slackbot"),
        (4, "bot", "Standup Bot"),
        (5, "guest", "Gil Guest"),
        (6, "guest", "Hal Guest"),
        (7, "too_few_columns", ""),  # not a member named "short"
        (8, "deactivated", "Gus Gone"),
        (9, "deactivated", "Ivy Gone"),
    ]
    assert plan.guests == 2
    chosen = mi.mapping_from(table, {**mi.detect_mapping(table).as_dict(), "guests": "y"})
    plan = mi.plan(table, chosen)
    assert [p.email for p in plan.people] == [
        "ana@example.org",
        "gil@example.org",
        "hal@example.org",
    ]


def test_the_preview_names_skipped_rows_with_plurals_and_guests_are_a_choice(
    organizer_client, import_dir
):
    client, group = organizer_client
    token = token_of(upload(client, group, "slack.csv", MIXED))
    html = client.get(f"/g/{group.slug}/import/{token}").get_data(as_text=True)
    assert "Skipped: 2 deactivated accounts, 2 bots, 2 guests, 1 row with too few columns." in html
    assert "Row 3 (Slackbot): bot" in html and "Row 4 (Standup Bot): bot" in html
    assert "Row 7: too few columns" in html
    assert "Also import the 2 guests" in html
    chosen = client.get(f"/g/{group.slug}/import/{token}?email=1&name=7&status=2&guests=y")
    html = chosen.get_data(as_text=True)
    assert re.search(r"<strong>3</strong><span>will be added", html)
    assert 'name="guests" value="y"' in html  # carried to the import
    resp = client.post(
        f"/g/{group.slug}/import/{token}",
        data={"email": "1", "name": "7", "status": "2", "guests": "y"},
    )
    assert resp.status_code == 302
    emails = set(members_of(group))
    assert {"gil@example.org", "hal@example.org"} <= emails
    assert "short@example.org" not in emails
    members = client.get(f"/g/{group.slug}/members").get_data(as_text=True)
    assert "Import finished: 3 added, 0 already members, 5 rows skipped" in members

"""The factory, configuration, security headers, error pages and the schema."""

import os
import re
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from meetup import ROOT, create_app
from meetup.extensions import db


def test_home_page_renders(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert b"Meetup" in resp.data


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_page_is_a_friendly_404(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404
    assert b"Not found" in resp.data
    assert b"Go to the home page" in resp.data


def test_unknown_page_answers_json_to_json_clients(client):
    resp = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "not_found"


def test_config_from_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MEETUP_BASE_URL", "https://meet.example.org")
    monkeypatch.setenv("MEETUP_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("MEETUP_SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["BASE_URL"] == "https://meet.example.org"
    assert app.config["SECRET_KEY"] == "from-env"


def test_the_entry_point_keeps_the_loaded_app_out_of_full_collections(tmp_path):
    """gunicorn and flask import app.py: what it loads is frozen, and no garbage with it."""
    code = "import gc, app; print(gc.get_freeze_count(), gc.collect())"
    env = {
        **os.environ,
        "MEETUP_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
        "MEETUP_SECRET_KEY": "entry-point-test",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, garbage = int(out[0]), int(out[1])
    assert frozen > 50_000  # Flask, SQLAlchemy, the models, the routes...
    assert garbage < 100  # a full pass after the freeze finds next to no garbage


def test_secret_key_generated_into_instance_once(monkeypatch, tmp_path):
    from meetup.config import load_secret_key

    first = load_secret_key(tmp_path)
    assert len(bytes.fromhex(first)) == 32
    assert load_secret_key(tmp_path) == first
    assert (Path(tmp_path) / "secret_key").stat().st_mode & 0o077 == 0


def test_migrations_match_models(app):
    """The Alembic revisions build exactly the tables the models describe."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_every_id_in_a_url_is_a_row_id_and_a_number_too_big_is_a_404(app, login):
    """Ids in URLs are INTEGER primary keys: 2**31 names no row and must be a 404, not a
    driver error (a 500 on SQLite and PostgreSQL alike)."""
    from werkzeug.routing import IntegerConverter

    from meetup.urls import MAX_ID, RowId
    from tests.factories import make_event, make_group, make_user

    organizer = make_user()
    group = make_group(organizer)
    event = make_event(group)
    db.session.commit()
    client = login(app.test_client(), organizer)
    checked = 0
    for rule in app.url_map.iter_rules():
        ids = [
            name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)
        ]
        assert all(isinstance(rule._converters[name], RowId) for name in ids), rule.rule
        if not ids:
            continue
        values = {"event_key": event.key, "group_slug": group.slug}
        for too_big in (MAX_ID + 1, 2**70, 0):
            url = rule.rule
            for name in rule.arguments:
                value = too_big if name in ids else values[name]
                url = url.replace(f"<id:{name}>", str(value)).replace(f"<{name}>", str(value))
            resp = client.post(url) if "POST" in rule.methods else client.get(url)
            assert resp.status_code == 404, (url, resp.status_code)
            checked += 1
    assert checked >= 9 * 3


def test_pages_link_an_icon_that_draws(client):
    """Phones show it in tabs and bookmarks; without one, browsers ask for /favicon.ico
    on every page and get a 404."""

    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert href, "no icon link in the page's head"
    icon = client.get(href.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    png = subprocess.run(
        ["rsvg-convert", "-w", "64"], input=icon.data, capture_output=True, check=True
    ).stdout
    assert png.startswith(b"\x89PNG")

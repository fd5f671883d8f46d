"""Fixtures: a fresh app per test on SQLite (default) or PostgreSQL (MEETUP_TEST_DATABASE_URL).

The schema is built once per run by the real Alembic migrations, then every table is emptied
after each test. Pages are fetched with `client`; `login(client, user)` signs a user in.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import g
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from meetup import create_app, database
from meetup.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("MEETUP_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / 'test.db'}"  # tmp_root is each xdist worker's own
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # run in parallel (pytest -n): a database of its own per worker, made here
        return _own_database(url, f"{url.rsplit('/', 1)[1]}_{worker}")
    return url


def _own_database(url: str, name: str) -> str:
    import psycopg

    admin = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"


def _config(url: str, tmp_root: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,  # tests of CSRF switch it back on
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://localhost",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(tmp_root / "mail"),
        **extra,
    }


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("meetup")


@pytest.fixture(scope="session")
def database_url(tmp_root) -> str:
    url = _database_url(tmp_root)
    app = create_app(_config(url, tmp_root))
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()  # the real migrations, so they are tested on both databases
        db.engine.dispose()
    return url


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            return
        # TRUNCATE costs ~40 ms whatever the tables hold (new files for each table and index);
        # most tests leave a few rows, which DELETE removes in ~2 ms. A test that wrote
        # thousands of rows still gets TRUNCATE, so no table keeps their dead rows.
        rows = " UNION ALL ".join(
            f"SELECT '{name}', (SELECT count(*) FROM (SELECT FROM {name} LIMIT 500) AS s)"
            for name in tables
        )
        used = {name: n for name, n in conn.execute(text(rows)) if n}
        if any(n >= 500 for n in used.values()):
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        for name in tables:  # children before parents
            if name in used:
                conn.execute(text(f"DELETE FROM {name}"))
        conn.execute(text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))


@pytest.fixture
def make_app(database_url, tmp_root):
    """Build an app with extra config; the schema is shared and emptied after the test."""
    apps = []

    def _make(**extra):
        app = create_app(_config(database_url, tmp_root, **extra))

        @app.teardown_request
        def _forget_user(_exc):
            # Test requests share the test's app context (and so `g`): without this, the
            # user Flask-Login loaded for one request would answer for the next one.
            g.pop("_login_user", None)

        apps.append(app)
        return app

    yield _make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if apps:
        with apps[0].app_context():
            _empty_tables()
            db.engine.dispose()
    shutil.rmtree(tmp_root / "mail", ignore_errors=True)


@pytest.fixture
def app(make_app):
    app = make_app()

    @app.teardown_request
    def _forget_current_user(_exc) -> None:
        # Requests share the test's app context (and so `g`): without this, Flask-Login's
        # cached user would carry over from one request to the next; Flask-Babel's locale too.
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)

    with app.app_context():
        # Test code reads without taking SQLite's write lock, so a live server can write.
        token = database.set_write_intent(False)
        yield app
        database.reset_write_intent(token)
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login():
    """login(client, user): sign `user` in on `client` as Flask-Login would."""

    def _login(client, user):
        # Flask-Login caches the user on `g`, which requests share with the test's app context.
        g.pop("_login_user", None)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return _login


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


# ------------------------------------------------------------------ real servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What a real SMTP server on 127.0.0.1 received, parsed with the stdlib."""

    def __init__(self) -> None:
        self.envelopes = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self):
        with self.lock:
            return [
                email.message_from_bytes(e.content, policy=email.policy.default)
                for e in self.envelopes
            ]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd). Yields (port, inbox)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_app(make_app, smtp_server):
    """An app that sends its mail to the real SMTP server. Yields (app, inbox)."""
    port, inbox = smtp_server
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        yield app, inbox


@contextmanager
def serve(app):
    """`app` over HTTP on 127.0.0.1 from a thread (BASE_URL follows). Yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """The app served over HTTP on 127.0.0.1 from a thread. Yields the base URL."""
    with serve(app) as base:
        yield base


# ------------------------------------------------------------------ the browser


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    }

"""Defaults that need no setup; every key can be overridden with a MEETUP_ environment variable.

`MEETUP_SQLALCHEMY_DATABASE_URI=postgresql+psycopg://...` switches the database,
`MEETUP_MAIL_SERVER=smtp.example.org` switches mail delivery from files to SMTP, and so on.
"""

import secrets
from pathlib import Path


class Defaults:
    # Filled in by load_secret_key() when not given, so a fresh checkout needs no setup.
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: SQLite file in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BASE_URL = "http://127.0.0.1:5000"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (docs/production.md)
    # Only door-link sessions are permanent, and the link itself ends with its event: no need
    # to re-sign and resend the cookie on every scan.
    SESSION_REFRESH_EACH_REQUEST = False
    # Every other cookie (remember-me, anything set later) gets the session cookie's flags:
    # meetup/cookies.py.
    FORCE_HTTPS = False
    # Reverse proxies in front of the app (nginx, Caddy: 1). Their X-Forwarded-For, -Proto and
    # -Host are believed, so rate limits count people rather than the proxy. 0 believes none:
    # without a proxy anyone could send those headers.
    TRUSTED_PROXIES = 0

    # A door page may stay open for hours and sync its queue later: the CSRF token must
    # live as long as the session rather than Flask-WTF's default hour.
    WTF_CSRF_TIME_LIMIT = None
    # WTForms' own messages come in the page's language from forms/base.py, which reads each
    # catalogue once; Flask-WTF's own way would re-read it from disk on every request.
    WTF_I18N_ENABLED = False

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Sign-in attempts and emailed links, per client address and per email address.
    RATELIMIT_SIGN_IN_PER_IP = "10 per minute; 100 per hour"
    RATELIMIT_SIGN_IN_PER_EMAIL = "10 per 15 minutes"  # failed password attempts
    RATELIMIT_LINK_PER_IP = "10 per minute; 50 per hour"
    RATELIMIT_LINK_PER_EMAIL = "3 per 10 minutes; 10 per day"  # no mail-bombing an inbox

    MAGIC_LINK_MINUTES = 15
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # CSV imports
    IMPORT_DIR: str | None = None  # CSVs between import preview and import (instance/imports)

    # Mail. "file" prints each message and keeps it as an .eml under instance/mail/;
    # "smtp" delivers through MAIL_SERVER.
    MAIL_BACKEND = "file"
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = "Meetup <meetup@localhost>"
    # The SMTP server delivers to addresses with other than ASCII before the @ (SMTPUTF8).
    # Off: such addresses are refused where they are typed, with a message saying why.
    MAIL_SMTPUTF8 = False
    MAIL_FILE_DIR: str | None = None  # default: instance/mail
    MAIL_MAX_ATTEMPTS = 8  # permanent (5xx) failures: marked failed after this many attempts
    MAIL_GIVE_UP_HOURS = 48  # temporary failures (outage, 4xx): retried for this long
    MAIL_RETRY_BASE_SECONDS = 30  # backoff: base * 2**(attempts-1), capped, with jitter
    MAIL_RETRY_MAX_SECONDS = 3600
    MAIL_LEASE_SECONDS = 300  # a row "sending" for longer (worker crashed) is claimed again
    MAIL_BATCH_SIZE = 50
    WORKER_POLL_SECONDS = 2.0
    WORKER_PASS_SECONDS = 2.0  # delivery per pass before the jobs run again

    # Slack and Discord posts (services/channels/delivery.py): retried with backoff when the
    # platform surely didn't take them, up to this many attempts.
    WEBHOOK_MAX_ATTEMPTS = 8
    WEBHOOK_RETRY_BASE_SECONDS = 30
    WEBHOOK_RETRY_MAX_SECONDS = 3600
    # Test-only: webhook URLs on this local origin ("http://127.0.0.1:<port>") are accepted
    # too, so tests can check the payloads; honoured only when TESTING is on.
    TESTING_WEBHOOK_ORIGIN: str | None = None

    # Test-only switch: skip the capacity lock, to prove the concurrency tests see the race.
    TESTING_SKIP_LOCKS = False
    # Test-only switch: claim outbox rows without FOR UPDATE SKIP LOCKED (negative control).
    TESTING_OUTBOX_NO_CLAIM_LOCK = False


def load_secret_key(instance_path: Path) -> str:
    """Read instance/secret_key, creating it with 256 random bits on first start."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key

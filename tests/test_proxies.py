"""Behind a reverse proxy: the client's own address comes from headers only a trusted proxy
sets, so rate limits count people, not the proxy."""

import pytest

from meetup import create_app


def _ask_for_links(app, prefix: str, addresses: list[str]) -> list[int]:
    """Sign-in link requests through one proxy (same REMOTE_ADDR), one per forwarded address."""
    client = app.test_client()
    return [
        client.post(
            "/login/link",
            data={"email": f"{prefix}{i}@example.org"},
            headers={"X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        ).status_code
        for i, address in enumerate(addresses)
    ]


def test_behind_a_trusted_proxy_each_person_has_their_own_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1)
    with app.app_context():
        # Twelve people ask for a link at once: the per-address limit (10 a minute) is theirs.
        assert _ask_for_links(app, "a", [f"203.0.113.{i}" for i in range(12)]) == [200] * 12
        # One person asking again and again is still cut off.
        codes = _ask_for_links(app, "b", ["198.51.100.7"] * 11)
        assert codes == [200] * 10 + [429]


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(make_app):
    app = make_app(RATELIMIT_ENABLED=True)  # TRUSTED_PROXIES = 0, the default
    with app.app_context():
        # A client can't dodge the limit by making up X-Forwarded-For.
        codes = _ask_for_links(app, "c", [f"203.0.113.{i}" for i in range(11)])
        assert codes == [200] * 10 + [429]


def test_the_forwarded_scheme_and_host_are_believed_from_a_trusted_proxy(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    seen = {}

    @app.get("/_whoami")
    def whoami():
        from flask import request

        seen.update(addr=request.remote_addr, secure=request.is_secure, host=request.host)
        return "ok"

    headers = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "meetup.example.org",
    }
    assert app.test_client().get("/_whoami", headers=headers).status_code == 200
    assert seen == {"addr": "203.0.113.9", "secure": True, "host": "meetup.example.org"}


@pytest.mark.parametrize("value", ["yes", -1, 1.5, True])
def test_a_trusted_proxies_setting_that_is_not_a_count_stops_the_start(value, database_url):
    with pytest.raises(ValueError, match="MEETUP_TRUSTED_PROXIES"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": value})

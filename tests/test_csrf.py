"""Every POST route refuses a request without a CSRF token; this covers routes as they land."""

from __future__ import annotations

from werkzeug.routing import Rule

from meetup.extensions import csrf
from tests.factories import csrf_in, make_user


def _exempt(app, rule: Rule) -> bool:
    blueprint = rule.endpoint.rpartition(".")[0]
    view = app.view_functions[rule.endpoint]
    return app.blueprints.get(blueprint) in csrf._exempt_blueprints or (
        f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    )


def _path(rule: Rule) -> str:
    """A URL for the rule. "1" suits string and integer arguments alike; the CSRF check comes
    before any look-up, so the objects need not exist."""
    return rule.build(dict.fromkeys(rule.arguments, "1"), append_unknown=False)[1]


def post_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "POST" in r.methods]


def test_every_post_route_needs_a_csrf_token(csrf_on, client, login):
    login(client, make_user())  # signed in, so login-required routes reach the check too
    checked = []
    for rule in post_rules(csrf_on):
        if _exempt(csrf_on, rule):
            continue
        path = _path(rule)
        resp = client.post(path, data={"email": "ana@example.org"})
        assert resp.status_code == 400, f"{rule.endpoint} {path} answered {resp.status_code}"
        assert b"Your form expired" in resp.data, rule.endpoint
        json = client.post(path, json={"token": "x"}, headers={"Accept": "application/json"})
        assert json.status_code == 400 and json.get_json()["error"] == "csrf", rule.endpoint
        checked.append(rule.endpoint)
    assert {"auth.login_password", "auth.request_link", "auth.logout"} <= set(checked)


def test_only_the_benchmark_endpoints_are_exempt(make_app):
    """And the one-click unsubscribe: RFC 8058 has mail providers POST to it with no token
    of ours; the signed per-person token in its URL authenticates it
    (tests/test_mail_group_consent.py)."""
    app = make_app(BENCH_ENDPOINTS=True, WTF_CSRF_ENABLED=True)
    try:
        exempt = {r.endpoint for r in post_rules(app) if _exempt(app, r)}
        assert exempt == {"bench.insert", "group_mail.unsubscribe_post"}
    finally:
        from sqlalchemy import text

        from meetup.extensions import db

        with app.app_context():
            db.session.execute(text("DROP TABLE IF EXISTS bench_ping"))
            db.session.commit()


def test_a_valid_token_is_accepted(csrf_on, client):
    html = client.get("/login").get_data(as_text=True)
    token = csrf_in(html)
    resp = client.post("/login/link", data={"email": "ana@example.org", "csrf_token": token})
    assert resp.status_code == 200


def test_the_header_token_works_for_json_posts(csrf_on, client, login):
    """Our scripts send X-CSRFToken; sign-out accepts it like any POST."""
    login(client, make_user())
    html = client.get("/").get_data(as_text=True)
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302

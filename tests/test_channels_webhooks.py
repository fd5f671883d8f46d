"""Slack and Discord: only the platforms' webhook URLs are accepted; posting an event, its
updates, its cancellation and its recap send each platform's own payload, checked here
against the documented shapes and limits by a local HTTP server; delivery retries what surely
didn't arrive and never posts twice."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import IntroPair, utcnow
from meetup.models.channels import Webhook, WebhookPost
from meetup.services.channels import delivery, posts, webhooks
from meetup.services.errors import DomainError
from meetup.services.events import editing
from tests.conftest import free_port
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user

SLACK_PATH = "/services/T000/B000/abcdefghijkl"
DISCORD_PATH = "/api/webhooks/123456789/tok_en-XYZ"


class Platform(BaseHTTPRequestHandler):
    """Answers as Slack (200 "ok") or Discord (204), or as scripted; records what came."""

    def do_POST(self):  # noqa: N802
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with server.lock:
            server.received.append((self.path, json.loads(body), dict(self.headers)))
            code, headers, text, delay = (
                server.script.pop(0) if server.script else (None, {}, b"", 0)
            )
        if delay:
            time.sleep(delay)
        if code is None:
            code, text = (200, b"ok") if self.path.startswith("/services/") else (204, b"")
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


@pytest.fixture
def platform():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Platform)
    server.received, server.script, server.lock = [], [], threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app(make_app, platform):
    app = make_app(TESTING_WEBHOOK_ORIGIN=platform.origin)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def org(app):
    return make_user(name="Olga")


@pytest.fixture
def group(org):
    return make_group(org, name="Rust Paris")


@pytest.fixture
def hooks(group, org, platform):
    slack = webhooks.add(group, org, platform.origin + SLACK_PATH, "slack-general")
    discord = webhooks.add(group, org, platform.origin + DISCORD_PATH, "Discord #events")
    db.session.commit()
    return slack, discord


# ------------------------------------------------------------------ documented shapes


def check_slack(payload: dict) -> None:
    assert set(payload) == {"text", "blocks"} and isinstance(payload["text"], str)
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        elif kind == "section":
            if "text" in block:
                assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000
            if "fields" in block:
                assert 1 <= len(block["fields"]) <= 10
                assert all(len(f["text"]) <= 2000 for f in block["fields"])
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for button in block["elements"]:
                assert button["type"] == "button" and len(button["text"]["text"]) <= 75
                assert len(button["url"]) <= 3000
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
        else:
            raise AssertionError(kind)


def check_discord(payload: dict) -> None:
    assert payload["allowed_mentions"] == {"parse": []}
    assert len(payload["content"]) <= 2000
    assert 1 <= len(payload["embeds"]) <= 10
    total = 0
    for embed in payload["embeds"]:
        assert len(embed["title"]) <= 256 and len(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", [])) <= 25
        for f in embed.get("fields", []):
            assert 1 <= len(f["name"]) <= 256 and 1 <= len(f["value"]) <= 1024
        assert len(embed["footer"]["text"]) <= 2048
        total += len(embed["title"]) + len(embed.get("description", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        total += len(embed["footer"]["text"])
    assert total <= 6000


def _received(platform, kind_path):
    return [body for path, body, _ in platform.received if path.startswith(kind_path)]


# ------------------------------------------------------------------ accepted URLs


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXX",
        "https://discord.com/api/webhooks/1234567890/abc_DEF-123",
        "https://discordapp.com/api/webhooks/1234567890/abc",
    ],
)
def test_the_platforms_webhook_urls_are_accepted(app, url):
    assert webhooks.target(url).host in url


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/services/T0001/B0001/XXXX",  # not https
        "https://hooks.slack.com.evil.org/services/T0001/B0001/XXXX",
        "https://evil.org/api/webhooks/1/abc",
        "https://hooks.slack.com/api/webhooks/1/abc",  # Discord's path on Slack's host
        "https://discord.com/services/T0001/B0001/XXXX",
        "https://user:pw@hooks.slack.com/services/T0001/B0001/XXXX",
        "https://hooks.slack.com:8443/services/T0001/B0001/XXXX",
        "https://discord.com/api/webhooks/1/abc?wait=true",
        "https://discord.com/api/webhooks/1/abc/../../../users",
        "https://HOOKS.slack.com/services/T0001/B0001/XXXX",
        "https://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:1/services/T/B/X",  # a local address other than the test origin
        "javascript:alert(1)",
        "",
        "https://hooks.slack.com/services/T0001/B0001/" + "X" * 600,
    ],
)
def test_anything_else_is_refused(app, url):
    with pytest.raises(DomainError) as err:
        webhooks.target(url)
    assert err.value.code == "webhook_url_refused"


def test_the_local_origin_is_for_tests_only(app, platform):
    assert webhooks.target(platform.origin + SLACK_PATH).platform == "slack"
    app.config["TESTING"] = False
    with pytest.raises(DomainError):
        webhooks.target(platform.origin + SLACK_PATH)


def test_organizers_add_and_remove_channels(client, login, org, group):
    login(client, org)
    bad = client.post(
        f"/g/{group.slug}/webhooks",
        data={"url": "https://example.org/hook", "channel": "general"},
    )
    assert bad.status_code == 400 and "https://hooks.slack.com/services/" in bad.get_data(True)
    good = client.post(
        f"/g/{group.slug}/webhooks",
        data={
            "url": "https://hooks.slack.com/services/T0001/B0001/SECRETSECRETSECRET",
            "channel": "Slack #general",
        },
    )
    assert good.status_code == 302
    hook = db.session.scalar(select(Webhook))
    assert (hook.platform, hook.channel) == ("slack", "slack-general")
    page = client.get(f"/g/{group.slug}/webhooks").get_data(as_text=True)
    assert "slack-general" in page and "SECRETSECRETSECRET" not in page  # the token stays hidden
    intruder = make_user()
    add_member(group, intruder)
    login(client, intruder)
    assert client.get(f"/g/{group.slug}/webhooks").status_code == 403
    assert client.post(f"/g/{group.slug}/webhooks/{hook.id}/remove").status_code == 403
    login(client, org)
    assert client.post(f"/g/{group.slug}/webhooks/{hook.id}/remove").status_code == 302
    assert db.session.scalar(select(Webhook)) is None


# ------------------------------------------------------------------ posting


def test_an_event_posted_to_slack_and_discord(client, login, org, group, hooks, platform):
    title = "Rust & <Coffee> @everyone " + "very long title " * 12
    event = make_event(group, title=title[:200], capacity=30, timezone="Europe/Paris")
    make_rsvp(event, make_user())
    login(client, org)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Post this event to:" in page
    resp = client.post(f"/e/{event.key}/post", data={"webhook": [str(h.id) for h in hooks]})
    assert resp.status_code == 302
    client.post(f"/e/{event.key}/post", data={"webhook": [str(h.id) for h in hooks]})
    assert db.session.query(WebhookPost).count() == 2  # posted once per channel
    report = delivery.deliver_due()
    assert report.sent == 2
    [slack] = _received(platform, "/services/")
    [discord] = _received(platform, "/api/webhooks/")
    check_slack(slack)
    check_discord(discord)
    header = slack["blocks"][0]["text"]["text"]
    assert header.startswith("Rust & <Coffee>") and header.endswith("…") and len(header) == 150
    fields = " ".join(f["text"] for f in slack["blocks"][1]["fields"])
    assert "&lt;" not in header and "The Loft" in fields and "29 seats left" in fields
    assert "CET" in fields or "CEST" in fields
    button = slack["blocks"][2]["elements"][0]
    assert button["url"] == f"http://localhost/e/{event.key}?via=slack-general"
    embed = discord["embeds"][0]
    assert embed["url"] == f"http://localhost/e/{event.key}?via=discord-events"
    assert embed["timestamp"].startswith(event.starts_at.isoformat()[:16])
    assert {f["name"] for f in embed["fields"]} == {"When", "Where", "Seats"}


def test_updates_and_cancellations_follow(org, group, hooks, platform):
    event = make_event(group, capacity=None)
    posts.post_event(event, org)
    db.session.commit()
    delivery.deliver_due()
    data = editing.EventInput(
        title="Moved to Thursday",
        timezone=event.timezone,
        starts_local=(event.starts_at + timedelta(days=1)).replace(tzinfo=None),
        ends_local=(event.ends_at + timedelta(days=1)).replace(tzinfo=None),
        venue_name=event.venue_name,
        venue_address=event.venue_address,
    )
    editing.update_event(event, org, data)
    db.session.commit()
    editing.cancel_event(event, org)
    editing.cancel_event(event, org)  # twice: one message
    db.session.commit()
    assert delivery.deliver_due().sent == 4
    slack = _received(platform, "/services/")
    discord = _received(platform, "/api/webhooks/")
    for body in slack:
        check_slack(body)
    for body in discord:
        check_discord(body)
    assert [b["blocks"][0]["text"]["text"] for b in slack] == [
        "Monthly meetup",
        "Updated: Moved to Thursday",
        "Cancelled: Moved to Thursday",
    ]
    assert "Open to all" in json.dumps(slack[0])
    assert discord[2]["embeds"][0]["description"] == "This event has been cancelled."
    with pytest.raises(DomainError):
        posts.post_event(event, org)  # a cancelled event isn't posted


def test_retries_what_surely_did_not_arrive_and_never_posts_twice(
    org, group, hooks, platform, monkeypatch
):
    slack_hook, discord_hook = hooks
    event = make_event(group)
    posts.post_event(event, org)
    db.session.commit()
    now = utcnow()
    # Slack: a 500, then a 429 asking for 7 seconds. Discord: no answer in time.
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.5)
    platform.script += [(500, {}, b"oops", 0), (None, {}, b"", 1.0)]
    report = delivery.deliver_due(now=now)
    assert (report.sent, report.retried, report.failed) == (0, 1, 1)
    rows = {p.webhook_id: p for p in db.session.scalars(select(WebhookPost))}
    unanswered = rows[discord_hook.id]
    assert unanswered.status == "failed" and "not re-sent" in unanswered.last_error
    assert rows[slack_hook.id].status == "queued" and rows[slack_hook.id].next_attempt_at > now
    platform.script += [(429, {"Retry-After": "7"}, b"rate_limited", 0)]
    later = rows[slack_hook.id].next_attempt_at
    assert delivery.deliver_due(now=later).retried == 1
    db.session.expire_all()
    post = db.session.get(WebhookPost, rows[slack_hook.id].id)
    assert post.next_attempt_at == later + timedelta(seconds=7) and post.attempts == 2
    assert delivery.deliver_due(now=post.next_attempt_at).sent == 1
    assert delivery.deliver_due(now=post.next_attempt_at + timedelta(days=1)).sent == 0
    time.sleep(1.0)  # the Discord server finishes its slow answer
    paths = [path for path, _, _ in platform.received]
    assert paths.count(DISCORD_PATH) == 1  # the unanswered post was not sent again
    assert paths.count(SLACK_PATH) == 3


def test_a_revoked_webhook_stops_posts(org, group, hooks, platform):
    slack_hook, _ = hooks
    platform.script += [(404, {}, b"no_service", 0)]
    event = make_event(group)
    posts.post_event(event, org, [slack_hook.id])
    db.session.commit()
    assert delivery.deliver_due().failed == 1
    db.session.expire_all()
    assert db.session.get(Webhook, slack_hook.id).disabled_at is not None
    assert posts.post_event(make_event(group), org, [slack_hook.id]) == 0


def test_a_crashed_send_is_not_repeated(org, group, hooks, platform):
    event = make_event(group)
    posts.post_event(event, org)
    db.session.commit()
    now = utcnow()
    claimed = delivery.claim(10, now)  # the worker dies with these in hand
    assert len(claimed) == 2
    assert delivery.deliver_due(now=now + timedelta(minutes=10)).sent == 0
    assert platform.received == []
    statuses = {p.status for p in db.session.scalars(select(WebhookPost))}
    assert statuses == {"failed"}


def test_the_recap_counts_and_names_no_one(org, group, hooks, platform):
    ended = utcnow() - timedelta(days=4)
    event = make_event(group, starts_at=ended - timedelta(hours=2), hours=2)
    people = [make_user(name=f"Secret Name {i}") for i in range(4)]
    for i, person in enumerate(people):
        make_rsvp(event, person, checked_in_at=ended if i < 3 else None)
    a, b, c = sorted(p.id for p in people[:3])
    db.session.add_all(
        [
            IntroPair(event_id=event.id, user_a_id=a, user_b_id=b, introduced_at=ended),
            IntroPair(event_id=event.id, user_a_id=a, user_b_id=c, introduced_at=ended),
            IntroPair(event_id=event.id, user_a_id=b, user_b_id=c),
        ]
    )
    for hook in hooks:
        db.session.add(
            WebhookPost(
                webhook_id=hook.id,
                event_id=event.id,
                kind="post",
                payload={},
                status="sent",
                dedupe_key=f"post:{event.id}:{hook.id}",
            )
        )
    db.session.commit()
    assert posts.queue_recaps(utcnow()) == 2
    db.session.commit()
    assert posts.queue_recaps(utcnow()) == 0
    assert delivery.deliver_due().sent == 2
    [slack] = _received(platform, "/services/")
    [discord] = _received(platform, "/api/webhooks/")
    check_slack(slack)
    check_discord(discord)
    for body in (slack, discord):
        text = json.dumps(body)
        assert "3 people came" in text and "2 introductions were made" in text
        assert "Secret Name" not in text

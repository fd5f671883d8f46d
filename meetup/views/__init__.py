"""One blueprint per module, each with a variable `bp`."""

from importlib import import_module

from flask import Flask

BLUEPRINTS = (
    "home",
    "channels.tracking",
    "accounts.auth",
    "accounts.profile",
    "community.groups",
    "community.invites",
    "community.members",
    "community.member_import",
    "calendar",
    "mail.outbox",
    "events.events",
    "events.series",
    "events.rsvp",
    "events.guests",
    "events.attendees",
    "events.approval",
    "events.questions",
    "events.announcements",
    "mail.attendee_email",
    "mail.group_mail",
    "door.tickets",
    "door.door",
    "door.offline",
    "intros",
    "insights.page",
    "insights.members",
    "insights.feedback",
    "channels.webhooks",
    "channels.link_card",
)


def register_blueprints(app: Flask) -> None:
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"{__name__}.{name}").bp)
    if app.config.get("BENCH_ENDPOINTS"):
        from . import bench

        app.register_blueprint(bench.bp)
        with app.app_context():
            bench.create_table()

"""Flask commands: `flask --app app <command>`."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import Flask, current_app
from werkzeug.serving import run_simple

from . import worker as background


def init_app(app: Flask) -> None:
    """Commands are added here as they are built (demo, worker, serve)."""
    app.cli.add_command(worker_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(demo_command)


def _configure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM/SIGINT: finish the message in hand, record it, exit 0. A second one: at once."""

    def _handler(signum: int, _frame: object) -> None:
        logging.getLogger("meetup.worker").info("stopping after the message in hand")
        stop.set()
        signal.signal(
            signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
        )

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass (jobs, then every message due), then exit.")
def worker_command(once: bool) -> None:
    """Deliver queued email and run scheduled jobs (reminders...) until stopped."""
    _configure_logging()
    stop = threading.Event()
    _stop_on_signals(stop)
    background.run(stop, once=once)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host: str, port: int) -> None:
    """Development: the web server plus the worker in a thread (emails print here)."""
    _configure_logging()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()

    def _work() -> None:
        with app.app_context():
            background.run(stop)

    thread = threading.Thread(target=_work, name="meetup-worker", daemon=True)
    thread.start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        stop.set()
        thread.join(timeout=10)


@click.command("demo")
def demo_command() -> None:
    """Load demo data (idempotent) and print what to open and how to sign in."""
    from . import demo
    from .extensions import db
    from .services.accounts import magic_links
    from .urls import absolute_url, event_url, ticket_url

    result = demo.seed()
    links = {
        email: magic_links.issue(email, payload={"next": "/"})
        for email in (demo.ORGANIZER_EMAIL, demo.MEMBER_EMAIL)
    }
    db.session.commit()
    views = current_app.view_functions

    def line(label: str, url: str) -> None:
        click.echo(f"  {label:<24} {url}")

    click.echo("Demo data is ready. Open:")
    line("Group page", absolute_url("groups.show", group_slug=result.group.slug))
    line("Upcoming event", event_url(result.upcoming.key))
    line("Past event", event_url(result.past.key))
    for label, endpoint in (
        ("RSVPs (organizer)", "attendees.index"),
        ("Door page (organizer)", "door.page"),
        ("Intros (organizer)", "intros.review"),
    ):
        if endpoint in views:
            event = result.past if endpoint == "intros.review" else result.upcoming
            line(label, absolute_url(endpoint, event_key=event.key))
    if "series.show" in views:
        line("Monthly series", absolute_url("series.show", series_key=result.series.key))
    if "approval.index" in views and result.approval_event is not None:
        line("Approval event", event_url(result.approval_event.key))
        line(
            "Its requests (organizer)",
            absolute_url("approval.index", event_key=result.approval_event.key),
        )
    ticket = result.ticket_rsvp
    if "tickets.show" in views and ticket is not None and ticket.ticket_token:
        line(f"Ticket of {result.member.display_name}", ticket_url(ticket.ticket_token))
        for guest in ticket.guests:  # named plus-ones: the guest's own ticket, and the host's page
            if guest.ticket_token:
                line(f"Ticket of {guest.name} (guest)", ticket_url(guest.ticket_token))
        if ticket.guests and "guests.index" in views:
            line(
                "Guests (as the member)",
                absolute_url("guests.index", event_key=result.upcoming.key),
            )
    click.echo("Sign in with these one-time links (valid 15 minutes; run demo again for new ones):")
    for role, email in (("organizer", demo.ORGANIZER_EMAIL), ("member", demo.MEMBER_EMAIL)):
        click.echo(f"  as the {role} ({email}):")
        click.echo(f"    {absolute_url('auth.magic_link', token=links[email])}")
    click.echo("Or sign in at /login with either address: `serve` prints the emailed link here.")

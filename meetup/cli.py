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

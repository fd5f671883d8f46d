"""Flask commands: `flask --app app <command>`."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Commands are added here as they are built (demo, worker, serve)."""

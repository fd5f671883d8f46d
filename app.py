"""Entry point for `gunicorn app:app` and `flask --app app ...`."""

from meetup import create_app

app = create_app()

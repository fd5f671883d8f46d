"""The ceiling the benchmarks compare against: one INSERT + COMMIT on the same server; and
each response's time in the server (a `Server-Timing` header: `app` the wall-clock time of
the request in the worker, `cpu` the worker's CPU time for it), so a benchmark on a busy
machine can tell the server's work from the wait for a core.

Registered only when MEETUP_BENCH_ENDPOINTS is true (bench/ scripts set it); never in
production. The table is created on first use and belongs to the benchmark's own database.
"""

import time

from flask import Blueprint, g
from sqlalchemy import text

from ..extensions import csrf, db
from ..models import utcnow

bp = Blueprint("bench", __name__, url_prefix="/_bench")
csrf.exempt(bp)

_CREATE = "CREATE TABLE IF NOT EXISTS bench_ping (id {pk}, at TIMESTAMP NOT NULL)"


@bp.before_app_request
def _start_clock() -> None:
    g.bench_clock = (time.perf_counter(), time.thread_time())


@bp.after_app_request
def _server_timing(response):
    started = g.get("bench_clock")
    if started is not None:
        wall = (time.perf_counter() - started[0]) * 1000
        cpu = (time.thread_time() - started[1]) * 1000
        response.headers["Server-Timing"] = f"app;dur={wall:.1f}, cpu;dur={cpu:.1f}"
    return response


@bp.post("/insert")
def insert():
    db.session.execute(text("INSERT INTO bench_ping (at) VALUES (:at)"), {"at": utcnow()})
    db.session.commit()
    return {"status": "ok"}


@bp.get("/ok")
def ok():
    return "ok"


def create_table() -> None:
    """Every worker calls this as it boots. On PostgreSQL two workers at once could both
    find the table missing and one failed on the type's unique name ("IF NOT EXISTS" isn't
    safe against a concurrent CREATE), which stopped the server: they take turns."""
    postgres = db.engine.dialect.name == "postgresql"
    pk = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    with db.engine.begin() as conn:
        if postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('bench_ping'))"))
        conn.execute(text(_CREATE.format(pk=pk)))

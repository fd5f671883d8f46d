"""The ceiling the benchmarks compare against: one INSERT + COMMIT on the same server.

Registered only when MEETUP_BENCH_ENDPOINTS is true (bench/ scripts set it); never in
production. The table is created on first use and belongs to the benchmark's own database.
"""

from flask import Blueprint
from sqlalchemy import text

from ..extensions import csrf, db
from ..models import utcnow

bp = Blueprint("bench", __name__, url_prefix="/_bench")
csrf.exempt(bp)

_CREATE = "CREATE TABLE IF NOT EXISTS bench_ping (id {pk}, at TIMESTAMP NOT NULL)"


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

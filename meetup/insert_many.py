"""Adding thousands of rows at once, skipping those that already exist.

`insert_new(table, rows)` is `INSERT ... ON CONFLICT DO NOTHING` for a list of rows. On SQLite
that is one prepared statement run for each row. On PostgreSQL, from a few hundred rows on, the
rows are streamed with COPY into a temporary table and moved over in one INSERT ... SELECT:
the driver no longer converts and sends each row as its own statement, and the server checks
the table's indexes in one pass (a 50,000-member import and its 50,000 welcomes were mostly
that). Either way, the caller's transaction holds the rows; nothing is committed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql
from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db

COPY_FROM = 200  # fewer rows: the plain statement is as quick, with no temporary table


def insert_new(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`; conflicting rows are skipped.
    Columns a row leaves out get their model default, as with an ORM insert."""
    if not rows:
        return
    conn = db.session.connection()
    if conn.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        db.session.execute(dialect.insert(table).on_conflict_do_nothing(), list(rows))
        return
    db.session.flush()  # what the ORM holds goes first, as db.session.execute() would do
    given = list(rows[0])
    defaulted = [c for c in table.columns if c.name not in rows[0] and _has_default(c)]
    columns = [table.columns[name] for name in given] + defaulted
    convert = [_to_driver(c, conn.dialect) for c in columns]
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    staging = sql.Identifier(f"staging_{table.name}")
    target = sql.Identifier(table.name)
    with conn.connection.driver_connection.cursor() as cur:
        # Same column types as the table, no constraints; gone at the end of the call.
        cur.execute(
            sql.SQL(
                "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA"
            ).format(staging, names, target)
        )
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, names)) as copy:
            for row in rows:
                values = [row[name] for name in given] + [_default(c) for c in defaulted]
                copy.write_row([f(v) if f else v for f, v in zip(convert, values, strict=True)])
        cur.execute(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT DO NOTHING").format(
                target, names, names, staging
            )
        )
        cur.execute(sql.SQL("DROP TABLE {}").format(staging))  # (a failure: the rollback does)


def _has_default(column: Column) -> bool:
    return column.default is not None and (column.default.is_scalar or column.default.is_callable)


def _default(column: Column) -> Any:
    default = column.default
    return default.arg if default.is_scalar else default.arg(None)


def _to_driver(column: Column, dialect):
    """What SQLAlchemy would do to the value before the driver sees it (JSON to text, the
    project's UTC datetimes, ...)."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def refresh_statistics(*tables: Table) -> None:
    """PostgreSQL: ANALYZE `tables` after thousands of rows were added at once. Its planner
    reads the statistics autovacuum keeps, which may be a minute away (or switched off): until
    then it takes a table of 50,000 new members for an empty one and sorts them on disk for
    each page of the member list (90 ms instead of 10). SQLite keeps none: nothing to do."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    names = sql.SQL(", ").join(sql.Identifier(t.name) for t in tables)
    with db.session.connection().connection.driver_connection.cursor() as cur:
        cur.execute(sql.SQL("ANALYZE {}").format(names))

"""Uploaded CSV files kept between the import preview and the import itself.

A file lives under IMPORT_DIR (default instance/imports/) as <token>.csv with a <token>.json
saying whose and for which group it is, plus, once previewed, the cleaned rows for the chosen
columns (so each chunk of a long import doesn't re-validate 10,000 addresses). Everything is
deleted when the import finishes; files abandoned for a day are swept on the next upload.
Several app servers need a shared IMPORT_DIR (or sticky sessions) for this to work.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

from flask import current_app

from ..errors import DomainError
from ..tokens import new_token
from .member_import import Mapping, Person

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _dir() -> Path:
    path = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path, "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(token: str) -> tuple[Path, Path]:
    if not _TOKEN.fullmatch(token or ""):  # the token names a file: nothing else gets through
        raise DomainError("import_expired")
    base = _dir()
    return base / f"{token}.csv", base / f"{token}.json"


def save(data: bytes, *, group_id: int, user_id: int, filename: str) -> str:
    sweep()
    token = new_token()
    csv_path, meta_path = _paths(token)
    csv_path.write_bytes(data)
    meta = {"group_id": group_id, "user_id": user_id, "filename": filename[:200]}
    meta_path.write_text(json.dumps(meta))
    return token


def load(token: str, *, group_id: int) -> tuple[bytes, dict]:
    """The file and its metadata, if it belongs to this group; else import_expired."""
    csv_path, meta_path = _paths(token)
    try:
        meta = json.loads(meta_path.read_text())
        data = csv_path.read_bytes()
    except (OSError, ValueError) as exc:
        raise DomainError("import_expired") from exc
    if meta.get("group_id") != group_id:
        raise DomainError("import_expired")
    return data, meta


def save_plan(token: str, meta: dict, mapping: Mapping, people: list[Person]) -> None:
    # Each person as a list of its fields, in order: asdict() per person cost seconds.
    fields = [f.name for f in dataclasses.fields(Person)]
    rows = [[getattr(p, name) for name in fields] for p in people]
    meta = {**meta, "mapping": mapping.as_dict(), "fields": fields, "people": rows}
    _paths(token)[1].write_text(json.dumps(meta))


def planned_people(meta: dict, mapping: Mapping) -> list[Person] | None:
    """The cleaned rows saved at preview time, if they were made with this same mapping."""
    if meta.get("mapping") != mapping.as_dict():
        return None
    fields = meta.get("fields")
    if not isinstance(fields, list):
        return None
    return [Person(**dict(zip(fields, p, strict=True))) for p in meta.get("people", [])]


def add_progress(token: str, *, added: int, already: int) -> dict:
    """Running totals of a chunked import, kept next to the file."""
    path = _dir() / f"{token}.progress.json"
    totals = {"added": 0, "already": 0}
    if path.exists():
        totals.update(json.loads(path.read_text()))
    totals["added"] += added
    totals["already"] += already
    path.write_text(json.dumps(totals))
    return totals


def delete(token: str) -> None:
    csv_path, meta_path = _paths(token)
    for path in (csv_path, meta_path, csv_path.with_suffix(".progress.json")):
        path.unlink(missing_ok=True)


def sweep(now: float | None = None) -> None:
    cutoff = (now or time.time()) - MAX_AGE_SECONDS
    for path in _dir().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue

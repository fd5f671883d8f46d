"""Notices: outbox rows the worker writes when it first sends them.

A change that happens under a lock (an RSVP, a promotion) queues a notice: the recipient,
the subject and what happened, with no body. Rendering two templates and a calendar invite
took longer than the change itself, and on a burst every other RSVP waited for it; the
worker writes the message instead, outside any lock, and stores it with the outcome of the
first attempt, so a retry sends the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import force_locale

from ..services.community import welcome
from ..services.events import announcements
from ..services.events import notices as rsvp_notices
from ..services.mail import messages as mail

# The notice's "type" -> what writes it: (notice, to_name=, subject=) -> Written, or None when
# what it was about is gone (its event deleted meanwhile): nothing is sent then.
WRITERS: dict[str, Callable[..., mail.Written | None]] = {
    rsvp_notices.NOTICE: rsvp_notices.write_notice,
    welcome.NOTICE: welcome.write_notice,
    announcements.NOTICE: announcements.write_notice,
}


# The notice's "type" -> what reads ahead, in one query, what a batch of them will need.
PREPARERS: dict[str, Callable[[list[dict]], None]] = {
    announcements.NOTICE: announcements.prepare_notices,
}


def prepare(notices: list[dict]) -> None:
    """Before a batch is written: each type's preparer gets the notices of its type."""
    by_type: dict[str, list[dict]] = {}
    for notice in notices:
        if isinstance(notice, dict) and notice.get("type") in PREPARERS:
            by_type.setdefault(notice["type"], []).append(notice)
    for kind, of_kind in by_type.items():
        PREPARERS[kind](of_kind)


def write(notice: dict, *, to_name: str, subject: str) -> mail.Written | None:
    writer = WRITERS.get(notice.get("type")) if isinstance(notice, dict) else None
    if writer is None:
        return None
    with force_locale(notice.get("locale") or "en"):  # chosen when it was queued
        return writer(notice, to_name=to_name, subject=subject)

"""The welcome email: one per person an import makes a member, never again for a re-import.

It says who added them and from where ("Olga added you to Rust Paris's meetups from the Rust
Paris Slack"), what they will receive, and offers two answers through signed per-person links
that need no sign-in: "Yes, keep me posted" and "No thanks" (services/mail/consent.py). A
link only opens a page with one confirm button; the POST of that button answers (mail
scanners prefetch links). Until they answer, they get announcements if the organizer chose
so at import.

The email is a notice: the import queues a row per person (one INSERT per chunk) and the
worker writes it when it first sends it (write_notice, registered in worker/notices.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Group, Membership, User
from ...urls import absolute_url
from ..mail import consent
from ..mail import messages as mail

NOTICE = "welcome"  # the outbox notice type (worker/notices.py)
_CHUNK = 1000


def welcome_key(group_id: int, user_id: int) -> str:
    return f"welcome:{group_id}:{user_id}"


def subject_for(group: Group) -> LazyString:
    # Lazy: each welcome's subject is worded in its recipient's language (mail.notice_row).
    return _l("You've been added to %(group)s's meetups", group=group.name)


def queue_welcomes(group: Group, user_ids: Sequence[int], *, now: datetime) -> None:
    """Queue the welcome of each new member (a few statements per 1,000 people)."""
    group_id = group.id
    for start in range(0, len(user_ids), _CHUNK):
        chunk = user_ids[start : start + _CHUNK]
        people = db.session.execute(
            select(User.id, User.email, User.name, User.locale).where(
                User.id.in_(chunk), User.mail_undeliverable_at.is_(None)
            )
        ).all()
        rows = mail.notice_rows(
            people,
            lambda: subject_for(group),
            lambda p: {"type": NOTICE, "group_id": group_id, "user_id": p.id},
            group_id=group_id,
            list_kind="welcome",
            dedupe_key=lambda p: welcome_key(group_id, p.id),
            now=now,
        )
        mail.queue_notices(rows)


PLATFORM_PLACES = {
    "slack": lambda g: _("the %(group)s Slack", group=g),
    "discord": lambda g: _("the %(group)s Discord", group=g),
    "linkedin": lambda g: _("the %(group)s LinkedIn group", group=g),
    "whatsapp": lambda g: _("the %(group)s WhatsApp group", group=g),
    "mailing_list": lambda g: _("the %(group)s mailing list", group=g),
}


def added_line(group: Group, importer: User | None) -> str:
    """ "Olga added you to Rust Paris's meetups from the Rust Paris Slack"."""
    place = PLATFORM_PLACES.get(group.platform)
    where = place(group.name) if place else None
    if importer is not None and where:
        return _(
            "%(organizer)s added you to %(group)s's meetups from %(place)s.",
            organizer=importer.display_name,
            group=group.name,
            place=where,
        )
    if importer is not None:
        return _(
            "%(organizer)s added you to %(group)s's meetups.",
            organizer=importer.display_name,
            group=group.name,
        )
    if where:
        return _(
            "You were added to %(group)s's meetups from %(place)s.", group=group.name, place=where
        )
    return _("You were added to %(group)s's meetups.", group=group.name)


def write_notice(notice: dict, *, to_name: str, subject: str) -> mail.Written | None:
    """The welcome email; None if they left the group, answered already, or said no since."""
    membership = db.session.scalar(
        select(Membership)
        .options(joinedload(Membership.group), joinedload(Membership.user))
        .where(
            Membership.group_id == notice.get("group_id"),
            Membership.user_id == notice.get("user_id"),
        )
    )
    if (
        membership is None
        or membership.welcome_answer is not None
        or membership.unsubscribed_at is not None
        or not consent.may_send(membership, "welcome")
    ):
        return None
    group = membership.group
    importer = (
        db.session.get(User, membership.imported_by_id) if membership.imported_by_id else None
    )
    token = consent.member_token("welcome", group.id, membership.user_id)
    context = {
        "group": group,
        "added_line": added_line(group, importer),
        "announcements": membership.mail_announcements,
        "yes_link": absolute_url("group_mail.welcome", token=token, answer="yes"),
        "no_link": absolute_url("group_mail.welcome", token=token, answer="no"),
        "group_link": absolute_url("groups.show", group_slug=group.slug),
        "unsubscribe_link": consent.unsubscribe_url(group.id, membership.user_id),
    }
    body_text, body_html = mail.render_bodies(to_name, "welcome", subject, context)
    return mail.Written(
        body_text, body_html, headers=consent.list_headers(group, membership.user_id)
    )

"""People: find or create by email, passwords, profile rules, deletion."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from flask import current_app, has_app_context
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from ...i18n import known_locale
from ...models import Event, Group, LoginToken, Membership, OutboxMessage, Rsvp, User, utcnow
from ...models.community import role_rank_sql
from ..errors import DomainError
from ..tokens import new_token

# The everyday address (ASCII letters, digits and ._+- before the @, a dotted domain with a
# letters-only TLD), which email_validator would accept and return lower-cased as it is: read
# without it, since a 50,000-row import validates every row twice (preview, then import).
# tests/test_accounts_addresses.py checks the two agree.
_PLAIN_ADDRESS = re.compile(
    r"(?P<local>[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*)@"
    r"(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,63}))"
)
_SPECIAL_USE_TLDS = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def plain_address(text: str) -> str | None:
    """`text` lower-cased if it is an everyday address that needs no further reading."""
    lowered = text.lower()
    found = _PLAIN_ADDRESS.fullmatch(lowered)
    if (
        found is None
        or len(lowered) > 254
        or len(found["local"]) > 64
        or len(found["domain"]) > 253
        or "--" in found["domain"]  # xn-- labels and the like: the full reading
        or found["tld"] in _SPECIAL_USE_TLDS
    ):
        return None
    return lowered


def normalize_email(raw: str | None) -> str:
    """The address exactly as the mailer will send it, lower-cased; or DomainError. No DNS.

    An international domain is kept encoded (`xn--...`), as SMTP carries it. A local part
    (before the @) with other than ASCII characters can only be delivered by a server that
    speaks SMTPUTF8: refused as "email_not_mailable" unless MEETUP_MAIL_SMTPUTF8 says the
    configured server does.
    """
    text = (raw or "").strip()
    plain = plain_address(text)
    if plain is not None:
        return plain
    smtputf8 = has_app_context() and bool(current_app.config["MAIL_SMTPUTF8"])
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=smtputf8)
    except EmailNotValidError as exc:
        if not smtputf8 and not text.rpartition("@")[0].isascii():
            raise DomainError("email_not_mailable") from exc
        raise DomainError("invalid_email") from exc
    return (info.normalized if smtputf8 else info.ascii_email).lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.lower()))


def get_or_create(email: str, name: str = "", *, now: datetime | None = None) -> User:
    """The account for `email`, made on first sight (magic links and imports create accounts)."""
    email = normalize_email(email)
    user = find_by_email(email)
    if user is None:
        user = User(
            email=email,
            name=name.strip()[:120],
            session_token=new_token(),
            feed_token=new_token(),
            created_at=now or utcnow(),
        )
        db.session.add(user)
        db.session.flush()
    elif name and not user.name:
        user.name = name.strip()[:120]
    return user


# ---------------------------------------------------------------- passwords

PASSWORD_MIN = 10
PASSWORD_MAX = 200  # hashing is deliberately slow: don't let anyone feed it megabytes

# Checked against when the address is unknown, so a wrong address costs as long as a
# wrong password and the timing tells nothing about who has an account.
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + new_token())


def hash_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise DomainError("password_length", min=PASSWORD_MIN, max=PASSWORD_MAX)
    return generate_password_hash(password)


def authenticate(email: str, password: str) -> User:
    """The account if the password matches; one error for every failure (no enumeration)."""
    try:
        user = find_by_email(normalize_email(email))
    except DomainError:
        user = None
    stored = user.password_hash if user is not None else None
    ok = check_password_hash(stored or _DUMMY_HASH, password[:PASSWORD_MAX])
    if user is None or stored is None or not ok:
        raise DomainError("bad_credentials")
    return user


def set_password(user: User, new: str, *, current: str | None = None, verify: bool) -> None:
    """Change the password and sign every other session out (they carry the old token).

    `verify` asks for the current password when there is one; a fresh sign-in by emailed
    link skips it, which is how a forgotten password is replaced.
    """
    if verify and user.password_hash and not check_password_hash(user.password_hash, current or ""):
        raise DomainError("wrong_current_password")
    user.password_hash = hash_password(new)
    rotate_session(user)


def rotate_session(user: User) -> None:
    user.session_token = new_token()
    db.session.flush()


# ---------------------------------------------------------------- profile

TAG_MAX = 40
TAGS_MAX = 20


def clean_tags(raw: str | list[str]) -> list[str]:
    """ "Python, data  science,python," -> ["python", "data science"]: trimmed, one space,
    lower-cased, de-duplicated in order, each short, a bounded number of them."""
    parts = raw.split(",") if isinstance(raw, str) else raw
    tags: list[str] = []
    for part in parts:
        tag = " ".join(part.split()).lower()[:TAG_MAX].strip()
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise DomainError("too_many_tags", max=TAGS_MAX)
    return tags


PROFILE_FIELDS = (
    "name",
    "headline",
    "company",
    "looking_for",
    "can_offer",
    "wants_intros",
    "contact_details",
    "locale",
)


def update_profile(user: User, *, interests: str | list[str] = "", **fields: object) -> User:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    for key, value in fields.items():
        setattr(user, key, value.strip() if isinstance(value, str) else value)
    if "locale" in fields:  # "" or anything unknown: follow the group's, then the browser's
        user.locale = known_locale(fields["locale"])
    user.interests = clean_tags(interests)
    db.session.flush()
    return user


# ---------------------------------------------------------------- deletion


@dataclass
class DeletionPlan:
    """What deleting an account does to the groups the person organizes (shown before)."""

    blocking: list[Group] = field(default_factory=list)  # others belong, nobody can take over
    handed_over: list[tuple[Group, User]] = field(default_factory=list)  # to a co-organizer
    deleted: list[Group] = field(default_factory=list)  # nobody else takes part


def deletion_plan(user: User) -> DeletionPlan:
    """A group keeps running without its only organizer if a co-organizer can take over
    (the longest-serving one does). With members but no co-organizer, the person must
    first make someone co-organizer, or delete the group. A group nobody else takes part
    in goes with the account. Four queries, however many groups and members."""
    plan = DeletionPlan()
    mine = list(
        db.session.scalars(
            select(Group)
            .join(Membership, Membership.group_id == Group.id)
            .where(Membership.user_id == user.id, Membership.role == "organizer")
            .order_by(Group.name)
        )
    )
    if not mine:
        return plan
    ids = [g.id for g in mine]
    with_others = set(
        db.session.scalars(
            select(Membership.group_id).where(
                Membership.group_id.in_(ids), Membership.user_id != user.id
            )
        )
    ) | set(
        db.session.scalars(
            select(Event.group_id)
            .join(Rsvp, Rsvp.event_id == Event.id)
            .where(Event.group_id.in_(ids), Rsvp.user_id != user.id)
        )
    )
    successors: dict[int, Membership] = {}
    for m in db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user))
        .where(
            Membership.group_id.in_(ids),
            Membership.user_id != user.id,
            Membership.role.in_(("organizer", "co_organizer")),
        )
        .order_by(Membership.role.desc(), Membership.joined_at, Membership.id)
    ):
        successors.setdefault(m.group_id, m)  # another organizer first, then the senior co
    for group in mine:
        successor = successors.get(group.id)
        if successor is not None and successor.role == "organizer":
            continue  # someone else already runs it
        if group.id not in with_others:
            plan.deleted.append(group)
        elif successor is not None:
            plan.handed_over.append((group, successor.user))
        else:
            plan.blocking.append(group)
    return plan


def delete_account(user: User) -> None:
    """Delete the person and their data; the database cascades do the rest.

    Memberships, RSVPs, intro pairs and blocks go by ON DELETE CASCADE; events they created
    keep existing without an author. Their sign-in links and the mail addressed to them have
    no foreign key (they are keyed by address), so they are removed here.
    """
    plan = deletion_plan(user)
    if plan.blocking:
        raise DomainError("sole_organizer", groups=[g.name for g in plan.blocking])
    for group, successor in plan.handed_over:
        db.session.execute(
            update(Membership)
            .where(Membership.group_id == group.id, Membership.user_id == successor.id)
            .values(role="organizer", sort_rank=role_rank_sql(successor.name))
        )
    for group in plan.deleted:
        db.session.delete(group)
    db.session.execute(delete(LoginToken).where(LoginToken.email == user.email))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.to_addr == user.email))
    db.session.delete(user)
    db.session.flush()

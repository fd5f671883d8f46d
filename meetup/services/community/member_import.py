"""Import a group's members from a CSV exported from Slack, Discord or LinkedIn.

Steps: `read_csv` (encoding, delimiter, header row: LinkedIn puts "Notes:" lines first),
`detect_mapping` (which columns hold the email, name, company, headline), `plan` (one clean,
de-duplicated person per email, and the rows skipped with why), `preview` (what an import
would do), and `import_people` (set-based: a few queries per chunk of rows, never one per
row). `import_csv_file` does it all in one go, for the demo data and scripts.

Cells are kept as plain text: a leading formula marker (= + - @) or quote is stripped, so a
name can't turn into a formula when someone later opens an export in a spreadsheet.
Each person the import makes a member gets one welcome email (services/community/welcome.py),
queued with the import; people who were members already (a re-import) get none.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ...extensions import db
from ...insert_many import insert_new, refresh_statistics
from ...models import Group, Membership, OutboxMessage, User, member_sort, utcnow
from .. import text as names
from ..accounts.users import normalize_email
from ..errors import DomainError
from ..tokens import new_token
from . import welcome

# A realistic Slack export of about 30 members, imported by the demo command.

MAX_ROWS = 50_000
CHUNK = 1000  # emails per IN (...) and rows per multi-row INSERT
HEADER_SCAN_ROWS = 30
DELIMITERS = (",", ";", "\t")
NAME_MAX, HEADLINE_MAX, COMPANY_MAX = 120, 160, 120

# Column names seen in the exports, compared after lower-casing, folding accents and dropping
# all but letters and digits. Earlier names win: Slack has both "fullname" and "displayname".
# French exports (LinkedIn in French, French Excel) name them Prénom, Nom, Adresse e-mail...
ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "emailaddress",
        "e-mail",
        "mail",
        "emailaddresses",
        "primaryemail",
        "adresse e-mail",
        "adresse mail",
        "adresse email",
        "courriel",
        "adresse courriel",
        "adresse électronique",
        "e-mail professionnel",
        "mél",
    ),
    "name": (
        "fullname",
        "realname",
        "name",
        "membername",
        "displayname",
        "globalname",
        "nickname",
        "username",
        "user",
        "nom complet",
        "nom et prénom",
        "prénom et nom",
        "prénom nom",
        "nom prénom",
        "pseudo",
        "nom d'utilisateur",
    ),
    "first_name": ("firstname", "givenname", "first", "prénom"),
    "last_name": ("lastname", "surname", "familyname", "last", "nom", "nom de famille"),
    "company": (
        "company",
        "currentcompany",
        "organization",
        "organisation",
        "employer",
        "entreprise",
        "société",
        "entreprise actuelle",
        "employeur",
    ),
    "headline": (
        "headline",
        "title",
        "position",
        "jobtitle",
        "currentposition",
        "role",
        "poste",
        "fonction",
        "intitulé du poste",
        "poste actuel",
        "titre",
        "métier",
    ),
    # Slack's export lists deactivated accounts and bots too ("status": "Deactivated").
    "status": ("status", "accountstatus", "statut", "état", "statut du compte"),
}
INACTIVE = {
    "deactivated",
    "deactivated account",
    "disabled",
    "desactive",
    "desactivee",
    "compte desactive",
    "inactif",
    "inactive",
}
BOTS = {"bot", "app", "slackbot"}
# Slack's guests belong to a channel or two, not to the community: imported only if the
# organizer says so (Mapping.guests). Older exports said "restricted" for them.
GUESTS = {
    "guest",
    "single-channel guest",
    "multi-channel guest",
    "single channel guest",
    "multi channel guest",
    "restricted",
    "ultra restricted",
    "ultra_restricted",
}
FIELDS = tuple(ALIASES)

SKIP_REASONS = (
    "no_email",
    "invalid_email",
    "duplicate",
    "deactivated",
    "bot",
    "guest",
    "too_few_columns",
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FORMULA_START = "=+-@'\t\r\n "


def _fold(text: str) -> str:
    """Lower case without accents: "Société" -> "societe"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _fold(header))


_ALIAS_KEYS = {field_: tuple(_key(a) for a in names) for field_, names in ALIASES.items()}


# ---------------------------------------------------------------- cells


def plain_text(value: str | None, limit: int) -> str:
    """A cell as harmless text: no control characters, no text-direction overrides, no
    leading formula marker, bounded; empty when nothing visible is left."""
    text = _CONTROL.sub(" ", value or "")
    text = "".join(c for c in text if c not in names.DIRECTION_CONTROLS)
    text = " ".join(text.split())
    text = text.lstrip(_FORMULA_START)[:limit].strip()
    return "" if names.refusal(text) else text


# ---------------------------------------------------------------- reading the file


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]  # data rows, each padded to len(headers)
    lines: list[int]  # each row's number in the file, for "row 12: no email"
    delimiter: str
    encoding: str
    widths: list[int] | None = None  # how many cells each row really had (before padding)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (BOM or not), UTF-16 with BOM, else cp1252/Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DomainError("csv_unreadable") from exc
    if b"\x00" in data[:4096]:
        raise DomainError("csv_unreadable")  # a binary file (a spreadsheet, an image...)
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"  # never fails: every byte is a character


def _rows(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
            if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                raise DomainError("too_many_rows", limit=MAX_ROWS)
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit(), a stray NUL
        raise DomainError("csv_unreadable") from exc
    return rows


def _header_score(row: Sequence[str]) -> int:
    """How many cells look like column names we know; an email column counts double."""
    keys = {_key(cell) for cell in row}
    score = sum(1 for aliases in _ALIAS_KEYS.values() if keys & set(aliases))
    return score + (1 if keys & set(_ALIAS_KEYS["email"]) else 0)


def _find_header(rows: list[list[str]]) -> tuple[int, int]:
    """(index of the header row, its score) among the first rows; (-1, 0) if none."""
    best = (-1, 0)
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = _header_score(row)
        if score > best[1]:
            best = (i, score)
        if score >= 2:
            break  # the first plausible header, not a later data row that happens to match
    return best


def _looks_like_email(cell: str) -> bool:
    return bool(re.fullmatch(r"\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*", cell))


def read_csv(data: bytes) -> Table:
    """Parse an export into a header and rows, or DomainError (csv_empty, csv_unreadable)."""
    text, encoding = decode(data)
    if not text.strip():
        raise DomainError("csv_empty")
    sample = text[:65536]
    candidates = []
    for delimiter in DELIMITERS:
        head = _rows(sample, delimiter, limit=HEADER_SCAN_ROWS)
        index, score = _find_header(head)
        width = len(head[index]) if index >= 0 else max((len(r) for r in head), default=0)
        candidates.append((score, width, delimiter, index))
    score, _width, delimiter, index = max(candidates, key=lambda c: (c[0], c[1]))
    if score == 0:
        try:  # no header we recognise: let csv.Sniffer pick the delimiter
            delimiter = csv.Sniffer().sniff(sample[:8192], delimiters="".join(DELIMITERS)).delimiter
        except csv.Error:
            delimiter = ","
    # Row numbers as a spreadsheet shows them, blank rows skipped but counted.
    numbered = [(n, r) for n, r in enumerate(_rows(text, delimiter), 1) if any(map(str.strip, r))]
    if not numbered:
        raise DomainError("csv_empty")
    first = numbered[0][1]
    if score == 0 and any(_looks_like_email(c) for c in first):  # no header row, just data
        width = max(len(r) for _n, r in numbered[:HEADER_SCAN_ROWS])
        return _table([f"Column {n + 1}" for n in range(width)], numbered, delimiter, encoding)
    index = next((i for i, (_n, r) in enumerate(numbered) if _header_score(r) == score), 0)
    headers = [plain_text(h, 80) or f"Column {n + 1}" for n, h in enumerate(numbered[index][1])]
    return _table(headers, numbered[index + 1 :], delimiter, encoding)


def _table(headers, numbered, delimiter, encoding) -> Table:
    if len(numbered) > MAX_ROWS:
        raise DomainError("too_many_rows", limit=MAX_ROWS)
    width = len(headers)
    rows = [(r + [""] * (width - len(r)))[:width] for _n, r in numbered]
    widths = [len(r) for _n, r in numbered]
    return Table(headers, rows, [n for n, _r in numbered], delimiter, encoding, widths)


# ---------------------------------------------------------------- which column is which


@dataclass
class Mapping:
    """Column indexes in Table.headers; None when the file has no such column."""

    email: int
    name: int | None = None
    first_name: int | None = None
    last_name: int | None = None
    company: int | None = None
    headline: int | None = None
    status: int | None = None
    guests: bool = False  # Slack's single- and multi-channel guests too (the organizer's call)

    def as_dict(self) -> dict[str, int | bool | None]:
        return asdict(self)

    @property
    def needed(self) -> int:
        """How many cells a row must have to hold every column used."""
        used = [i for f, i in asdict(self).items() if f != "guests" and i is not None]
        return max(used) + 1


def detect_mapping(table: Table) -> Mapping:
    """Guess the columns from their names (and the email column from its content if need be).
    A file without an email column can't be imported: DomainError("no_email_column")."""
    keys = [_key(h) for h in table.headers]
    found: dict[str, int | None] = {}
    for field_, aliases in _ALIAS_KEYS.items():
        found[field_] = next((keys.index(alias) for alias in aliases if alias in keys), None)
    if found["email"] is None:
        found["email"] = _email_column_by_content(table)
    if found["email"] is None:
        raise DomainError("no_email_column")
    if found["name"] == found["email"]:
        found["name"] = None
    return Mapping(**found)


def _email_column_by_content(table: Table) -> int | None:
    sample = table.rows[:200]
    best, best_hits = None, 0
    for col in range(len(table.headers)):
        values = [r[col] for r in sample if r[col].strip()]
        hits = sum(1 for v in values if _looks_like_email(v))
        if values and hits * 2 >= len(values) and hits > best_hits:
            best, best_hits = col, hits
    return best


def mapping_from(table: Table, chosen: dict[str, str | int | None]) -> Mapping:
    """The organizer's choice of columns (indexes as strings; "" for none), checked."""
    values: dict[str, int | None] = {}
    for field_ in FIELDS:
        raw = chosen.get(field_)
        if raw in (None, ""):
            values[field_] = None
            continue
        try:
            index = int(raw)
        except (TypeError, ValueError) as exc:
            raise DomainError("invalid_mapping") from exc
        if not 0 <= index < len(table.headers):
            raise DomainError("invalid_mapping")
        values[field_] = index
    if values["email"] is None:
        raise DomainError("no_email_column")
    guests = str(chosen.get("guests") or "").lower() in ("y", "yes", "1", "true", "on")
    return Mapping(**values, guests=guests)


# ---------------------------------------------------------------- what the file says


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""
    headline: str = ""
    company: str = ""
    line: int = 0


@dataclass(frozen=True)
class Skip:
    line: int
    reason: str  # one of SKIP_REASONS
    value: str  # what was in the email cell (shown escaped in HTML, never in a CSV)
    name: str = ""  # who the row is, so a bot or a guest can be recognised


@dataclass
class Plan:
    people: list[Person]
    skipped: list[Skip]
    guests: int = 0  # guest rows in the file, imported or not

    @property
    def skipped_by_reason(self) -> dict[str, int]:
        counts = Counter(s.reason for s in self.skipped)
        return {reason: counts.get(reason, 0) for reason in SKIP_REASONS}


def _cell(row: list[str], index: int | None, limit: int) -> str:
    return plain_text(row[index], limit) if index is not None else ""


def _name(row: list[str], mapping: Mapping) -> str:
    name = _cell(row, mapping.name, NAME_MAX)
    if not name:
        first = _cell(row, mapping.first_name, NAME_MAX)
        last = _cell(row, mapping.last_name, NAME_MAX)
        name = " ".join(p for p in (first, last) if p)[:NAME_MAX]
    return name


def _refusal(row: list[str], width: int, mapping: Mapping, needed: int) -> str | None:
    """Why a row is not a member to import, before its email is read, if it isn't.
    `needed`: mapping.needed, worked out once per file."""
    if width < needed:  # cut short: its cells aren't where the header says
        return "too_few_columns"
    status = _fold(row[mapping.status].strip()) if mapping.status is not None else ""
    if status in BOTS:
        return "bot"
    if status in INACTIVE:
        return "deactivated"
    if status in GUESTS and not mapping.guests:
        return "guest"
    return None


def plan(table: Table, mapping: Mapping) -> Plan:
    """One person per normalised email, in file order; the rest skipped with a reason."""
    people: list[Person] = []
    skipped: list[Skip] = []
    seen: set[str] = set()
    guest_rows = 0
    widths = table.widths or [len(table.headers)] * len(table.rows)
    needed = mapping.needed
    for line, row, width in zip(table.lines, table.rows, widths, strict=True):
        raw_email = row[mapping.email].strip()
        name = _name(row, mapping)
        if mapping.status is not None and row[mapping.status].strip().lower() in GUESTS:
            guest_rows += 1
        reason = _refusal(row, width, mapping, needed)
        if reason is not None:
            skipped.append(Skip(line, reason, plain_text(raw_email, 80), name))
            continue
        if not raw_email:
            skipped.append(Skip(line, "no_email", "", name))
            continue
        try:
            email = normalize_email(raw_email) if len(raw_email) <= 254 else ""
        except DomainError:
            email = ""
        if not email:
            skipped.append(Skip(line, "invalid_email", plain_text(raw_email, 80), name))
            continue
        if email in seen:
            skipped.append(Skip(line, "duplicate", email, name))
            continue
        seen.add(email)
        people.append(
            Person(
                email=email,
                name=name,
                headline=_cell(row, mapping.headline, HEADLINE_MAX),
                company=_cell(row, mapping.company, COMPANY_MAX),
                line=line,
            )
        )
    return Plan(people, skipped, guest_rows)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _known(group: Group, emails: Iterable[str]) -> dict[str, tuple[int, bool, str]]:
    """email -> (user id, already a member of the group, name), two queries per CHUNK emails,
    each on a unique index (an outer join of the two tables was planned badly by PostgreSQL
    while an import fills them: a second per chunk at 50,000 people)."""
    known: dict[str, tuple[int, bool, str]] = {}
    for chunk in _chunks(list(emails)):
        users = db.session.execute(
            select(User.email, User.id, User.name).where(User.email.in_(chunk))
        ).all()
        if not users:
            continue
        members = set(
            db.session.scalars(
                select(Membership.user_id).where(
                    Membership.group_id == group.id,
                    Membership.user_id.in_([user_id for _e, user_id, _n in users]),
                )
            )
        )
        for email, user_id, name in users:
            known[email] = (user_id, user_id in members, name)
    return known


@dataclass
class Preview:
    table: Table
    mapping: Mapping
    plan: Plan
    will_add: int
    already_members: int
    existing_accounts: int  # of will_add, people who already have an account

    @property
    def sample(self) -> list[Person]:
        return self.plan.people[:10]


def preview(group: Group, table: Table, mapping: Mapping) -> Preview:
    the_plan = plan(table, mapping)
    known = _known(group, (p.email for p in the_plan.people))
    already = sum(1 for _uid, member, _name in known.values() if member)
    accounts = sum(1 for _uid, member, _name in known.values() if not member)
    return Preview(
        table=table,
        mapping=mapping,
        plan=the_plan,
        will_add=len(the_plan.people) - already,
        already_members=already,
        existing_accounts=accounts,
    )


# ---------------------------------------------------------------- writing


@dataclass
class ImportResult:
    added: int = 0
    already_members: int = 0
    accounts_created: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def add(self, other: ImportResult) -> None:
        self.added += other.added
        self.already_members += other.already_members
        self.accounts_created += other.accounts_created


def import_people(
    group: Group,
    people: Sequence[Person],
    *,
    imported_by: User | None = None,
    announcements: bool = True,
    now: datetime | None = None,
) -> ImportResult:
    """Make `people` members of `group`: existing accounts are reused, missing ones made in
    bulk, existing members left as they are. Safe to run twice (and to retry a chunk).

    Each new member is welcomed once by email; until they answer they get announcements if
    `announcements` (the organizer's choice at import)."""
    now = now or utcnow()
    result = ImportResult()
    for chunk in _chunks(people):
        known = _known(group, (p.email for p in chunk))
        new_users = [p for p in chunk if p.email not in known]
        if new_users:
            insert_new(
                User.__table__,
                [
                    {
                        "email": p.email,
                        "name": p.name,
                        "headline": p.headline,
                        "company": p.company,
                        "session_token": new_token(),
                        "feed_token": new_token(),
                        "created_at": now,
                    }
                    for p in new_users
                ],
            )
            # Their ids (and any made by a concurrent import since we looked, counted too).
            created = _known(group, (p.email for p in new_users))
            known.update(created)
            result.accounts_created += len(created)
        to_join = [
            (known[p.email][0], *member_sort("member", known[p.email][2], p.email))
            for p in chunk
            if p.email in known and not known[p.email][1]
        ]
        result.already_members += sum(1 for p in chunk if known.get(p.email, (0, False, ""))[1])
        if to_join:
            insert_new(
                Membership.__table__,
                [
                    {
                        "group_id": group.id,
                        "user_id": user_id,
                        "role": "member",
                        "source": "import",
                        "joined_at": now,
                        "imported_by_id": imported_by.id if imported_by else None,
                        "mail_announcements": announcements,
                        "mail_reminders": True,
                        "mail_intros": True,
                        "sort_rank": rank,
                        "sort_name": sort_name,
                    }
                    for user_id, rank, sort_name in to_join
                ],
            )
            # Members now (one a concurrent import made meanwhile too: its welcome's dedupe
            # key still sends one).
            joined = [user_id for user_id, _rank, _name in to_join]
            welcome.queue_welcomes(group, joined, now=now)
            result.added += len(joined)
    db.session.flush()
    return result


ANALYZE_FROM = 1_000  # new members in one import after which the statistics are refreshed


def after_import(added: int) -> None:
    """Once an import has committed: with thousands of new rows, the tables it filled get
    fresh planner statistics (meetup/insert_many.refresh_statistics)."""
    if added >= ANALYZE_FROM:
        refresh_statistics(User.__table__, Membership.__table__, OutboxMessage.__table__)


def import_csv(
    group: Group,
    data: bytes,
    *,
    mapping: Mapping | None = None,
    imported_by: User | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Read, plan and import in one go (the demo command, scripts, the no-JavaScript form)."""
    table = read_csv(data)
    the_plan = plan(table, mapping or detect_mapping(table))
    result = import_people(group, the_plan.people, imported_by=imported_by, now=now)
    result.skipped = the_plan.skipped_by_reason
    return result


def import_csv_file(
    group: Group, path: str | Path, *, guests: bool = False, now: datetime | None = None
) -> ImportResult:
    """Import a CSV file into `group` in one go, columns detected (e.g. the demo's sample);
    `guests`: Slack's single- and multi-channel guests too."""
    data = Path(path).read_bytes()
    mapping = detect_mapping(read_csv(data)) if guests else None
    if mapping is not None:
        mapping.guests = True
    return import_csv(group, data, mapping=mapping, now=now)

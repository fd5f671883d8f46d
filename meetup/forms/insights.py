"""The insights pages' query strings: the period, the members' sort, search and page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..services.errors import DomainError
from ..services.insights.figures import Period
from ..services.insights.followups import COMMENT_MAX
from ..services.insights.members import SEARCH_MAX, SORTS
from .base import AppForm

PRESETS = ("90", "365", "all")  # days back from today, or since the beginning
DEFAULT_PRESET = "365"
FAR_END = datetime(2100, 1, 1, tzinfo=UTC)  # "and everything planned since"
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class PeriodChoice:
    period: Period
    preset: str | None  # None: dates chosen by hand
    first: date | None  # the dates as typed, to fill the form back
    last: date | None

    def args(self) -> dict[str, str]:
        """The query string that names this period again (CSV links)."""
        if self.preset:
            return {"period": self.preset}
        out = {}
        if self.first:
            out["from"] = self.first.isoformat()
        if self.last:
            out["to"] = self.last.isoformat()
        return out


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise DomainError("bad_period") from None
    if not EARLIEST <= day < FAR_END.date():
        raise DomainError("bad_period")
    return day


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def read_period(args: MultiDict, now: datetime) -> PeriodChoice:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (both days included, UTC), else ?period=90|365|all
    (that many days back from today, with everything planned since). Bad dates: bad_period."""
    first, last = _day(args.get("from", "")), _day(args.get("to", ""))
    if first or last:
        if first and last and last < first:
            raise DomainError("bad_period")
        end = _midnight(last) + timedelta(days=1) if last else FAR_END
        return PeriodChoice(Period(_midnight(first) if first else None, end), None, first, last)
    preset = args.get("period", DEFAULT_PRESET)
    if preset not in PRESETS:
        raise DomainError("bad_period")
    if preset == "all":
        return PeriodChoice(Period(None, FAR_END), preset, None, None)
    start = _midnight(now.date()) - timedelta(days=int(preset))
    return PeriodChoice(Period(start, FAR_END), preset, start.date(), None)


@dataclass(frozen=True)
class MembersQuery:
    search: str
    sort: str
    descending: bool
    page: int

    def args(self, **changes) -> dict[str, object]:
        """The query string of this view, with `changes` (a sort link, the next page)."""
        values = {
            "q": self.search or None,
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "page": self.page,
            **changes,
        }
        return {k: v for k, v in values.items() if v not in (None, "", 1)}


def read_members_query(args: MultiDict) -> MembersQuery:
    """?q=&sort=<one of SORTS>&dir=asc|desc&page=N; a sort or direction we don't know is
    refused (bad_sort), a page that isn't a number is the first."""
    sort = args.get("sort", "name")
    direction = args.get("dir", "asc")
    if sort not in SORTS or direction not in ("asc", "desc"):
        raise DomainError("bad_sort")
    page = args.get("page", 1, type=int) or 1
    return MembersQuery(
        args.get("q", "")[:SEARCH_MAX], sort, direction == "desc", min(max(page, 1), 10**6)
    )


RATING_LABELS = {
    5: _l("5: excellent"),
    4: _l("4: good"),
    3: _l("3: all right"),
    2: _l("2: not great"),
    1: _l("1: poor"),
}


class FeedbackForm(AppForm):
    rating = RadioField(
        _l("How was it?"),
        choices=[SelectChoice(value, label) for value, label in RATING_LABELS.items()],
        coerce=int,
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))],
    )
    comment = TextAreaField(
        _l("Anything to keep or change? (optional)"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
        render_kw={"rows": 4, "maxlength": COMMENT_MAX},
    )

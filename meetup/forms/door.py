"""What the door page sends: the JSON bodies of scans and undos, and the door's forms.

A busy door sends thousands of scans an evening, so scan and undo bodies are checked by
pydantic models: about 1 µs a body, where a WTForms form took about 50 µs to build and
check. The walk-in form is also drawn on the door page, so it stays a WTForms form, read
from JSON. Error messages are ours and translatable; pydantic's own are English only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    model_validator,
)
from pydantic import ValidationError as BodyError  # re-exported for the view
from pydantic_core import PydanticCustomError
from wtforms import BooleanField, Form, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from ..models import utcnow
from ..services.door import checkin
from ..timeutil import EARLIEST, instant_in_window
from ..urls import MAX_ID
from .base import AppForm, MailableEmail, NameField

NONCE_PATTERN = r"^[A-Za-z0-9_.:-]+$"


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)  # "" is as good as leaving the field out
Nonce = Annotated[str, Field(min_length=8, max_length=64, pattern=NONCE_PATTERN)]
RsvpId = Annotated[int, Field(ge=1, le=MAX_ID)]  # a bigger number names no row


CLOCK_SKEW = timedelta(days=1)  # a phone's clock ahead of ours: its scan counts as now


def _utc(value: datetime | None) -> datetime | None:
    """A scan time in UTC, from 2000 to now (give or take a phone's clock): checked before
    it is converted, which overflows near year 1 or 9999."""
    if value is None:
        return value
    if not instant_in_window(value, earliest=EARLIEST, latest=utcnow() + CLOCK_SKEW):
        raise PydanticCustomError("scan_time_out_of_range", "time out of range")
    return value.astimezone(UTC)


def _text(max_length: int) -> Any:
    return Annotated[Annotated[str, Field(max_length=max_length)] | None, Blank]


class DoorBody(BaseModel):
    """What every door request carries: its nonce (a retry sends the same one), the
    device that sent it and, for a scan synced late, when it happened."""

    nonce: Nonce
    device: _text(120) = None
    scanned_at: Annotated[AwareDatetime | None, Blank, AfterValidator(_utc)] = None


class ScanBody(DoorBody):
    token: _text(2000) = None
    rsvp_id: RsvpId | None = None
    guest_id: RsvpId | None = None  # a named guest, from the door's name list
    method: Annotated[Literal[checkin.METHODS] | None, Blank] = None
    override: bool = False  # an organizer lets them in outside the door's window

    @model_validator(mode="after")
    def _names_a_ticket(self) -> ScanBody:
        if self.token is None and self.rsvp_id is None and self.guest_id is None:
            raise PydanticCustomError("ticket_missing", "no ticket", {"field": "token"})
        return self


class UndoBody(DoorBody):
    rsvp_id: RsvpId | None = None
    guest_id: RsvpId | None = None  # a named guest's check-in
    method: Annotated[Literal["manual", "offline"] | None, Blank] = None

    @model_validator(mode="after")
    def _names_a_ticket(self) -> UndoBody:
        if self.rsvp_id is None and self.guest_id is None:
            raise PydanticCustomError("missing", "no ticket", {"field": "rsvp_id"})
        return self


_MESSAGES = {
    "missing": _l("This field is required."),
    "ticket_missing": _l("Send a ticket token or an RSVP id."),
    "string_type": _l("Send this as text."),
    "string_too_short": _l("At least %(min_length)s characters."),
    "string_too_long": _l("At most %(max_length)s characters."),
    "string_pattern_mismatch": _l("Only letters, digits and . _ : - are allowed."),
    "literal_error": _l("Must be one of %(expected)s."),
    "int_type": _l("Send a whole number."),
    "int_parsing": _l("Send a whole number."),
    "int_from_float": _l("Send a whole number."),
    "greater_than_equal": _l("No such RSVP."),
    "less_than_equal": _l("No such RSVP."),
    "timezone_aware": _l("The time needs a zone, e.g. 2031-03-14T18:02:00Z."),
    "scan_time_out_of_range": _l("The time must be between the year 2000 and now."),
}


def errors_by_field(exc: BodyError) -> dict[str, list[str]]:
    """{field: [messages]}, as WTForms reports them, so all door answers look alike."""
    fields: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        ctx = error.get("ctx") or {}
        name = str(error["loc"][0]) if error["loc"] else ctx.get("field", "body")
        kind = error["type"]
        if kind.startswith(("datetime_", "date_", "time_")):
            message = _("Not a valid ISO 8601 time.")
        elif kind in _MESSAGES:
            message = str(_MESSAGES[kind]) % ctx if ctx else str(_MESSAGES[kind])
        else:
            message = _("Not a valid value.")
        fields.setdefault(name, []).append(message)
    return fields


class WalkinForm(Form):
    """Drawn on the door page and sent by door.js as JSON (CSRF in the header)."""

    nonce = StringField(validators=[InputRequired(), Length(8, 64), Regexp(NONCE_PATTERN)])
    device = StringField(validators=[Optional(), Length(max=120)])
    name = NameField(_l("Name"), validators=[InputRequired(), Length(1, 120)])
    email = StringField(_l("Email"), validators=[InputRequired(), MailableEmail(), Length(max=254)])
    override = BooleanField(_l("Let them in even if the event is full"))


class DoorLinkForm(AppForm):
    label = NameField(
        _l("Who is it for?"),
        validators=[InputRequired(), Length(1, 120)],
        description=_l('Shown as "checked in by …", e.g. "Sam at the door".'),
    )

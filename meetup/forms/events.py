"""The event form: what an organizer types, turned into services.events.editing.EventInput."""

from __future__ import annotations

from datetime import datetime, time

from flask import (
    request,
)
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..error_messages import message_for
from ..models import Event
from ..services.events import answers as rsvp_answers
from ..services.events import editing as svc
from ..services.events import guests
from ..timeutil import in_zone, is_valid_timezone, timezone_names
from .base import AppForm, MailableEmail, NameField
from .guests import guest_inputs
from .intros import IntentChips

# Regions of the canonical zone names; legacy aliases (US/Eastern, EST5EDT) are left out of the
# list but still accepted.
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def timezone_choices(current: str | None = None) -> list[SelectChoice]:
    """Zones grouped by region for a <select> with <optgroup>s, labelled "America/New York"."""
    choices = [
        SelectChoice(name, name.replace("_", " "), optgroup=name.partition("/")[0])
        for name in timezone_names()
        if name.partition("/")[0] in REGIONS
    ]
    choices.append(SelectChoice("UTC", "UTC", optgroup="UTC"))
    if current and is_valid_timezone(current) and all(c.value != current for c in choices):
        choices.append(SelectChoice(current, current, optgroup=str(_l("Other"))))
    return choices


def _hours(label: str, high: int, low: int = 1, description: str = "") -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=low, max=high)],
        description=description,
        render_kw={"inputmode": "numeric", "min": low, "max": high},
    )


class EventForm(AppForm):
    title = NameField(
        _l("Title"),
        validators=[DataRequired(), Length(max=svc.TITLE_MAX)],
        render_kw={"maxlength": svc.TITLE_MAX, "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=svc.DESCRIPTION_MAX)],
        description=_l("Markdown: **bold**, *italic*, lists and links."),
        render_kw={"rows": 6, "maxlength": svc.DESCRIPTION_MAX},
    )
    start_date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()])
    end_date = DateField(
        _l("End date"),
        validators=[Optional()],
        description=_l("Leave empty if it ends the same day."),
    )
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()])
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    venue_name = NameField(
        _l("Venue"),
        validators=[Optional(), Length(max=svc.VENUE_NAME_MAX)],
        render_kw={"maxlength": svc.VENUE_NAME_MAX, "placeholder": _l("The Loft, 3rd floor")},
    )
    venue_address = NameField(
        _l("Address"),
        validators=[Optional(), Length(max=svc.VENUE_ADDRESS_MAX)],
        description=_l("Shown with a map link."),
        render_kw={"maxlength": svc.VENUE_ADDRESS_MAX, "autocomplete": "street-address"},
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(min=1, max=svc.CAPACITY_MAX)],
        description=_l("Leave empty for no limit. When it is full, people join a waitlist."),
        render_kw={"inputmode": "numeric", "min": 1, "max": svc.CAPACITY_MAX},
    )
    max_guests = IntegerField(
        _l("Guests per person"),
        validators=[Optional(), NumberRange(min=0, max=guests.MAX_GUESTS)],
        default=0,
        description=_l("How many named guests each person may bring: 0 for none."),
        render_kw={"inputmode": "numeric", "min": 0, "max": guests.MAX_GUESTS},
    )
    parties_may_pass = BooleanField(
        _l("Let smaller parties past"),
        description=_l(
            "When a party waiting first doesn't fit in the seats that free up, the next "
            "smaller party that fits may take them. Off: first come, first served."
        ),
    )
    rsvp_deadline_date = DateField(_l("RSVPs close on"), validators=[Optional()])
    rsvp_deadline_time = TimeField(_l("at"), validators=[Optional()])
    visibility = RadioField(
        _l("Who can see it"),
        choices=[
            SelectChoice("public", _l("Anyone with the link")),
            SelectChoice("members", _l("Members of the group only")),
        ],
        default="public",
    )
    requires_approval = BooleanField(
        _l("Organizer approves each RSVP"),
        description=_l("Each RSVP is a request: you approve or decline it from the event's page."),
    )
    hide_address = BooleanField(
        _l("Share the address only once approved"),
        description=_l("Others see the venue's name only, on the page and in calendars."),
    )
    claim_window_hours = _hours(
        _l("Hours to claim a freed seat"),
        svc.CLAIM_WINDOW_MAX_HOURS,
        description=_l(
            "When a seat frees up, the next person on the waitlist has this long to take it. "
            "Empty: they get it straight away."
        ),
    )
    reminder_hours = _hours(
        _l("Reminder, hours before"),
        svc.REMINDER_MAX_HOURS,
        description=_l("Empty: no reminder."),
    )
    intros_delay_hours = IntegerField(
        _l("Introductions, hours after the end"),
        validators=[InputRequired(), NumberRange(min=0, max=svc.INTROS_DELAY_MAX_HOURS)],
        default=18,
        render_kw={"inputmode": "numeric", "min": 0, "max": svc.INTROS_DELAY_MAX_HOURS},
    )

    # Repeating: on a new event, or one not yet in a series (services/events/series.py).
    repeat = SelectField(
        _l("Repeats"),
        choices=[
            SelectChoice("", _l("Doesn't repeat")),
            SelectChoice("weekly", _l("Every week")),
            SelectChoice("biweekly", _l("Every two weeks")),
            SelectChoice("monthly", _l("Every month, same weekday")),
        ],
        default="",
    )
    repeat_count = IntegerField(
        _l("How many dates in all"),
        validators=[Optional(), NumberRange(min=2, max=104)],
        render_kw={"inputmode": "numeric", "min": 2, "max": 104},
    )
    repeat_until = DateField(_l("or until"), validators=[Optional()])
    followup_thanks = BooleanField(
        _l("Thank those who came"),
        description=_l("After the event, with a link to rate it (1 to 5) and leave a comment."),
    )
    followup_missed = BooleanField(
        _l("Write to those who didn't come"),
        description=_l("“Sorry we missed you”, with the group's next event if there is one."),
    )

    def __init__(self, *args, zone: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.timezone.data = zone
        self.timezone.choices = timezone_choices(self.timezone.data)

    def validate_timezone(self, field: SelectField) -> None:
        if not is_valid_timezone(field.data):
            raise ValidationError(message_for("event_bad_timezone")[1])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        day, at = self.rsvp_deadline_date, self.rsvp_deadline_time
        if not (day.errors or at.errors) and (day.data is None) != (at.data is None):
            at.errors = [*at.errors, str(_l("Give both a date and a time, or neither."))]
            ok = False
        return ok

    def repeat_rule(self) -> dict | None:
        """The series rule asked for, as services/events/series.py takes it; None: a single date."""
        if not self.repeat.data:
            return None
        return {
            "frequency": self.repeat.data,
            "count": self.repeat_count.data,
            "until": self.repeat_until.data,
        }

    def to_input(self) -> svc.EventInput:
        end_date = self.end_date.data or self.start_date.data
        deadline = None
        if self.rsvp_deadline_date.data and self.rsvp_deadline_time.data:
            deadline = datetime.combine(self.rsvp_deadline_date.data, self.rsvp_deadline_time.data)
        return svc.EventInput(
            title=self.title.data or "",
            description=self.description.data or "",
            timezone=self.timezone.data,
            starts_local=datetime.combine(self.start_date.data, self.start_time.data),
            ends_local=datetime.combine(end_date, self.end_time.data),
            venue_name=self.venue_name.data or "",
            venue_address=self.venue_address.data or "",
            capacity=self.capacity.data,
            rsvp_deadline_local=deadline,
            visibility=self.visibility.data,
            claim_window_hours=self.claim_window_hours.data,
            reminder_hours=self.reminder_hours.data,
            intros_delay_hours=self.intros_delay_hours.data,
            followup_thanks=bool(self.followup_thanks.data),
            followup_missed=bool(self.followup_missed.data),
            requires_approval=bool(self.requires_approval.data),
            hide_address=bool(self.hide_address.data),
            max_guests=self.max_guests.data or 0,
            parties_may_pass=bool(self.parties_may_pass.data),
        )

    def fill_from(self, event: Event) -> None:
        """Prefill an edit with the event's values, times in its own zone."""
        starts = in_zone(event.starts_at, event.timezone)
        ends = in_zone(event.ends_at, event.timezone)
        self.process(
            obj=event,
            start_date=starts.date(),
            start_time=_minute(starts.time()),
            end_date=ends.date(),
            end_time=_minute(ends.time()),
        )
        if event.rsvp_deadline is not None:
            deadline = in_zone(event.rsvp_deadline, event.timezone)
            self.rsvp_deadline_date.data = deadline.date()
            self.rsvp_deadline_time.data = _minute(deadline.time())
        self.timezone.choices = timezone_choices(event.timezone)

    def fill_as_copy(self, event: Event) -> None:
        """Prefill a new event from an earlier one (the next of a monthly series): all but
        the days, which the organizer picks. The times of day stay; an RSVP deadline hangs
        on the day, so it goes."""
        self.fill_from(event)
        for day in (self.start_date, self.end_date, self.rsvp_deadline_date):
            day.data = None
        self.rsvp_deadline_time.data = None


def _minute(t: time) -> time:
    return t.replace(second=0, microsecond=0)


ANSWERS = ("going", "not_going")


class RsvpForm(IntentChips, AppForm):
    class Meta:
        # CSRFProtect checks every POST before the view; the panel renders csrf_token().
        # A second token of the form's own would cost a signature per answer.
        csrf = False

    answer = StringField(validators=[InputRequired(), AnyOf(ANSWERS)])
    name = NameField(_l("Your name"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("Your email"), validators=[Optional(), MailableEmail(), Length(max=254)])
    looking_for = TextAreaField(
        _l("What are you looking for?"),
        validators=[Optional(), Length(max=rsvp_answers.MAX_ANSWER)],
        description=_l("A job, co-founders, advice... Helps us introduce you to the right people."),
    )
    can_offer = TextAreaField(
        _l("What can you offer?"),
        validators=[Optional(), Length(max=rsvp_answers.MAX_ANSWER)],
    )
    wants_intros = BooleanField(_l("Introduce me to people I meet there"), default=True)
    save_to_profile = BooleanField(_l("Also save these answers to my profile"))
    listed = BooleanField(
        _l("Show my name and headline to other members in “Who’s going”"), default=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.set_intent_choices()

    def answers(self) -> rsvp_answers.Answers:
        # A bare "Going" (no answer fields sent) keeps what is already there.
        party = guest_inputs(request.form)
        if "looking_for" not in request.form:
            return rsvp_answers.Answers(guests=party)
        return rsvp_answers.Answers(
            guests=party,
            looking_for=self.looking_for.data or "",
            can_offer=self.can_offer.data or "",
            wants_intros=bool(self.wants_intros.data),
            save_to_profile=bool(self.save_to_profile.data),
            listed=bool(self.listed.data),
            intents=self.chips_answered(),
        )


class CapacityForm(AppForm):
    capacity = IntegerField(
        _l("Seats"),
        validators=[Optional(), NumberRange(min=0, max=100_000)],
        description=_l("Leave empty for no limit."),
    )


class PromoteForm(AppForm):
    override = BooleanField(_l("Over capacity"))


class AddForm(AppForm):
    name = NameField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[InputRequired(), MailableEmail(), Length(max=254)])
    override = BooleanField(_l("Over capacity: seat them even though the event is full"))

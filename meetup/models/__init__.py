"""The tables, one module per capability. Times are stored in UTC (see UTCDateTime); each
event carries its IANA zone. Import them from here: `from meetup.models import Event`."""

from .accounts import LoginToken, User
from .base import UTCDateTime, utcnow
from .channels import Webhook, WebhookPost
from .community import PLATFORMS, ROLES, Group, Invite, Membership, member_sort
from .door import CheckinLog, DoorLink
from .events import (
    RSVP_STATUSES,
    SERIES_FREQUENCIES,
    VISIBILITIES,
    Event,
    Rsvp,
    Series,
    SeriesFollower,
)
from .guests import RsvpGuest
from .insights import EventFeedback
from .intros import INTRO_STATUSES, IntroBlock, IntroPair
from .mail import ANNOUNCEMENT_KINDS, OUTBOX_STATUSES, Announcement, OutboxMessage

__all__ = [
    "member_sort",
    "ANNOUNCEMENT_KINDS",
    "Announcement",
    "CheckinLog",
    "DoorLink",
    "Event",
    "EventFeedback",
    "Group",
    "INTRO_STATUSES",
    "IntroBlock",
    "IntroPair",
    "Invite",
    "LoginToken",
    "Membership",
    "OUTBOX_STATUSES",
    "OutboxMessage",
    "PLATFORMS",
    "ROLES",
    "RSVP_STATUSES",
    "Rsvp",
    "RsvpGuest",
    "SERIES_FREQUENCIES",
    "Series",
    "SeriesFollower",
    "UTCDateTime",
    "User",
    "VISIBILITIES",
    "Webhook",
    "WebhookPost",
    "utcnow",
]

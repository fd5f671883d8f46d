"""Who may see what, for views: the one place a page looks up the group or event it names.

Each lookup decides visibility before anything is validated or rendered: a page never shows
what the person asking may not see.
"""

from __future__ import annotations

from typing import NoReturn

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..models import Event, Group
from ..services import permissions
from ..services.community import groups
from ..services.errors import DomainError
from ..services.events import editing as events
from ..templating import page_about_group

EVENT_NOT_FOUND = _l(
    "We couldn't find this event. If it is for members of a group, sign in to see it."
)


def group_or_404(slug: str) -> Group:
    group = groups.get_by_slug(slug)  # `group_not_found`: a 404 that says so
    page_about_group(group.id, group.locale)
    return group


def group_for_organizer(slug: str) -> Group:
    """A group its organizers manage: 404 if there is none, 403 for anyone else."""
    group = group_or_404(slug)
    permissions.require_organizer(group, current_user)
    return group


def event_not_found() -> NoReturn:
    """The answer to a key that names no event, and to anyone who may not see the one it
    names: the same status and the same page, so the two can't be told apart."""
    abort(404, description=str(EVENT_NOT_FOUND))


def refuse(event: Event | None = None, *, event_key: str | None = None) -> NoReturn:
    """Refuse the current person an event they may not act on: 403 if they may see it, else
    the 404 of a key that doesn't exist. `event_key`: the event is read only now (a refusal
    is rare; the caller read a lighter row)."""
    if event is None and event_key is not None:
        event = events.get_by_key(event_key)
    if event is not None and permissions.can_view_event(event, current_user):
        raise DomainError("forbidden")
    event_not_found()


def group_for_organizer_or_404(slug: str) -> Group:
    """A group its organizers manage; anyone else gets the 404 of a group that doesn't exist,
    so what is behind the page isn't told apart from nothing."""
    group = group_or_404(slug)
    if not permissions.is_organizer(group, current_user):
        raise DomainError("group_not_found")
    return group


def event_or_404(event_key: str) -> Event:
    """The event, whoever asks: the caller decides who may see it before using it."""
    event = events.get_by_key(event_key)
    if event is None:
        event_not_found()
    page_about_group(event.group_id, event.group.locale)
    return event


def event_for_organizer(event_key: str) -> Event:
    """An event its group's organizers manage: 403 for anyone else who may see it, the
    unknown key's 404 for anyone who may not."""
    event = event_or_404(event_key)
    if not permissions.is_organizer(event.group_id, current_user):
        refuse(event)
    return event


def visible_event_or_404(event_key: str) -> Event:
    """An event the current person may see; anyone else gets the 404 of a key that doesn't
    exist, so members-only events can't be told apart from missing ones."""
    event = events.get_by_key(event_key)
    if event is None or not permissions.can_view_event(event, current_user):
        event_not_found()
    page_about_group(event.group_id, event.group.locale)
    return event

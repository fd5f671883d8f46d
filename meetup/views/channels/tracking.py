"""Remember the channel a person came through: the `?via=` of the event or invite link they
opened is kept in their session (it survives signing in with an emailed link, which keeps the
session), so the RSVP or the membership it leads to records it.

Per link target (an event key, an invite code), the first channel seen is kept; a bad label is
ignored. Only the last few targets are kept, so the cookie stays small.
"""

from __future__ import annotations

from flask import Blueprint, request, session

from ...services.channels import labels

bp = Blueprint("channel_tracking", __name__)

_KEY = "via"
_KEPT = 8
# The link targets that take a ?via=, by the URL variable naming them.
_TARGETS = (("event_key", "e:"), ("invite_code", "j:"))


def _pairs() -> list[list[str]]:
    pairs = session.get(_KEY)
    if not isinstance(pairs, list):
        return []
    return [p for p in pairs if isinstance(p, list) and len(p) == 2]


def channel_for(*, event_key: str | None = None, invite_code: str | None = None) -> str | None:
    """The first channel remembered for this event or invite link, if any."""
    target = f"e:{event_key}" if event_key is not None else f"j:{invite_code}"
    return next((labels.clean(c) for t, c in _pairs() if t == target), None)


@bp.before_app_request
def _remember_via() -> None:
    if request.method != "GET" or "via" not in request.args or not request.view_args:
        return
    channel = labels.clean(request.args.get("via"))
    if channel is None:
        return
    for name, prefix in _TARGETS:
        value = request.view_args.get(name)
        if isinstance(value, str) and len(value) <= 64:
            pairs = _pairs()
            target = prefix + value
            if not any(t == target for t, _ in pairs):
                session[_KEY] = [*pairs[-(_KEPT - 1) :], [target, channel]]
            return

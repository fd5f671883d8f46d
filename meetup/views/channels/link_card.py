"""The link card image of an event (og:image), for Slack, Discord and LinkedIn unfurls.

Public events only: a members-only event has no public card (its page tells an unfurler
nothing specific either), and answers as a key that doesn't exist. The image is the same for
everyone, cached by unfurlers and proxies, and changes with the event (ETag, and the version
in the og:image URL).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from ...services.channels import card_image
from .. import access

bp = Blueprint("link_card", __name__)

MAX_AGE = 3600


@bp.get("/e/<event_key>/card.png")
def card(event_key: str):
    event = access.visible_event_or_404(event_key)
    if event.visibility != "public":
        abort(404)
    etag = card_image.version(event)
    if request.if_none_match.contains(etag):
        resp = Response(status=304)
    else:
        resp = Response(card_image.event_card(event), mimetype="image/png")
    resp.set_etag(etag)
    resp.cache_control.public = True
    resp.cache_control.max_age = MAX_AGE
    return resp

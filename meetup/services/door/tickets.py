"""Tickets: finding an RSVP by its ticket token, reading a scanned code, and the QR image.

A ticket's QR encodes the ticket URL itself (urls.ticket_url), so any phone camera opens the
ticket page and the door scanner reads the token out of the same URL.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from urllib.parse import urlsplit

import png
import qrcode
import qrcode.constants
import qrcode.image.svg
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Rsvp
from ..tokens import same

# What new_token() makes (urlsafe base64), with room for longer tokens; anything else is
# refused before it reaches the database.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_TICKET_PATH = re.compile(r"/t/([A-Za-z0-9_-]{16,64})/?")

VALID = "going"  # the only RSVP status whose ticket gets someone in


def is_token_shaped(token: str | None) -> bool:
    return bool(token) and _TOKEN.fullmatch(token) is not None


def select_by_token(token: str) -> Select:
    """The query for the RSVP holding `token`, with its attendee (callers may lock it)."""
    return select(Rsvp).where(Rsvp.ticket_token == token).options(joinedload(Rsvp.user))


def checked(rsvp: Rsvp | None, token: str) -> Rsvp | None:
    """The row the index found, if its secret matches in constant time."""
    return rsvp if rsvp is not None and same(rsvp.ticket_token, token) else None


def find(token: str | None) -> Rsvp | None:
    """The RSVP holding this ticket token (any event, any status), or None."""
    if not is_token_shaped(token):
        return None
    query = select_by_token(token).options(joinedload(Rsvp.event))
    return checked(db.session.scalar(query), token)


def is_valid(rsvp: Rsvp) -> bool:
    """A ticket that gets someone in: a going RSVP that still holds its token."""
    return rsvp.status == VALID and rsvp.ticket_token is not None


def token_from_scan(text: str | None) -> str | None:
    """The token in what the door scanned or typed: a bare token or a full ticket URL."""
    text = (text or "").strip()
    if is_token_shaped(text):
        return text
    if "/t/" not in text:
        return None
    match = _TICKET_PATH.fullmatch(urlsplit(text).path)
    return match.group(1) if match else None


def _qr(url: str, image_factory=None) -> qrcode.QRCode:
    """A QR code of `url` as the door reads it: error correction M, quiet zone of 4 modules."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, image_factory=image_factory
    )
    code.add_data(url)
    code.make(fit=True)
    return code


PNG_MODULE = 6  # pixels per module: 270 px for a ticket URL, shown at 220


@lru_cache(maxsize=512)
def qr_png(url: str) -> bytes:
    """The same code as a 1-bit PNG, for emails: mail apps show PNGs, not SVGs (under 1 KB).

    The rows go to pypng already packed: its own packing of a qrcode image, a pixel at a
    time, cost the outbox worker more than drawing the code."""
    matrix = _qr(url).get_matrix()  # the quiet zone included
    side = len(matrix) * PNG_MODULE
    rows = []
    for modules in matrix:
        bits = "".join(("0" if dark else "1") * PNG_MODULE for dark in modules)
        packed = int(bits + "0" * (-len(bits) % 8), 2).to_bytes((len(bits) + 7) // 8, "big")
        rows.extend([packed] * PNG_MODULE)
    out = io.BytesIO()
    png.Writer(side, side, greyscale=True, bitdepth=1).write_packed(out, rows)
    return out.getvalue()


@lru_cache(maxsize=512)
def qr_svg(url: str) -> bytes:
    """An SVG QR code of `url`: error correction M, quiet zone of 4 modules.

    It depends only on the URL, so it is cached here and by browsers (see views/tickets.py).
    """
    image = _qr(url, qrcode.image.svg.SvgPathImage).make_image()
    return image.to_string(encoding="unicode").encode()

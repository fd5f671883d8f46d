"""QR codes of URLs, as the door reads them: SVG for pages, a 1-bit PNG for emails.

Error correction M and a quiet zone of 4 modules: codes without it failed to decode on a dark
background. Both images depend only on the URL, so they are cached.
"""

from __future__ import annotations

import io
from functools import lru_cache

import png
import qrcode
import qrcode.constants
import qrcode.image.svg


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

    It depends only on the URL, so it is cached here and by browsers (see views/door/tickets.py).
    """
    image = _qr(url, qrcode.image.svg.SvgPathImage).make_image()
    return image.to_string(encoding="unicode").encode()

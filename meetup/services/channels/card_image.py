"""The link card of an event: a 1200x630 PNG that Slack, Discord and LinkedIn show when its
link is pasted (og:image). Title, date and time in the event's zone, place, group name, in
type large enough to read at thumbnail size; a long title wraps to three lines, smaller if it
must, and ends with an ellipsis past that.

Drawing takes tens of milliseconds: cards are kept by (event id, updated_at), and the page's
og:image URL and the ETag change when the event does.
"""

from __future__ import annotations

import io
import zlib
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ...models import Event
from ...timeutil import format_in_zone, zone_abbreviation

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
FONTS = Path(__file__).resolve().parents[3] / "static" / "vendor" / "fonts" / "dejavu"
BACKGROUND = (16, 42, 67)
ACCENT = (1, 114, 173)
TEXT = (255, 255, 255)
MUTED = (189, 206, 222)
TITLE_SIZES = (76, 68, 60, 54)
TITLE_LINES = 3


@lru_cache(maxsize=16)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _width(draw: ImageDraw.ImageDraw, text: str, font) -> float:
    return draw.textlength(text, font=font)


def _fit_line(draw, text: str, font, width: float) -> str:
    """`text` on one line, cut with an ellipsis if it is too wide."""
    if _width(draw, text, font) <= width:
        return text
    while text and _width(draw, text + "…", font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(draw, text: str, font, width: float, max_lines: int) -> tuple[list[str], bool]:
    """Words in lines no wider than `width`; (lines, whether all of the text fit)."""
    lines: list[str] = []
    words = text.split()
    current = ""
    for i, word in enumerate(words):
        trial = f"{current} {word}".strip()
        if _width(draw, trial, font) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        current = word
        if len(lines) == max_lines:
            rest = " ".join([lines.pop(), *words[i:]])
            lines.append(_fit_line(draw, rest, font, width))
            return lines, False
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], _fit_line(draw, rest, font, width)]
        return lines, False
    fits = all(_width(draw, line, font) <= width for line in lines)
    return [_fit_line(draw, line, font, width) for line in lines], fits


def draw_card(title: str, when: str, where: str, group: str) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN
    draw.rectangle((0, 0, 16, HEIGHT), fill=ACCENT)
    group_font = _font(True, 34)
    draw.text((MARGIN, 64), _fit_line(draw, group, group_font, inner), font=group_font, fill=MUTED)
    for size in TITLE_SIZES:
        font = _font(True, size)
        lines, fits = wrap(draw, title, font, inner, TITLE_LINES)
        if fits:
            break
    y = 140
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=TEXT)
        y += int(size * 1.22)
    facts_font = _font(False, 38)
    y = HEIGHT - 64 - 2 * 56
    draw.line((MARGIN, y - 28, MARGIN + 120, y - 28), fill=ACCENT, width=6)
    for text in (when, where):
        if text:
            line = _fit_line(draw, text, facts_font, inner)
            draw.text((MARGIN, y), line, font=facts_font, fill=TEXT)
            y += 56
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def card_facts(event: Event) -> tuple[str, str, str, str]:
    start, tz = event.starts_at, event.timezone
    when = format_in_zone(start, tz, "EEE d MMM y, HH:mm") + " " + zone_abbreviation(start, tz)
    where = ", ".join(p for p in (event.venue_name, event.public_address) if p)
    return event.title, when, where, event.group.name


@lru_cache(maxsize=64)
def _cached(_event_id: int, _version: str, facts: tuple[str, str, str, str]) -> bytes:
    return draw_card(*facts)


def event_card(event: Event) -> bytes:
    """The PNG of `event`'s card, drawn once per version of the event."""
    return _cached(event.id, version(event), card_facts(event))


def version(event: Event) -> str:
    """Changes whenever the card may: the event's last change (and its group's name)."""
    stamp = event.updated_at.strftime("%Y%m%d%H%M%S%f")
    return f"{stamp}-{zlib.crc32(event.group.name.encode()):08x}"

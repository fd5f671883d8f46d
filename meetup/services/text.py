"""Names and titles people read: an event's title, a group's name, a person's name, a label.

Two kinds of text are refused wherever one is typed:
- **text with nothing visible**, made only of zero-width, format or blank characters: it shows
  as an empty line, a blank link, an attendee nobody can find;
- **text holding a bidi override, embedding or isolate** (U+202A-U+202E, U+2066-U+2069): it
  reverses what follows it on the page, in emails and in calendar apps, so one name can pass
  for another ("Trojan Source"). Marks that only set a direction (LRM, RLM) are kept: right-
  to-left names need them.
"""

from __future__ import annotations

import unicodedata

DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that draw nothing (Hangul fillers, the blank Braille pattern).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_VISIBLE = ("L", "N", "P", "S")  # Unicode categories that draw something


def refusal(value: str | None) -> str | None:
    """Why this name or title can't be stored (an error code), or None. Empty or blank
    text is left to the field's own rule (required or not)."""
    if not value or value.isspace():
        return None
    if any(c in DIRECTION_CONTROLS for c in value):
        return "text_direction_control"
    if not any(_visible(c) for c in value):
        return "text_invisible"
    return None


def _visible(c: str) -> bool:
    return unicodedata.category(c)[0] in _VISIBLE and c not in _BLANK_GLYPHS

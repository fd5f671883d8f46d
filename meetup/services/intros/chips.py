"""The intent chips of the RSVP form and the profile: preselected from what we read in the
person's words, so most people confirm with one tap ("We read: looking for a mentor in data.
Right?").

What is stored (Rsvp.intents, and User.looking_intents / offer_intents / declined_intents
for the profile): the tags ticked, and the tags we read that the person unticked (declined).
What counts for introductions is then: their words, less what they declined, plus what they
ticked (reading.read_person).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import get_locale, gettext

from . import intents
from .reading import Reading, read_person
from .reasons import shown_lang, what


@dataclass(frozen=True)
class Chips:
    looking: tuple[str, ...]  # tags ticked under "I'm looking for"
    offer: tuple[str, ...]  # tags ticked under "I can offer"
    read: tuple[str, ...]  # tags read in the words (the form sends them back)
    summary: str  # "looking for a mentor in data; can offer advice on design", or ""


def chips(
    looking_for: str,
    can_offer: str,
    ticked: Iterable[str] = (),
    declined: Iterable[str] = (),
) -> Chips:
    """The chips to show for these words and what was answered before."""
    reading = read_person(looking_for or "", can_offer or "")
    read_looking, read_offer = reading.tags
    read = (*read_looking, *read_offer)
    dropped = set(declined)
    shown = intents.clean([*ticked, *(t for t in read if t not in dropped)])
    looking, offer = intents.split_tags(shown, ())
    offer = tuple(t for t in offer if intents.INTENTS[t].side == "offer")
    return Chips(looking, offer, intents.clean(read), summary(reading))


def answered(looking: Sequence[str], offer: Sequence[str], read: Iterable[str]) -> dict | None:
    """What to store from a form with chips: the tags ticked, those read but unticked
    (declined), and all those read (the next page asks again only about new ones). None
    when the chips said nothing (none read, none ticked): the words count alone."""
    ticked = intents.clean([*looking, *offer])
    read = intents.clean(read)
    if not ticked and not read:
        return None
    return {
        "looking": list(intents.split_tags(ticked, ())[0]),
        "offer": [t for t in ticked if intents.INTENTS[t].side == "offer"],
        "declined": [t for t in read if t not in ticked],
        "read": list(read),
    }


def confirmed(saved: dict | None, shown: Chips) -> bool:
    """Whether everything read now was shown when the chips were last answered."""
    return saved is not None and set(shown.read) <= set(saved.get("read", ()))


def parse_read(value: str | None) -> tuple[str, ...]:
    return intents.clean((value or "").replace(",", " ").split())


def summary(reading: Reading) -> str:
    """What we read, in the page's language: "looking for a mentor in data; can offer …"."""
    locale = get_locale()
    lang = shown_lang(locale.language if locale and locale.language in ("en", "fr") else "en")
    parts = [
        gettext("looking for %(what)s", what=what(i, i.fields[0] if i.fields else None, lang))
        for i in reading.needs
    ]
    parts += [
        gettext("can offer %(what)s", what=what(i, i.fields[0] if i.fields else None, lang))
        for i in reading.offers
        if i.kind != "cofounder"
    ]
    return "; ".join(parts)

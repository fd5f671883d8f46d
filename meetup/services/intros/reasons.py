"""Why two people should meet, as each of them reads it, in their language.

A reason names the ask and the offer that met ("You are looking for a mentor in data"; "Léa
offers mentoring in streaming data"), quotes each person's own words for it (the clause it
was read from), both ways when both ways meet, then shared interests. Field names come from
the lexicon in the reader's language; the sentences are translatable strings. A pair that
only shares words quotes both texts (the words were compared without stop words or generic
words, see scoring.terms); a pair that only shares interests names them.

The reader's language: their saved locale when they have one (Person.lang), else the
language they wrote in, else the current one.
"""

from __future__ import annotations

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from .complements import best_match
from .concepts import lexicon
from .reading import Intent
from .scoring import MIN_COMPLEMENT, Cohort

# What is asked (after "looking for") and offered (after "offers"), with and without a field.
_NEED = {
    "job": (_l("a job"), _l("a job in %(field)s")),
    "mentor": (_l("a mentor"), _l("a mentor in %(field)s")),
    "funding": (_l("funding"), _l("funding in %(field)s")),
    "cofounder": (_l("a co-founder"), _l("a co-founder in %(field)s")),
    "advice": (_l("advice"), _l("advice on %(field)s")),
    "service": (_l("a service provider"), _l("a service provider in %(field)s")),
}
_OFFER = {
    "job": (_l("a job"), _l("a job in %(field)s")),
    "mentor": (_l("mentoring"), _l("mentoring in %(field)s")),
    "funding": (_l("investment"), _l("investment in %(field)s")),
    "cofounder": (
        _l("to found a company together"),
        _l("to found a company together, in %(field)s"),
    ),
    "advice": (_l("advice"), _l("advice on %(field)s")),
    "service": (_l("services"), _l("services in %(field)s")),
}


def what(intent: Intent, field: str | None, lang: str) -> str:
    """ "a mentor in data", "mentoring in streaming data": an intent as words."""
    bare, with_field = (_NEED if intent.side == "need" else _OFFER)[intent.kind]
    if field is None:
        return str(bare)
    return str(with_field) % {"field": lexicon().fields[field].names[lang]}


def quote(text: str, limit: int = 110) -> str:
    text = " ".join(text.split()).rstrip(".")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return gettext("“%(text)s”", text=text)


def reader_lang(c: Cohort, i: int) -> str | None:
    lang = c.people[i].lang or c.readings[i].lang
    return lang[:2] if lang and lang[:2] in ("en", "fr") else None


def reason(c: Cohort, me: int, other: int) -> str:
    """Why `me` should meet `other`, as `me` reads it, in `me`'s language."""
    lang = reader_lang(c, me)
    if lang is None:
        return _reason(c, me, other, shown_lang("en"))
    with force_locale(lang):
        return _reason(c, me, other, shown_lang(lang))


def shown_lang(lang: str) -> str:
    """The language the sentences come out in, for the field names to follow it: English
    while the catalogue of `lang` has no translation of them."""
    if lang == "en":
        return "en"
    return (
        lang
        if gettext("You are looking for %(need)s", need="-") != "You are looking for -"
        else "en"
    )


def _reason(c: Cohort, me: int, other: int, lang: str) -> str:
    parts = [
        s for s in (_direction(c, me, other, me, lang), _direction(c, other, me, me, lang)) if s
    ]
    if not parts:
        parts = [_words(c, me, other, me) or _words(c, other, me, me)]
        parts = [p for p in parts if p]
    if not parts:  # an ask met by an offer in a related field only: still name both
        parts = [
            s
            for s in (
                _direction(c, me, other, me, lang, floor=0.0),
                _direction(c, other, me, me, lang, floor=0.0),
            )
            if s
        ][:1]
    shared = sorted(set(c.interests[me]) & set(c.interests[other]))
    if shared:
        topics = _join([c.interests[me][k] for k in shared[:3]])
        parts.append(
            gettext("You're both into %(topics)s.", topics=topics)
            if parts
            else gettext("You and %(other)s are both into %(topics)s.",
                         other=c.people[other].name, topics=topics)
        )  # fmt: skip
    return " ".join(parts)


def _direction(
    c: Cohort, x: int, y: int, reader: int, lang: str, floor: float = MIN_COMPLEMENT
) -> str:
    """What x asks for that y offers, as `reader` (x or y) reads it:
    "You are looking for a mentor in data (“…”); Léa offers mentoring in data (“…”)." """
    found = best_match(c.readings[x], c.readings[y])
    if found is None or found.score <= 0 or found.score < floor - 1e-9:
        return ""
    need = what(found.need, found.need_field, lang)
    # An offer naming no field is named by its kind alone: lending it the asker's field
    # ("offers advice on streaming data" for "a review of your docs") would say what it is not.
    offer = what(found.offer, found.offer_field, lang)
    need_q = quote(found.need.quote) if found.need.quote else ""
    offer_q = quote(found.offer.quote) if found.offer.quote else ""
    fields = {"x": c.people[x].name, "y": c.people[y].name, "need": need, "offer": offer}
    if reader == x:
        first = gettext("You are looking for %(need)s", **fields)
        second = gettext("%(y)s offers %(offer)s", **fields)
    else:
        first = gettext("%(x)s is looking for %(need)s", **fields)
        second = gettext("you offer %(offer)s", **fields)
    if found.offer.kind == "job":  # "Ben is hiring in sales" rather than "offers a job in"
        second = _hiring(c.people[y].name if reader == x else None, found, lang)
    if need_q:
        first = gettext("%(part)s (%(quote)s)", part=first, quote=need_q)
    if offer_q:
        second = gettext("%(part)s (%(quote)s)", part=second, quote=offer_q)
    return gettext("%(first)s; %(second)s.", first=first, second=second)


def _hiring(name: str | None, found, lang: str) -> str:
    key = found.offer_field
    field = lexicon().fields[key].names[lang] if key else None
    if name is None:
        return (
            gettext("you are hiring in %(field)s", field=field)
            if field
            else gettext("you are hiring")
        )
    if field:
        return gettext("%(name)s is hiring in %(field)s", name=name, field=field)
    return gettext("%(name)s is hiring", name=name)


def _words(c: Cohort, x: int, y: int, reader: int) -> str:
    """x's "looking for" against y's "can offer" when they share words but no concept."""
    px, py = c.people[x], c.people[y]
    if not (px.looking_for.strip() and py.can_offer.strip()) or not c.text(x, y):
        return ""
    fields = {"x": px.name, "y": py.name, "x_words": quote(px.looking_for),
              "y_words": quote(py.can_offer)}  # fmt: skip
    if reader == x:
        return gettext("You are looking for %(x_words)s; %(y)s can offer %(y_words)s.", **fields)
    return gettext("%(x)s is looking for %(x_words)s; you can offer %(y_words)s.", **fields)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return gettext("%(first)s and %(last)s", first=", ".join(items[:-1]), last=items[-1])

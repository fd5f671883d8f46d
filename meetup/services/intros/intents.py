"""The fixed vocabulary of intent tags people pick to say what they look for and can offer.

Every "looking" tag is met by exactly one "offer" tag (its complement): looking_for_job is
met by hiring, learning_data by advice_on_data. looking_for_cofounder is its own complement:
two people looking for a co-founder are each what the other is looking for.

A tag's side is fixed by the vocabulary, not by the list it was stored in, so a "hiring"
picked under "looking for" still counts as an offer (see `split_tags`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Intent:
    tag: str
    side: str  # "looking", "offer" or "both"
    complement: str  # the tag on the other side that meets this one
    label: object  # lazy string for forms: "Looking for a job"
    phrase: object  # lazy string for reasons, after a name: "is looking for a job"
    you_phrase: object  # the same, after "you": "are looking for a job"


# (looking tag, offer tag): label, phrase and you-phrase of each side. Reasons are read by one
# of the two people: "You are looking for a job; Ben is hiring."
_PAIRS = (
    ("looking_for_job", "hiring",
     _l("Looking for a job"), _l("is looking for a job"), _l("are looking for a job"),
     _l("Hiring"), _l("is hiring"), _l("are hiring")),
    ("looking_for_mentor", "mentoring",
     _l("Looking for a mentor"), _l("is looking for a mentor"), _l("are looking for a mentor"),
     _l("Mentoring"), _l("offers mentoring"), _l("offer mentoring")),
    ("raising_funds", "investing",
     _l("Raising funds"), _l("is raising funds"), _l("are raising funds"),
     _l("Investing"), _l("invests in companies"), _l("invest in companies")),
    ("looking_for_provider", "looking_for_clients",
     _l("Looking for a service provider"), _l("is looking for a service provider"),
     _l("are looking for a service provider"),
     _l("Offering services (looking for clients)"), _l("offers services"), _l("offer services")),
    # "Learning X" <-> "Advice on X", for a few topics.
    ("learning_engineering", "advice_on_engineering",
     _l("Learning software engineering"), _l("wants to learn software engineering"),
     _l("want to learn software engineering"),
     _l("Advice on software engineering"), _l("can advise on software engineering"),
     _l("can advise on software engineering")),
    ("learning_data", "advice_on_data",
     _l("Learning data and AI"), _l("wants to learn data and AI"),
     _l("want to learn data and AI"),
     _l("Advice on data and AI"), _l("can advise on data and AI"),
     _l("can advise on data and AI")),
    ("learning_product", "advice_on_product",
     _l("Learning product management"), _l("wants to learn product management"),
     _l("want to learn product management"),
     _l("Advice on product management"), _l("can advise on product management"),
     _l("can advise on product management")),
    ("learning_design", "advice_on_design",
     _l("Learning design"), _l("wants to learn design"), _l("want to learn design"),
     _l("Advice on design"), _l("can advise on design"), _l("can advise on design")),
    ("learning_marketing", "advice_on_marketing",
     _l("Learning marketing"), _l("wants to learn marketing"), _l("want to learn marketing"),
     _l("Advice on marketing"), _l("can advise on marketing"), _l("can advise on marketing")),
    ("learning_sales", "advice_on_sales",
     _l("Learning sales"), _l("wants to learn sales"), _l("want to learn sales"),
     _l("Advice on sales"), _l("can advise on sales"), _l("can advise on sales")),
    ("learning_leadership", "advice_on_leadership",
     _l("Learning leadership"), _l("wants to learn leadership"), _l("want to learn leadership"),
     _l("Advice on leadership"), _l("can advise on leadership"),
     _l("can advise on leadership")),
)  # fmt: skip

_ALL: tuple[Intent, ...] = (
    Intent("looking_for_cofounder", "both", "looking_for_cofounder",
           _l("Looking for a co-founder"), _l("is looking for a co-founder"),
           _l("are looking for a co-founder")),
    *(
        intent
        for need, offer, need_label, need_phrase, need_you, offer_label, offer_phrase, offer_you
        in _PAIRS
        for intent in (
            Intent(need, "looking", offer, need_label, need_phrase, need_you),
            Intent(offer, "offer", need, offer_label, offer_phrase, offer_you),
        )
    ),
)  # fmt: skip

INTENTS: dict[str, Intent] = {i.tag: i for i in _ALL}
# Form choices, in vocabulary order. The co-founder tag counts on both sides but is offered
# once, under "looking for": "I can offer: Looking for a co-founder" read as a mistake.
LOOKING_TAGS: tuple[str, ...] = tuple(i.tag for i in _ALL if i.side in ("looking", "both"))
OFFER_TAGS: tuple[str, ...] = tuple(i.tag for i in _ALL if i.side == "offer")


def complement(tag: str) -> str:
    return INTENTS[tag].complement


def label(tag: str) -> str:
    return str(INTENTS[tag].label)


def phrase(tag: str, *, you: bool = False) -> str:
    """What follows a name ("is hiring"), or "you" ("are hiring")."""
    intent = INTENTS[tag]
    return str(intent.you_phrase if you else intent.phrase)


def clean(tags: Iterable[str] | None) -> tuple[str, ...]:
    """Known tags only, without duplicates, in vocabulary order (stored data may be stale)."""
    given = set(tags or ())
    return tuple(i.tag for i in _ALL if i.tag in given)


def split_tags(
    looking: Iterable[str] | None, offer: Iterable[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(needs, offers) by each tag's side in the vocabulary, wherever it was stored."""
    tags = clean([*(looking or ()), *(offer or ())])
    needs = tuple(t for t in tags if INTENTS[t].side in ("looking", "both"))
    offers = tuple(t for t in tags if INTENTS[t].side in ("offer", "both"))
    return needs, offers

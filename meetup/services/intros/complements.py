"""How well one person's offers meet another's needs, as concepts (not shared words).

Each person's reading (reading.py) becomes two sparse rows over the same columns:
  needs[a]  what a asks for: per intent kind and facet (skill, sector), its fields, weighted
            so that they add up to 1 per facet, plus a "*" column per facet asked about;
  meets[b]  what b's offers can meet: for each field offered, every field it is compatible
            with (the same 1, narrower or broader less, siblings less still: Lexicon.compat),
            the best of b's offers kept per column.
Their product is the direction's strength: the mean over facets of how well the best offer
meets the fields asked, 0.75 for a facet the offer leaves open, 0.6 for an ask with no field.
A facet naming several fields ("funding for our open-source data quality library": software
and data) mostly describes one thing from several sides, so it counts mainly how well its
best-met field is met (BEST_FIELD of it, a group column the meet rows fill with their best
value over the group, see with_groups), and the mean over its fields for the rest: one of
the two fields met fully is 0.875 of the facet, both 1.
An ask about one facet only (a skill: "feedback on our user interviews") is met at 0.5 by an
offer that names fields of the other facet only ("feedback on fundraising decks", a sector):
it is about something else, not open to anything.
Kinds only meet their own (a mentor is met by mentoring), except that advice and mentoring
stand in for each other, and advice and a provider for each other, at a discount.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .concepts import lexicon
from .reading import Intent, Reading

OPEN_FACET = 0.75  # the offer names no field of a facet the need names
NO_FIELD = 0.6  # the need names no field at all
OTHER_FACET = 0.5  # a one-facet need against an offer naming only the other facet
BEST_FIELD = 0.75  # of a facet naming several fields, the share its best-met field decides
# (need kind, offer kind) -> factor, beyond each kind meeting itself.
# An expert who advises may also take on the work asked of a provider, at a discount.
# A provider of the field is also someone to ask for advice in it ("help securing our site":
# a security consultant), at the same discount.
CROSS = {
    ("advice", "mentor"): 0.9,
    ("mentor", "advice"): 0.8,
    ("service", "advice"): 0.6,
    ("advice", "service"): 0.6,
}
FACETS = ("skill", "sector")


def _by_facet(fields: Sequence[str]) -> dict[str, list[str]]:
    lex = lexicon()
    out: dict[str, list[str]] = {}
    for f in fields:
        out.setdefault(lex.fields[f].facet, []).append(f)
    return out


def need_row(needs: Sequence[Intent]) -> dict[tuple, float]:
    row: dict[tuple, float] = {}
    for n in needs:
        facets = _by_facet(n.fields)
        if not facets:
            row[(n.kind, "?")] = row.get((n.kind, "?"), 0.0) + 1.0
            continue
        # A one-facet need has its own open column: see OTHER_FACET.
        star = "*" if len(facets) > 1 else "*1"
        for facet, fs in facets.items():
            share = 1.0 / len(facets)
            row[(n.kind, facet, star)] = row.get((n.kind, facet, star), 0.0) + share
            fs = list(dict.fromkeys(fs))
            mean = share if len(fs) == 1 else share * (1.0 - BEST_FIELD)
            if len(fs) > 1:
                best = (n.kind, facet, ("best", *sorted(fs)))
                row[best] = row.get(best, 0.0) + share * BEST_FIELD
            for f in fs:
                row[(n.kind, facet, f)] = row.get((n.kind, facet, f), 0.0) + mean / len(fs)
    return row


def groups_by_field(needs: Iterable[dict[tuple, float]]) -> dict[tuple, list[tuple]]:
    """The group columns of need rows, under each of their field columns."""
    out: dict[tuple, list[tuple]] = {}
    for row in needs:
        for col in row:
            if isinstance(col[-1], tuple):
                kind, facet, (_best, *fs) = col
                for f in fs:
                    group = out.setdefault((kind, facet, f), [])
                    if col not in group:
                        group.append(col)
    return out


def with_groups(meet: dict[tuple, float], groups: dict[tuple, list[tuple]]) -> dict[tuple, float]:
    """A meet row with each group column the needs use at its best field's value."""
    out = dict(meet)
    for col, w in meet.items():
        for group in groups.get(col, ()):
            if w > out.get(group, 0.0):
                out[group] = w
    return out


def meet_row(offers: Sequence[Intent]) -> dict[tuple, float]:
    lex = lexicon()
    row: dict[tuple, float] = {}

    def put(col: tuple, w: float) -> None:
        if w > row.get(col, 0.0):
            row[col] = w

    for o in offers:
        targets = [(o.kind, 1.0)] + [
            (need, c) for (need, offer), c in CROSS.items() if offer == o.kind
        ]
        facets = _by_facet(o.fields)
        for kind, c in targets:
            put((kind, "?"), c * NO_FIELD)
            for facet in FACETS:
                if facet not in facets:
                    put((kind, facet, "*"), c * OPEN_FACET)
                    put((kind, facet, "*1"), c * (OTHER_FACET if facets else OPEN_FACET))
                    continue
                for g in facets[facet]:
                    for h, w in lex.neighbours(g).items():
                        put((kind, facet, h), c * w)
    return row


def strength(a: Reading, b: Reading) -> float:
    """How well b's offers meet a's needs (the same figure as the matcher's products)."""
    need = need_row(a.needs)
    meet = with_groups(meet_row(b.offers), groups_by_field([need]))
    return sum(w * meet.get(col, 0.0) for col, w in need.items())


@dataclass(frozen=True)
class Match:
    need: Intent
    offer: Intent
    score: float
    need_field: str | None  # the field of the need that matched best (None: none named)
    offer_field: str | None  # the offer's field that met it


def best_match(a: Reading, b: Reading) -> Match | None:
    """The one ask of a and offer of b that meet best, for the reason (None if none)."""
    lex = lexicon()
    best: Match | None = None
    for n in a.needs:
        for o in b.offers:
            c = 1.0 if o.kind == n.kind else CROSS.get((n.kind, o.kind), 0.0)
            if not c:
                continue
            score, nf, of = c * NO_FIELD, None, None
            if n.fields:
                score, nf, of = 0.0, n.fields[0], None
                for f in n.fields:
                    for g in o.fields or ():
                        w = c * lex.compat(f, g)
                        if w > score:
                            score, nf, of = w, f, g
                if of is None:  # the offer names no field of the need's facet, or another
                    score = c * (OTHER_FACET if o.fields else OPEN_FACET)
                    of = o.fields[0] if o.fields else None
            elif o.fields:
                of = o.fields[0]
            if best is None or score > best.score:
                best = Match(n, o, score, nf, of)
    return best

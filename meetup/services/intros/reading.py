"""Reading what people write: the language of each text, and the asks and offers in it.

A person writes two short texts, "looking for" and "can offer", in French, English or both.
`read_person` finds in them, with the lexicon (concepts.py):
  * intents: a kind (job, mentor, funding, cofounder, advice, service) on a side (need or
    offer), with the fields it is about and the clause it was read from (quoted in reasons);
  * the person's own fields (roles they say they hold, what they offer).

How a text is read:
  1. its language: French and English stop words, accents and elisions, counted;
  2. its clauses (sentences, semicolons, lines, "but"/"mais"), each with a side: the box's,
     unless an ask marker ("je cherche") makes it a need, or an offer or self marker ("happy
     to", "I'm a") an offer;
  3. labels of both languages, on stems of their own language, longest first; a cue gives an
     intent on its side ("we're hiring": an offer wherever written), or on the clause's side
     ("a mentor"); a cue right after a negation ("pas de CDI") is dropped;
  4. roles: someone sought under "looking for" without a cue is someone to hire ("un
     développeur backend"), a founder role ("un CTO") a co-founder; a role after "I'm a" is
     the writer's own;
  5. fields go to the cue before them in their phrase ("checks for data startups", "advice
     on X"; phrases are cut at "and"/"et", for good at ", and"/", et"), else to the nearest
     cue of their clause; a cue with no field takes its phrase's, or its clause's unless a
     ", and" stands between ("a mentor for my move into UX": in UX; "pre-seed checks, and
     advice on going from engineer to CTO": money for any field); a clause of fields alone
     goes to the box's intents that have none, else reads as advice (asked or offered),
     except a clause of interests ("Into jazz", "Passionné de musique", "Curieux de tout")
     or, under "looking for", of who the writer is ("I'm a PM", "Product manager in fintech"): those
     ask and offer nothing; advice about no field at all is dropped too;
  6. a job sought without a field is in the writer's own fields, and so is a co-founder
     offered: what the writer brings.
Pure and deterministic; a text is read once per process (lru_cache).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .concepts import TOPIC_FIELDS, Entry, fold, lexicon, tokens, unblank

LOOKING, OFFERING = "looking", "offer"  # the two boxes
_CLAUSE_END = re.compile(r"[.;!?\n•·|]+|\s[-–—]\s|\bbut\b|\bmais\b|\bhowever\b|\bcependant\b", re.I)
# Coordination inside a clause: a field belongs to a cue of its own phrase; after ", and"
# a new item starts, whose cue takes nothing from the others.
_AND = re.compile(r"\s(?:and|et|&|\+)\s", re.I)
_THEN = re.compile(
    r",\s*(?:and|et|plus|also|aussi|as well as|ainsi que)\s|\s(?:as well as|ainsi que)\s", re.I
)
_AT = frozenset({"in", "at", "chez", "dans", "en", "au", "aux"})  # "PM in fintech", "dev chez X"
_FR_HINTS = re.compile(r"[éèêàùçôîœ]|\b(?:[ljdnmst]|qu)'", re.I)


@dataclass(frozen=True)
class Intent:
    kind: str  # one of concepts.KINDS
    side: str  # "need" or "offer"
    fields: tuple[str, ...] = ()  # field keys, most specific as written
    quote: str = ""  # the writer's clause it was read from
    box: str = ""  # LOOKING or OFFERING, "" for a tag ticked with no words
    cue: str = ""  # the words that gave it

    @property
    def tag(self) -> str | None:
        """The form tag this intent is ("hiring", "learning_data"), None if none fits."""
        need_tag, offer_tag = lexicon().tags[self.kind]
        base = need_tag if self.side == "need" else offer_tag
        if self.kind != "advice":
            return base
        lex = lexicon()
        for f in self.fields:
            topic = lex.topic(f)
            if topic:
                return f"{base}_{topic}" if base == "learning" else f"advice_on_{topic}"
        return None


@dataclass(frozen=True)
class Reading:
    lang: str | None  # the language the person writes in, if it shows
    needs: tuple[Intent, ...] = ()
    offers: tuple[Intent, ...] = ()
    own_fields: tuple[str, ...] = ()  # roles held and fields offered
    langs: dict[str, str | None] = field(default_factory=dict)  # per box

    @property
    def tags(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(looking tags, offer tags) of what was read, for the forms' chips."""
        return _uniq(i.tag for i in self.needs if i.tag), _uniq(
            i.tag for i in self.offers if i.tag and i.kind != "cofounder"
        )


@dataclass
class _Mention:
    entry: Entry
    start: int  # token index
    end: int
    clause: int


# ---------------------------------------------------------------- language


def language(text: str) -> str | None:
    """ "fr", "en" or None (too short or too mixed to say)."""
    lex = lexicon()
    fr = en = 0.0
    for tok, _s, _e in tokens(text):
        f = fold(tok)
        in_fr, in_en = f in lex.stop["fr"], f in lex.stop["en"]
        if in_fr and not in_en:
            fr += 1
        elif in_en and not in_fr:
            en += 1
    fr += 0.5 * len(_FR_HINTS.findall(text))
    if fr == en:
        return None
    return "fr" if fr > en else "en"


# ---------------------------------------------------------------- matching labels


def _clauses(text: str, toks: Sequence[tuple[str, int, int]]) -> list[int]:
    """The clause number of each token."""
    return _cuts(text, toks, _CLAUSE_END)


def _cuts(text: str, toks: Sequence[tuple[str, int, int]], *seps: re.Pattern) -> list[int]:
    """The number of each token's stretch of text between separators (0, 1, ...)."""
    clean = unblank(text)
    cuts = sorted(m.start() for sep in seps for m in sep.finditer(clean))
    out, c = [], 0
    for _tok, start, _end in toks:
        while c < len(cuts) and cuts[c] < start:
            c += 1
        out.append(c)
    return out


def _mentions(text: str, lang: str | None) -> tuple[list, list[_Mention]]:
    lex = lexicon()
    toks = tokens(text)
    clause = _clauses(text, toks)
    folded = [fold(t) for t, _s, _e in toks]
    found: list[_Mention] = []
    for tl in ("en", "fr"):
        keys = [lex.stemmers[tl].key(f) for f in folded]
        keys = [lex.fix(f, tl) or k for f, k in zip(folded, keys, strict=True)]
        exact = ["=" + t for t, _s, _e in toks]
        whole = ["~" + f for f in folded]
        content = [i for i, f in enumerate(folded) if f not in lex.stop[tl]]
        for stream, positions in (("raw", range(len(toks))), ("content", content)):
            trie = lex.tries[tl].get(stream, {})
            positions = list(positions)
            for n, first in enumerate(positions):
                frontier = [(trie, n)]
                while frontier:
                    node, m = frontier.pop()
                    if m > n and None in node:
                        for entry in node[None]:
                            if entry.only and lang and entry.only != lang:
                                continue
                            end = positions[m - 1] + 1
                            if clause[first] == clause[end - 1]:
                                found.append(_Mention(entry, first, end, clause[first]))
                    if m >= len(positions):
                        continue
                    i = positions[m]
                    for k in {keys[i], exact[i], whole[i]}:
                        if k in node:
                            frontier.append((node[k], m + 1))
    return toks, found


def _longest(mentions: Iterable[_Mention], words: Sequence[str]) -> list[_Mention]:
    """Non-overlapping, longest first (then earliest). At one span, labels written exactly
    as in the text win over labels that only share its stem ("mentor" over "mentored");
    the entries left all count."""
    chosen: list[_Mention] = []
    taken: set[int] = set()
    spans: dict[tuple[int, int], list[_Mention]] = {}
    for m in mentions:
        spans.setdefault((m.start, m.end), []).append(m)
    for (start, end), group in sorted(spans.items(), key=lambda kv: (kv[0][0] - kv[0][1], kv[0])):
        if taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            written = fold(" ".join(words[start:end]))
            exact = [m for m in group if _plain(m.entry.label) == written]
            seen = []
            for m in exact or group:
                if m.entry not in seen:
                    seen.append(m.entry)
                    chosen.append(m)
    return sorted(chosen, key=lambda m: (m.start, m.end))


def _first_person(label: str) -> bool:
    return fold(label).startswith(("i'", "i am", "je ", "j'", "suis", "we", "moi"))


def _plain(label: str) -> str:
    label = label[:-3] if label.endswith(("@fr", "@en")) else label
    return fold(" ".join(t for t, _s, _e in tokens(label.lstrip("=~"))))


# ---------------------------------------------------------------- reading one box


@dataclass
class _Box:
    intents: list[Intent]
    loose: list[str]  # fields of clauses without a cue, when the box has intents elsewhere
    own: list[str]  # roles the writer holds, fields offered


@lru_cache(maxsize=20000)
def read_box(text: str, box: str, lang: str | None = None) -> _Box:
    """The intents of one box ("looking" or "offer"). `lang`: the text's language."""
    text = text or ""
    lex = lexicon()
    toks, found = _mentions(text, lang)
    words = [t for t, _s, _e in toks]
    clause_ids = sorted({m.clause for m in found})
    box_side = "need" if box == LOOKING else "offer"

    by_kind: dict[str, list[_Mention]] = {}
    for m in found:
        group = m.entry.kind if m.entry.kind in ("field", "role") else "cue"
        if m.entry.kind in ("ask", "offer", "self", "negation", "join", "interest"):
            group = "marker"
        by_kind.setdefault(group, []).append(m)
    concepts = _longest([*by_kind.get("field", ()), *by_kind.get("role", ())], words)
    cues = _longest(by_kind.get("cue", ()), words)
    markers = _longest(by_kind.get("marker", ()), words)

    def span(start: int, end: int) -> str:
        return text[toks[start][1] : toks[end - 1][2]]

    def clause_text(c: int) -> str:
        idx = [i for i, _t in enumerate(toks) if _clause_of[i] == c]
        return span(idx[0], idx[-1] + 1).strip() if idx else ""

    _clause_of = _clauses(text, toks)
    phrase = _cuts(text, toks, _AND, _THEN)  # per token: its phrase, and its item
    item = _cuts(text, toks, _THEN)
    intents: list[Intent] = []
    loose: list[str] = []
    own: list[str] = []
    for c in clause_ids:
        c_markers = [m for m in markers if m.clause == c]
        c_cues = [m for m in cues if m.clause == c]
        c_concepts = [m for m in concepts if m.clause == c]
        side = box_side
        first = min(
            (m for m in c_markers if m.entry.kind in ("ask", "offer")),
            key=lambda m: m.start,
            default=None,
        )
        clause_start = min((i for i, cc in enumerate(_clause_of) if cc == c), default=0)
        said = first is not None  # the side is in the words, not only the box's
        if first is not None:  # "je cherche", "happy to": the clause says its side
            side = "need" if first.entry.kind == "ask" else "offer"
        elif any(
            m.entry.kind == "self" and m.start - clause_start <= 1 and _first_person(m.entry.label)
            for m in c_markers
        ):
            side = "offer"  # "I'm a data engineer, ...": what the writer is
        # "Into bouldering, jazz", "Passionné de musique", "Curieux de tout": what the writer
        # likes. With no ask or offer marker, the clause asks and offers nothing (only a cue
        # whose side is in its words still counts: "Passionate about data, open to work").
        interest = not said and any(
            m.entry.kind == "interest" and (m.entry.side != "start" or m.start == clause_start)
            for m in c_markers
        )
        # "Product manager in fintech" under "looking for": a title at the writer's place
        # (a role opening the clause, no article, then "in"/"at"/"chez"...) says who they
        # are, not whom they seek.
        title = False
        if box == LOOKING and not said:
            lead = [m for m in c_concepts if m.entry.kind == "role" and m.start == clause_start]
            if lead:
                after = max(m.end for m in lead)
                title = after < len(words) and _clause_of[after] == c and fold(words[after]) in _AT
        # A role written before the clause's ask is the writer's own, as a title ("Account
        # executive, 6 years in SaaS, looking for my next gig"; "Game dev looking for a job").
        asked_at = first.start if first is not None and first.entry.kind == "ask" else None
        # A cue inside a longer field or role is part of it ("expert-comptable", "back-end",
        # "employment contracts", "customer success").
        c_cues = [
            m
            for m in c_cues
            if not any(
                k.start <= m.start and m.end <= k.end and (k.end - k.start) > (m.end - m.start)
                for k in c_concepts
            )
        ]
        negations = [m.end for m in c_markers if m.entry.kind == "negation"]
        # "not looking for a job", "je ne cherche pas de CDI": a negated marker negates
        # what follows it.
        negations += [
            k.end
            for k in c_markers
            if k.entry.kind in ("ask", "offer") and any(0 <= k.start - n <= 1 for n in negations)
        ]
        selves = [m.end for m in c_markers if m.entry.kind == "self"]
        if title:
            selves.append(clause_start)
        # "no hiring plans", "pas de recrutement": a word that is both a cue and a field,
        # negated, is not a field of the clause's other asks either.
        cue_spans = {(m.start, m.end) for m in c_cues}
        c_concepts = [
            m
            for m in c_concepts
            if not ((m.start, m.end) in cue_spans and any(0 <= m.start - n <= 1 for n in negations))
        ]

        # Cues -> (kind, side, position)
        placed: list[tuple[str, str, int, str]] = []
        founder = any(m.entry.kind == "founder_role" for m in c_cues)
        concept_spans = {(m.start, m.end) for m in c_concepts}
        real = [m for m in c_cues if m.entry.kind == "intent"]
        if len(real) > 1:  # "advice on recruiting": a field here, not a cue
            real = [m for m in real if (m.start, m.end) not in concept_spans] or real[:1]
        # The cue clauses with the same kind's fixed cue take its side ("des missions
        # freelance": a freelancer's offer, not a search for one).
        fixed = {m.entry.target: m.entry.side for m in real if m.entry.side in ("need", "offer")}
        # "Je suis business angel et je cherche des startups à financer": a kind the writer
        # says they are is offered, whatever else the clause says of it.
        for m in real:
            if m.entry.side == "box" and any(0 <= m.start - n <= 2 for n in selves):
                fixed[m.entry.target] = "offer"

        # Roles sought here, to fill ("a data analyst, full-time"): their last token's end.
        to_fill = [
            toks[r.end - 1][2]
            for r in c_concepts
            if r.entry.kind == "role"
            and not (asked_at is not None and r.end <= asked_at)
            and not any(0 <= r.start - n <= 3 for n in selves)
            and lex.fields[r.entry.target].sought == "job"
            and lex.top(r.entry.target) != "entrepreneurship"
        ]
        if interest:
            real = [m for m in real if m.entry.side in ("need", "offer")]
        for m in real:
            if any(0 <= m.start - n <= 2 for n in negations):
                continue
            e = m.entry
            cue_side = e.side
            if e.kind == "intent" and e.target == "advice" and cue_side == "offer":
                cue_side = "box"  # "10 years of sales" sought or offered: the clause says
            if cue_side == "box":
                cue_side = fixed.get(e.target, side)
                # A role sought, then a job word apart from it: a role to fill ("un·e chef·fe
                # de projet, CDI"), not one wanted ("a developer position").
                at = toks[m.start][1]
                if (
                    e.target == "job"
                    and cue_side == "need"
                    and any(end <= at and text[end:at].strip() for end in to_fill)
                ):
                    cue_side = "offer"
            elif (
                cue_side == "need"
                and side == "offer"
                and e.target in ("advice", "mentor")
                and (said or box == OFFERING)
            ):
                continue  # "juniors who are starting out" under "can offer": the audience
            elif cue_side == "need" and side == "offer" and box == OFFERING:
                continue  # "I help founders raise": someone else's need
            placed.append((e.target, cue_side, m.start, span(m.start, m.end)))
        # Roles
        fields_here: list[tuple[str, int]] = []
        own_here: set[str] = set()  # roles the writer says they hold in this clause
        c_concepts = [
            m for m in c_concepts if not any(c.start <= m.start and m.end <= c.end for c in real)
        ]
        for m in c_concepts:
            is_self = (
                any(0 <= m.start - n <= 3 for n in selves)
                or (box == OFFERING and side == "offer")
                or (m.entry.kind == "role" and asked_at is not None and m.end <= asked_at)
            )
            if m.entry.kind == "role" and is_self:
                own.append(m.entry.target)
                own_here.add(m.entry.target)
            fields_here.append((m.entry.target, m.start))
        if not placed:
            sought = [m for m in c_concepts if m.entry.kind == "role" and side == "need"]
            sought = [
                m
                for m in sought
                if not any(0 <= m.start - n <= 3 for n in selves)
                and not (asked_at is not None and m.end <= asked_at)
            ]
            joins = any(m.entry.kind == "join" for m in c_markers)
            if founder and (side == "need" or joins):
                first_role = min((m.start for m in c_cues), default=0)
                placed.append(("cofounder", side, first_role, ""))
            elif sought and not all(lex.top(m.entry.target) == "entrepreneurship" for m in sought):
                # Someone to hire, or a provider to engage ("need a lawyer", "un comptable").
                first_role = sought[0]
                if lex.fields[first_role.entry.target].sought == "service":
                    kind_side = ("service", "need")
                else:
                    kind_side = ("job", "offer")
                placed.append(
                    (*kind_side, first_role.start, span(first_role.start, first_role.end))
                )
        identity = title or (
            box == LOOKING
            and not said
            and any(
                m.entry.kind == "self"
                and m.start - clause_start <= 1
                and _first_person(m.entry.label)
                for m in c_markers
            )
        )
        if not placed and (interest or identity):
            continue  # interests and who the writer is: no ask, no offer
        if not placed:
            if fields_here:
                loose.extend(f for f, _p in fields_here)
                if side == "offer":
                    own.extend(f for f, _p in fields_here)
                intents.append(
                    Intent(
                        "advice", side, _uniq(f for f, _p in fields_here), clause_text(c), box, ""
                    )
                )
            continue
        # A field goes to the last cue before it in its phrase ("checks for data startups,
        # and advice on X"), else the first after it there ("a data mentor"), else the
        # nearest in the clause.
        attached: dict[int, list[str]] = {i: [] for i in range(len(placed))}
        for f, pos in fields_here:
            mine = [i for i in range(len(placed)) if phrase[placed[i][2]] == phrase[pos]]
            before = [i for i in mine if placed[i][2] <= pos]
            after = [i for i in mine if placed[i][2] > pos]
            if before:
                best = max(before, key=lambda i: placed[i][2])
            elif after:
                best = min(after, key=lambda i: placed[i][2])
            else:
                best = min(
                    range(len(placed)),
                    key=lambda i: (abs(placed[i][2] - pos), placed[i][2] > pos),
                )
            attached[best].append(f)
        quote = clause_text(c)

        # A cue with no field of its own is about its phrase's, else its clause's ("a mentor
        # for my move into UX": the mentor is in UX too), but not across ", and": "pre-seed
        # checks, and advice on going from engineer to CTO" are checks for any field.
        for i, (kind, s, pos, cue) in enumerate(placed):
            fs = (
                _uniq(attached[i])
                or _uniq(f for f, p in fields_here if phrase[p] == phrase[pos])
                or _uniq(f for f, p in fields_here if item[p] == item[pos])
            )
            if s == "need" and kind != "job" and set(fs) - own_here:
                # "we're two engineers who need help with sales": help in sales, not code
                fs = tuple(f for f in fs if f not in own_here)
            intents.append(Intent(kind, s, fs, quote, box, cue))
            if s == "offer":
                own.extend(fs)
    # A clause of fields alone completes the cue clauses with none ("A mentor. In data.").
    cue_intents = [i for i in intents if i.cue]
    bare = [i for i in cue_intents if not i.fields]
    if bare and any(not i.cue for i in intents):
        loose_fields = _uniq(f for i in intents if not i.cue for f in i.fields)
        intents = [
            replace(i, fields=loose_fields) if (i.cue and not i.fields) else i
            for i in intents
            if i.cue
        ]
    return _Box(_merge(intents), loose, list(_uniq(own)))


def _merge(intents: list[Intent]) -> list[Intent]:
    """One intent per (kind, side): fields pooled, the first quote kept."""
    out: dict[tuple[str, str], Intent] = {}
    for i in intents:
        key = (i.kind, i.side)
        if key in out:
            o = out[key]
            quote = o.quote if i.quote in o.quote else f"{o.quote} … {i.quote}"
            out[key] = replace(o, fields=_uniq([*o.fields, *i.fields]), quote=quote)
        else:
            out[key] = i
    return list(out.values())


def _uniq(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# ---------------------------------------------------------------- a person


def tag_intent(tag: str) -> tuple[str, str, str | None] | None:
    """(kind, side, field) of a form tag: "learning_data" -> ("advice", "need", "data")."""
    lex = lexicon()
    for kind, (need_tag, offer_tag) in lex.tags.items():
        if tag == need_tag:
            return kind, "need", None
        if tag == offer_tag:
            return kind, "offer", None
    for prefix, side in (("learning_", "need"), ("advice_on_", "offer")):
        if tag.startswith(prefix) and tag[len(prefix) :] in TOPIC_FIELDS:
            return "advice", side, TOPIC_FIELDS[tag[len(prefix) :]]
    return None


def read_person(
    looking_for: str = "",
    can_offer: str = "",
    looking_tags: Sequence[str] = (),
    offer_tags: Sequence[str] = (),
    declined: Sequence[str] = (),
) -> Reading:
    """Everything read from one person's two boxes and their ticked tags.

    Tags ticked count as intents (with the fields their box's words give); tags the person
    unticked after we read them (`declined`) take the intents we read back out."""
    looking_for, can_offer = looking_for or "", can_offer or ""
    lang_l, lang_o = language(looking_for), language(can_offer)
    lang = lang_l or lang_o or language(f"{looking_for}\n{can_offer}")
    lb = read_box(looking_for, LOOKING, lang_l or lang)
    ob = read_box(can_offer, OFFERING, lang_o or lang)
    own = _uniq([*lb.own, *ob.own])
    intents = [*lb.intents, *ob.intents]
    declined_set = set(declined)
    ticked = set(looking_tags) | set(offer_tags)
    intents = [i for i in intents if not (i.tag in declined_set and i.tag not in ticked)]
    for tag in _uniq([*looking_tags, *offer_tags]):
        spec = tag_intent(tag)
        if spec is None:
            continue
        kind, side, topic = spec
        sides = ("need", "offer") if kind == "cofounder" else (side,)
        for s in sides:
            if any(
                i.kind == kind and i.side == s and (topic is None or i.tag == tag) for i in intents
            ):
                continue
            words = lb if s == "need" else ob
            fields = (topic,) if topic else _uniq(f for i in words.intents for f in i.fields)
            text = looking_for if s == "need" else can_offer
            intents.append(Intent(kind, s, fields, " ".join(text.split()), "", ""))
    # Co-founders: a search is also what the writer brings, when we know what that is (two
    # people after a technical co-founder, saying nothing of their own, don't meet).
    for i in list(intents):
        if i.kind == "cofounder":
            other = "offer" if i.side == "need" else "need"
            if any(j.kind == "cofounder" and j.side == other for j in intents):
                continue
            if other == "need" or own:
                intents.append(Intent("cofounder", other, (), i.quote, i.box, i.cue))
    # A lawyer or an accountant who advises ("Avocate, je conseille les startups") offers
    # the service too: what people seek of those trades.
    lex = lexicon()
    for i in list(intents):
        if i.side == "offer" and i.kind in ("advice", "mentor"):
            trade = tuple(f for f in i.fields if lex.fields[f].sought == "service")
            if trade and not any(j.kind == "service" and j.side == "offer" for j in intents):
                intents.append(replace(i, kind="service", fields=trade))
    out = []
    for i in intents:
        # An offer naming no field is in the writer's own; but money is not: a former CTO's
        # "pre-seed checks" go to startups of any field, not to software ones.
        if not i.fields and (
            (i.kind == "job" and i.side == "need")
            or (i.kind == "cofounder" and i.side == "offer")
            or (i.side == "offer" and i.kind != "funding")
        ):
            i = replace(i, fields=own)
        out.append(i)
    # Advice about nothing named ("curious, happy to chat", "je viens apprendre") is no ask
    # or offer anyone can meet: it is dropped (a tag ticked still counts).
    out = [i for i in _merge(out) if i.fields or i.kind != "advice" or not i.box]
    needs = tuple(i for i in out if i.side == "need")
    offers = tuple(i for i in out if i.side == "offer")
    return Reading(lang, needs, offers, own, {LOOKING: lang_l, OFFERING: lang_o})

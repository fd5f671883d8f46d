"""The features and scores of introductions: who meets whose needs, and how much alike.

Scoring, per direction (what A asks for against what B offers), from what each person wrote
and ticked, read as concepts (reading.py) and compared by field (complements.py):
  * a complement: B's offers meet A's needs with strength s (0..1 per kind asked; the same
    field 1, related fields less, see complements.py). At or above MIN_COMPLEMENT it is
    worth worth(s): at least 1, doubling with every DOUBLING (0.4) of strength up to 1, so
    a full match (1.0, worth 2.83) outweighs two half-matches (0.5, worth 1.19 each) with
    their tie-breaks. A person's slots filled by half-matches (advice on another facet, a
    sibling field) then never keep out a full one: the matcher maximises the sum, and the
    full match is worth more than the weak one it displaces at each end. Mild on purpose:
    near-full matches (0.8, 0.85) keep close to a full one. Beyond 1 (several needs met) it
    grows by half per need;
  * similarity, for the pair: shared interest tags (Jaccard), A's "looking for" against B's
    "can offer" word for word (TF-IDF cosine over stems of each text's language, without
    stop words or generic words), and complements too weak to count; at most MAX_SIMILAR.
The two directions combine as  d_ab + d_ba + min(d_ab, d_ba): the sum keeps one-way matches
worth proposing (a mentee gains from a mentor who gains little), and the min term rewards
pairs that are mutual. Similarity then adds, in full when there is no complement (always
below the 1 of the weakest one), and as a tie-break (a tenth) when there is one. So a
complement always outranks any amount of similarity, and two people asking for the same
thing share no complement at all.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

import numpy as np

from .complements import groups_by_field, meet_row, need_row, with_groups
from .concepts import fold, lexicon, tokens
from .reading import Reading, language, read_person

MIN_COMPLEMENT = 0.4  # below this strength an ask and an offer don't meet (other fields)
W_INTEREST = 0.5  # times the Jaccard index (0..1) of interest tags
W_TEXT = 0.4  # times the cosine (0..1) of looking_for against can_offer
W_WEAK = 0.5  # times a complement's strength below MIN_COMPLEMENT
MAX_SIMILAR = 0.9  # similarity alone never reaches a complement (at least 1)
DOUBLING = 0.4  # a complement's worth doubles with every 0.4 of strength, up to 1
TIE_BREAK = 0.1  # similarity's share once there is a complement
MIN_TEXT = 0.1  # below this a text overlap is one shared common word: noise
_LEGAL_SUFFIXES = frozenset(
    """inc incorporated llc ltd limited gmbh corp corporation co company sa sas sarl ag bv nv
    plc srl spa oy ab as pty kg""".split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W_]+")


def worth(s: np.ndarray) -> np.ndarray:
    """What a complement of strength s (>= MIN_COMPLEMENT) is worth in a pair's score."""
    full = np.minimum(s, 1.0)
    more = np.clip(s, 1.0, 2.0) - 1.0  # a second need met too
    return 2.0 ** ((full - MIN_COMPLEMENT) / DOUBLING) * (1.0 + more / 2)


def company_key(company: str) -> str:
    """ "ACME, Inc." and "acme" are one company; "" is no company."""
    words = _WORD.findall(unicodedata.normalize("NFKC", company).casefold())
    return " ".join(w for w in words if w not in _LEGAL_SUFFIXES)


def tag_key(tag: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", tag).casefold().split())


def terms(text: str, lang: str | None = None) -> list[str]:
    """The words of a text that can carry a match: stems in the text's language, without
    stop words of either language, generic words ("réseau", "payant"), numbers."""
    lex = lexicon()
    lang = lang or language(text) or "en"
    out = []
    for tok, _s, _e in tokens(text):
        f = fold(tok)
        if len(f.rstrip("'")) < 2 or f.isdigit() or f in lex.generic:
            continue
        if f in lex.stop["en"] or f in lex.stop["fr"]:
            continue
        out.append(lex.stemmers[lang].key(f))
    return out


class _Sparse:
    """Rows of (column, weight) held both by row (CSR) and by column, for block products."""

    def __init__(self, rows: list[dict[int, float]], ncols: int) -> None:
        self.indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        self.indptr[1:] = np.cumsum([len(r) for r in rows])
        self.indices = np.fromiter(
            (c for r in rows for c in sorted(r)), dtype=np.int64, count=int(self.indptr[-1])
        )
        self.data = np.fromiter(
            (r[c] for r in rows for c in sorted(r)), dtype=np.float64, count=int(self.indptr[-1])
        )
        row_of = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(self.indptr))
        order = np.lexsort((row_of, self.indices))  # by column, then row: stable
        self.col_ptr = np.zeros(ncols + 1, dtype=np.int64)
        self.col_ptr[1:] = np.cumsum(np.bincount(self.indices, minlength=ncols))
        self.col_rows = row_of[order]
        self.col_data = self.data[order]

    def dot_block(self, r0: int, r1: int, other: _Sparse, n: int) -> np.ndarray:
        """Dense rows r0..r1 of self @ other.T, shape (r1 - r0, n)."""
        lo, hi = self.indptr[r0], self.indptr[r1]
        rows = np.repeat(np.arange(r1 - r0), np.diff(self.indptr[r0 : r1 + 1]))
        cols, weights = self.indices[lo:hi], self.data[lo:hi]
        counts = other.col_ptr[cols + 1] - other.col_ptr[cols]
        total = int(counts.sum())
        if total == 0:
            return np.zeros((r1 - r0, n))
        firsts = np.cumsum(counts) - counts
        pos = np.repeat(other.col_ptr[cols] - firsts, counts) + np.arange(total)
        flat = np.repeat(rows, counts) * n + other.col_rows[pos]
        values = np.repeat(weights, counts) * other.col_data[pos]
        return np.bincount(flat, weights=values, minlength=(r1 - r0) * n).reshape(r1 - r0, n)


class Cohort:
    """The eligible people, sorted by id, with their features as arrays."""

    def __init__(
        self,
        people: Iterable,
        past_pairs: Iterable[tuple[int, int]],
        blocks: Iterable[tuple[int, int]],
    ) -> None:
        everyone = sorted(people, key=lambda p: p.id)
        ids = [p.id for p in everyone]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate person id")
        self.people = [p for p in everyone if p.eligible]
        self.n = len(self.people)
        self.index = {p.id: i for i, p in enumerate(self.people)}
        self.caps = [min(p.max_intros, 3) for p in self.people]

        self.readings: list[Reading] = [
            read_person(p.looking_for, p.can_offer, tuple(p.looking_intents),
                        tuple(p.offer_intents), tuple(getattr(p, "declined_intents", ())))
            for p in self.people
        ]  # fmt: skip
        needs = [need_row(r.needs) for r in self.readings]
        groups = groups_by_field(needs)
        meets = [with_groups(meet_row(r.offers), groups) for r in self.readings]
        cols = {
            c: i
            for i, c in enumerate(sorted({c for row in (*needs, *meets) for c in row}, key=repr))
        }
        self.needs = _Sparse([{cols[c]: w for c, w in row.items()} for row in needs], len(cols))
        self.meets = _Sparse([{cols[c]: w for c, w in row.items()} for row in meets], len(cols))

        look_terms = [
            Counter(terms(p.looking_for, r.lang))
            for p, r in zip(self.people, self.readings, strict=True)
        ]
        offer_terms = [
            Counter(terms(p.can_offer, r.lang))
            for p, r in zip(self.people, self.readings, strict=True)
        ]
        df = Counter(t for doc in (*look_terms, *offer_terms) for t in doc)
        vocab = {t: i for i, t in enumerate(sorted(df))}
        docs = 2 * self.n
        idf = {t: math.log((1 + docs) / (1 + d)) + 1 for t, d in df.items()}
        self.look_vec = [_tfidf(doc, idf, vocab) for doc in look_terms]
        self.offer_vec = [_tfidf(doc, idf, vocab) for doc in offer_terms]
        self.look = _Sparse(self.look_vec, len(vocab))
        self.offer = _Sparse(self.offer_vec, len(vocab))

        # Interests: normalised keys; the person's own spelling is kept for reasons.
        self.interests = [
            {tag_key(t): t.strip() for t in p.interests if tag_key(t)} for p in self.people
        ]
        ivocab = {k: i for i, k in enumerate(sorted({k for d in self.interests for k in d}))}
        self.interest = _Sparse([{ivocab[k]: 1.0 for k in d} for d in self.interests], len(ivocab))
        self.n_interests = np.array([len(d) for d in self.interests], dtype=np.float64)

        companies = [company_key(p.company) for p in self.people]
        codes = {c: i for i, c in enumerate(sorted(set(companies)))}
        self.company = np.array([codes[c] if c else -1 for c in companies], dtype=np.int64)
        self.colleagues_ok = np.array([p.intro_colleagues for p in self.people], dtype=bool)

        self.excluded: dict[int, list[int]] = {}
        for x, y in (*past_pairs, *blocks):
            if x in self.index and y in self.index and x != y:
                i, j = self.index[x], self.index[y]
                self.excluded.setdefault(i, []).append(j)
                self.excluded.setdefault(j, []).append(i)

    def text(self, i: int, j: int) -> float:
        """i's "looking for" against j's "can offer", word for word (0 below MIN_TEXT)."""
        cos = _cosine(self.look_vec[i], self.offer_vec[j])
        return cos if cos >= MIN_TEXT else 0.0

    def directions(self, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Complement scores (A->B, B->A) for rows A in r0..r1 against every B, and the
        pair's similarity."""
        n = self.n
        inter = self.interest.dot_block(r0, r1, self.interest, n)
        union = self.n_interests[r0:r1, None] + self.n_interests[None, :] - inter
        similar = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        similar *= W_INTEREST
        text = np.maximum(self.look.dot_block(r0, r1, self.offer, n),
                          self.offer.dot_block(r0, r1, self.look, n))  # fmt: skip
        text[text < MIN_TEXT] = 0.0
        similar += W_TEXT * text
        out = []
        for mine, theirs in ((self.needs, self.meets), (self.meets, self.needs)):
            s = mine.dot_block(r0, r1, theirs, n)
            met = s >= MIN_COMPLEMENT - 1e-9
            similar += W_WEAK * np.where(met, 0.0, s)
            out.append(np.where(met, worth(s), 0.0))
        np.minimum(similar, MAX_SIMILAR, out=similar)
        return out[0], out[1], similar

    def scores(self, r0: int, r1: int) -> np.ndarray:
        """Pair scores of rows r0..r1 against everyone; 0 where a pair isn't allowed."""
        ab, ba, similar = self.directions(r0, r1)
        score = np.minimum(ab, ba)
        score += ab
        score += ba
        score += np.where(score > 0, TIE_BREAK, 1.0) * similar
        score = np.round(score, 6)  # equal pairs compare equal whichever row computed them
        rows = np.arange(r1 - r0)
        score[rows, rows + r0] = 0.0
        same = (self.company[r0:r1, None] == self.company[None, :]) & (self.company[None, :] >= 0)
        same &= ~(self.colleagues_ok[r0:r1, None] & self.colleagues_ok[None, :])
        score[same] = 0.0
        for i in range(r0, r1):
            if i in self.excluded:
                score[i - r0, self.excluded[i]] = 0.0
        return score


def _tfidf(doc: Counter, idf: dict[str, float], vocab: dict[str, int]) -> dict[int, float]:
    weights = {vocab[t]: (1 + math.log(c)) * idf[t] for t, c in doc.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm else {}


def _cosine(x: dict[int, float], y: dict[int, float]) -> float:
    if len(x) > len(y):
        x, y = y, x
    return sum(w * y.get(t, 0.0) for t, w in x.items())

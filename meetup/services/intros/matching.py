"""Who to introduce to whom after an event: eligibility, scoring, matching, reasons.

Pure functions over plain dataclasses (no database, no request), so they can be tested and
benchmarked at scale. Deterministic: people are processed by id, ties are broken by id, and
nothing depends on set or dict order of strings (PYTHONHASHSEED varies between processes).

Scoring, per direction (what A looks for against what B offers):
  * complementary intent tags weigh most: W_INTENT for the first match, a little more for
    each further one. One match (2.0) outweighs the most that text and shared interests can
    add together (1.0 + 0.5), so a complement always beats mere similarity;
  * text similarity of A's "looking for" against B's "can offer": TF-IDF cosine over
    stemmed words without stop words (numpy, in blocks: 5,000 people need no n x n matrix);
  * shared interest tags (Jaccard) least.
The two directions combine as  d_ab + d_ba + min(d_ab, d_ba). The sum keeps one-way matches
worth proposing (a mentee gains from a mentor who gains little), and the min term is a
reciprocity bonus: a pair is only as mutual as its weaker side, so a two-way match beats a
one-way one of the same total. Unlike a harmonic mean it doesn't drop a useful one-way match
to zero.

Matching is a maximum-weight b-matching (each person at most `max_intros` pairs): candidate
pruning to each person's top K, greedy by score, then local improvement (swap in an edge for
the weakest edges at its ends, refilling the freed person when that pays), then a fairness
repair so that everyone with a viable candidate gets at least one introduction.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import snowballstemmer
from flask_babel import gettext
from scipy.optimize import linprog
from scipy.sparse import csr_array

from . import intents

W_INTENT = 2.0  # the first complementary intent in a direction
W_INTENT_MORE = 0.5  # each further one, at most two more
W_TEXT = 1.0  # times the cosine (0..1) of looking_for against can_offer
W_INTEREST = 0.5  # times the Jaccard index (0..1) of interest tags
MIN_TEXT = 0.1  # below this a text overlap is one shared common word: noise
TOP_K = 16  # candidates kept per person
_BLOCK = 128  # rows scored at a time: bounds memory to a few (128 x n) float arrays
_EPS = 1e-9
_SIBLING = -2  # an augmenting chain's end: see _Matching.augment

STOP_WORDS = frozenset(
    """a about above after again all also am an and any anyone are as at be been being
    below between both but by can could did do does doing down during each else etc ever
    few for from further get getting had has have having he her here hers him his how i if
    in into is it its just like looking me more most my myself need no nor not now of off
    offer offering on once one only or other our out over own people person really same
    she should so some someone something such than that the their them then there these
    they this those through to too under until up very want wanting was we were what when
    where which while who whom why will with would you your yours help helping interested
    happy love new find finding around anything things thing way ways lot lots""".split()  # noqa: SIM905
)
_LEGAL_SUFFIXES = frozenset(
    """inc incorporated llc ltd limited gmbh corp corporation co company sa sas sarl ag bv nv
    plc srl spa oy ab as pty kg""".split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Person:
    """What the matcher knows of one attendee (built from User + Rsvp by services/intros)."""

    id: int
    name: str
    company: str = ""
    looking_for: str = ""
    can_offer: str = ""
    looking_intents: Sequence[str] = ()
    offer_intents: Sequence[str] = ()
    interests: Sequence[str] = ()
    max_intros: int = 3
    intro_colleagues: bool = False
    checked_in: bool = True
    wants_intros: bool = True

    @property
    def eligible(self) -> bool:
        return self.checked_in and self.wants_intros and self.max_intros > 0


@dataclass(frozen=True)
class Proposal:
    a: int  # a < b
    b: int
    score: float
    reason_for_a: str  # why A should meet B, in both people's words
    reason_for_b: str


@dataclass
class MatchResult:
    pairs: list[Proposal]
    viable: list[int] = field(default_factory=list)  # ids with at least one candidate
    covered: list[int] = field(default_factory=list)  # ids with at least one pair

    @property
    def total_score(self) -> float:
        return sum(p.score for p in self.pairs)

    @property
    def coverage(self) -> float:
        return len(self.covered) / len(self.viable) if self.viable else 1.0


# ---------------------------------------------------------------- words


def company_key(company: str) -> str:
    """ "ACME, Inc." and "acme" are one company; "" is no company."""
    words = _WORD.findall(unicodedata.normalize("NFKC", company).casefold())
    return " ".join(w for w in words if w not in _LEGAL_SUFFIXES)


def tag_key(tag: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", tag).casefold().split())


class _Stems(dict):
    """Word -> stem, remembered: a cohort repeats the same few thousand words."""

    def __init__(self) -> None:
        super().__init__()
        self.stemmer = snowballstemmer.stemmer("english")

    def __missing__(self, word: str) -> str:
        self[word] = stem = self.stemmer.stemWord(word)
        return stem


def terms(text: str, stems: _Stems | None = None) -> list[str]:
    stems = _Stems() if stems is None else stems
    return [
        stems[w]
        for w in _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
        if len(w) > 1 and w not in STOP_WORDS and not w.isdigit()
    ]


def _quote(text: str, limit: int = 110) -> str:
    text = " ".join(text.split()).rstrip(".")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return f"“{text}”"


# ---------------------------------------------------------------- features


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


class _Cohort:
    """The eligible people, sorted by id, with their features as arrays."""

    def __init__(
        self,
        people: Iterable[Person],
        past_pairs: Iterable[tuple[int, int]],
        blocks: Iterable[tuple[int, int]],
    ) -> None:
        everyone = sorted(people, key=lambda p: p.id)
        ids = [p.id for p in everyone]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate person id")
        self.people = [p for p in everyone if p.eligible]
        self.n = n = len(self.people)
        self.index = {p.id: i for i, p in enumerate(self.people)}
        self.caps = [min(p.max_intros, 3) for p in self.people]

        tags = [intents.split_tags(p.looking_intents, p.offer_intents) for p in self.people]
        self.needs = [set(t[0]) for t in tags]
        self.offers = [set(t[1]) for t in tags]
        need_col = {t: i for i, t in enumerate(intents.LOOKING_TAGS)}
        # needs[i]: the looking tags i picked; meets[j]: the looking tags j's offers answer.
        self.intent_needs = _Sparse(
            [{need_col[t]: 1.0 for t in ns} for ns in self.needs], len(need_col)
        )
        self.intent_meets = _Sparse(
            [{need_col[intents.complement(t)]: 1.0 for t in os_} for os_ in self.offers],
            len(need_col),
        )

        stems = _Stems()
        look_terms = [Counter(terms(p.looking_for, stems)) for p in self.people]
        offer_terms = [Counter(terms(p.can_offer, stems)) for p in self.people]
        df = Counter(t for doc in (*look_terms, *offer_terms) for t in doc)
        vocab = {t: i for i, t in enumerate(sorted(df))}
        docs = 2 * n
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

    def directions(self, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
        """Direction scores (A->B, B->A) for rows A in r0..r1 against every B."""
        n = self.n
        inter = self.interest.dot_block(r0, r1, self.interest, n)
        union = self.n_interests[r0:r1, None] + self.n_interests[None, :] - inter
        both = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        both *= W_INTEREST
        out = []
        for mine, theirs, a, b in (
            (self.intent_needs, self.intent_meets, self.look, self.offer),
            (self.intent_meets, self.intent_needs, self.offer, self.look),
        ):
            count = mine.dot_block(r0, r1, theirs, n)
            # 0 tags: 0; 1: W_INTENT; 2 or more: W_INTENT_MORE each, at most two more.
            score = np.minimum(count, 3.0)
            score *= W_INTENT_MORE
            score += (count > 0) * (W_INTENT - W_INTENT_MORE)
            text = a.dot_block(r0, r1, b, n)
            text[text < MIN_TEXT] = 0.0
            score += W_TEXT * text
            score += both
            out.append(score)
        return out[0], out[1]

    def scores(self, r0: int, r1: int) -> np.ndarray:
        """Pair scores of rows r0..r1 against everyone; 0 where a pair isn't allowed."""
        ab, ba = self.directions(r0, r1)
        score = np.minimum(ab, ba)
        score += ab
        score += ba
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


# ---------------------------------------------------------------- matching


def score_matrix(
    people: Iterable[Person],
    past_pairs: Iterable[tuple[int, int]] = (),
    blocks: Iterable[tuple[int, int]] = (),
) -> tuple[list[int], np.ndarray]:
    """Every eligible pair's score as a dense matrix (small cohorts: tests, exact optimum)."""
    cohort = _Cohort(people, past_pairs, blocks)
    return [p.id for p in cohort.people], cohort.scores(0, cohort.n)


def _candidates(cohort: _Cohort, k: int) -> dict[tuple[int, int], float]:
    """Each person's top k allowed partners (score > 0), as edges (i < j) -> score."""
    n, edges = cohort.n, {}
    k = min(k, n - 1)
    for r0 in range(0, n, _BLOCK):
        r1 = min(n, r0 + _BLOCK)
        block = cohort.scores(r0, r1)
        kth = np.partition(block, n - k, axis=1)[:, n - k] if k > 0 else np.zeros(r1 - r0)
        for row in range(r1 - r0):
            values = block[row]
            above = np.flatnonzero(values > kth[row])
            ties = np.flatnonzero(values == kth[row])[: k - len(above)]  # lowest index wins
            i = r0 + row
            for j in np.concatenate((above, ties)).tolist():
                if values[j] > 0:
                    edges.setdefault((min(i, j), max(i, j)), float(values[j]))
    return edges


class _Matching:
    """A b-matching over candidate edges, with the moves that improve it."""

    def __init__(self, n: int, caps: list[int], edges: dict[tuple[int, int], float]) -> None:
        self.caps = caps
        self.w = edges
        self.adj: list[list[tuple[float, int]]] = [[] for _ in range(n)]
        for (i, j), s in edges.items():
            self.adj[i].append((s, j))
            self.adj[j].append((s, i))
        for lst in self.adj:
            lst.sort(key=lambda e: (-e[0], e[1]))
        self.order = sorted(edges, key=lambda e: (-edges[e], e))
        self.mates: list[dict[int, float]] = [{} for _ in range(n)]

    def weight(self, i: int, j: int) -> float:
        return self.w[(min(i, j), max(i, j))]

    def free(self, i: int) -> bool:
        return len(self.mates[i]) < self.caps[i]

    def add(self, i: int, j: int) -> None:
        s = self.weight(i, j)
        self.mates[i][j] = s
        self.mates[j][i] = s

    def drop(self, i: int, j: int) -> None:
        del self.mates[i][j]
        del self.mates[j][i]

    def from_lp(self) -> None:
        """Start from the linear relaxation's optimum (HiGHS): its vertices are half-integral
        (odd cycles), so its whole edges are kept and the halves left to the greedy fill.
        This is what lifts the result from ~96% of the exact optimum (greedy plus local
        search alone) to over 99%, in seconds for 5,000 people."""
        m = len(self.order)
        if m == 0:
            return
        rows = np.array([e for e in self.order], dtype=np.int64).T
        incidence = csr_array(
            (np.ones(2 * m), (rows.ravel(), np.tile(np.arange(m), 2))),
            shape=(len(self.caps), m),
        )
        res = linprog(
            -np.array([self.w[e] for e in self.order]),
            A_ub=incidence,
            b_ub=np.array(self.caps, dtype=np.float64),
            bounds=(0, 1),
            method="highs",
        )
        if res.status != 0:  # never seen; the greedy alone is still a valid answer
            return
        for (i, j), x in zip(self.order, res.x, strict=True):
            if x > 1 - 1e-6 and self.free(i) and self.free(j):
                self.add(i, j)

    def greedy(self) -> None:
        for i, j in self.order:
            if self.free(i) and self.free(j):
                self.add(i, j)

    def best_refill(self, x: int, busy: tuple[int, ...]) -> tuple[float, int] | None:
        """x's best unused edge to someone with room, other than `busy`."""
        mates, caps, taken = self.mates, self.caps, self.mates[x]
        for s, z in self.adj[x]:
            if len(mates[z]) < caps[z] and z not in taken and z not in busy:
                return s, z
        return None

    def improve(self, max_passes: int = 3, *, keep_cover: bool = False) -> None:
        """Local search: swap an unused edge (u, v) in for the weakest edge at each full end,
        let the partners left with room take their best free edge, keep it if the total rose.
        With keep_cover, a swap that would leave fewer people with an introduction is refused
        (the pass after cover(), which may have given up score to reach everyone)."""
        for _ in range(max_passes):
            # What each person could gain from a free partner now: a cheap filter for swaps.
            refill = [r[0] if (r := self.best_refill(x, ())) else 0.0 for x in range(len(self.adj))]
            changed = False
            for u, v in self.order:
                if v not in self.mates[u]:
                    changed |= self.try_swap(u, v, refill, keep_cover)
            if not changed:
                return

    def try_swap(
        self, u: int, v: int, refill_estimate: list[float], keep_cover: bool = False
    ) -> bool:
        gain = bound = self.w[(u, v)]
        out = []
        for end, other in ((u, v), (v, u)):
            if not self.free(end):
                s, x = min((s, x) for x, s in self.mates[end].items() if x != other)
                out.append((end, x))
                gain -= s
                bound -= s - refill_estimate[x] - _EPS
        if bound <= _EPS:
            return False
        newly_covered = (not self.mates[u]) + (not self.mates[v])
        for end, x in out:
            self.drop(end, x)
        self.add(u, v)
        added = []
        for _, x in out:
            refill = self.best_refill(x, (u, v))
            if refill and self.free(x):
                self.add(x, refill[1])
                added.append((x, refill[1]))
                gain += refill[0]
        # Under keep_cover, someone may lose their only pair if someone else gets a first one.
        uncovered = keep_cover and len({x for _, x in out if not self.mates[x]}) > newly_covered
        if gain > _EPS and not uncovered:
            return True
        for x, z in added:  # no better: put everything back
            self.drop(x, z)
        self.drop(u, v)
        for end, x in out:
            self.add(end, x)
        return False

    def cover(self) -> None:
        """Give everyone with a candidate at least one pair, without uncovering anyone."""
        for u in range(len(self.adj)):
            if self.mates[u] or not self.adj[u]:
                continue
            moves = []  # (loss, v, drop_v_x, move_x_to)
            for s, v in self.adj[u]:
                if self.free(v):
                    moves.append((-s, v, None, None))
                    continue
                for x, sx in sorted(self.mates[v].items()):
                    if len(self.mates[x]) >= 2:
                        moves.append((sx - s, v, x, None))
                    else:  # x would be left alone: move x to someone with room (u too)
                        refill = self.best_refill(x, (v,) if self.caps[u] > 1 else (u, v))
                        if refill:
                            moves.append((sx - s - refill[0], v, x, refill[1]))
            if not moves:
                self.augment(u)
                continue
            _, v, x, z = min(moves, key=lambda m: (m[0], m[1], m[2] or -1, m[3] or -1))
            if x is not None:
                self.drop(v, x)
            if z is not None:
                self.add(x, z)
            self.add(u, v)

    def augment(self, u: int) -> bool:
        """Cover u along a longer chain when no one- or two-step move does: u takes v1, v1
        lets go of x1, x1 takes v2, ... until someone has room or lets go of a person who
        keeps another pair. Breadth first: the shortest chains, and of those the cheapest."""
        mates, caps = self.mates, self.caps
        parent: dict[int, tuple[int, int]] = {}  # x -> (who took v, v), v having let go of x
        loss = {u: 0.0}  # score given up along the chain down to x
        used, level = {u}, [u]
        ends: list[tuple[float, int, int, int]] = []  # (loss, x, v, y): x takes v, v drops y
        while level and not ends:
            following = []
            for x in level:
                for s, v in self.adj[x]:
                    if v in mates[x]:
                        continue
                    if v in loss:
                        chain = self._chain(parent, x, u)
                        if caps[v] > 1 and v in chain[1:]:  # up the chain, to one with room
                            ends.append((loss[x] - s, x, v, -1))
                        elif x != u and v != u and parent[v][1] == parent[x][1]:
                            # v and x let go by the same person: they pair with each other
                            holder = parent[v][1]
                            ends.append((loss[x] + self.weight(holder, v) - s, x, v, _SIBLING))
                        continue
                    if v in used:
                        continue
                    used.add(v)
                    if len(mates[v]) < caps[v]:
                        ends.append((loss[x] - s, x, v, -1))
                        continue
                    for y, sy in sorted(mates[v].items()):
                        if y in used:
                            continue
                        if len(mates[y]) >= 2:
                            ends.append((loss[x] - s + sy, x, v, y))
                        else:
                            parent[y], loss[y] = (x, v), loss[x] - s + sy
                            used.add(y)
                            following.append(y)
            level = following
        if not ends:
            return False
        _, x, v, y = min(ends)
        if y == _SIBLING:
            self.drop(parent[v][1], v)
        elif y >= 0:
            self.drop(v, y)
        self.add(x, v)
        while x != u:
            prev, v = parent[x]
            self.drop(v, x)
            self.add(prev, v)
            x = prev
        return True

    @staticmethod
    def _chain(parent: dict[int, tuple[int, int]], x: int, u: int) -> list[int]:
        """x and the people before it in its chain, back to u."""
        chain = [x]
        while x != u:
            x = parent[x][0]
            chain.append(x)
        return chain


def match(
    people: Iterable[Person],
    past_pairs: Iterable[tuple[int, int]] = (),
    blocks: Iterable[tuple[int, int]] = (),
    *,
    k: int = TOP_K,
) -> MatchResult:
    """Propose introductions among the eligible `people`.

    past_pairs: (id, id) pairs already proposed at any event; blocks: (blocker, blocked).
    """
    cohort = _Cohort(people, past_pairs, blocks)
    if cohort.n < 2:
        return MatchResult(pairs=[])
    m = _Matching(cohort.n, cohort.caps, _candidates(cohort, k))
    m.from_lp()
    m.greedy()
    m.improve()
    m.cover()
    m.improve(keep_cover=True)
    pairs = sorted({(min(i, j), max(i, j)) for i in range(cohort.n) for j in m.mates[i]})
    for i in range(cohort.n):  # the invariants every caller relies on
        assert len(m.mates[i]) <= cohort.caps[i]
    return MatchResult(
        pairs=[_proposal(cohort, i, j, m.weight(i, j)) for i, j in pairs],
        viable=[cohort.people[i].id for i in range(cohort.n) if m.adj[i]],
        covered=[cohort.people[i].id for i in range(cohort.n) if m.mates[i]],
    )


# ---------------------------------------------------------------- reasons


def _proposal(cohort: _Cohort, i: int, j: int, score: float) -> Proposal:
    return Proposal(
        a=cohort.people[i].id,
        b=cohort.people[j].id,
        score=score,
        reason_for_a=_reason(cohort, i, j),
        reason_for_b=_reason(cohort, j, i),
    )


def _reason(c: _Cohort, me: int, other: int) -> str:
    """Why `me` should meet `other`, as `me` reads it: what I look for that they offer, then
    the reverse, then shared interests, in their own words where their words match."""
    parts = [s for s in (_direction(c, me, other, me), _direction(c, other, me, me)) if s]
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


def _direction(c: _Cohort, x: int, y: int, reader: int) -> str:
    """What x looks for that y offers, as `reader` (x or y) reads it:
    "You are looking for a job (“a data role”); Ben is hiring (“data engineers”)." """
    px, py = c.people[x], c.people[y]
    tags = [
        t for t in intents.LOOKING_TAGS if t in c.needs[x] and intents.complement(t) in c.offers[y]
    ]
    wordy = px.looking_for.strip() and py.can_offer.strip()
    words = wordy and _cosine(c.look_vec[x], c.offer_vec[y]) >= MIN_TEXT
    mine = reader == x  # my need, their offer; else their need, my offer
    fields = {"x": px.name, "y": py.name}
    if words:
        fields.update(x_words=_quote(px.looking_for), y_words=_quote(py.can_offer))
    if tags:
        need = _join([intents.phrase(t, you=mine) for t in tags[:2]])
        offer = _join([intents.phrase(intents.complement(t), you=not mine) for t in tags[:2]])
        if words and mine:
            text = gettext("You %(need)s (%(x_words)s); %(y)s %(offer)s (%(y_words)s).")
        elif words:
            text = gettext("%(x)s %(need)s (%(x_words)s); you %(offer)s (%(y_words)s).")
        elif mine:
            text = gettext("You %(need)s; %(y)s %(offer)s.")
        else:
            text = gettext("%(x)s %(need)s; you %(offer)s.")
        return text % {**fields, "need": need, "offer": offer}
    if words:
        if mine:
            return gettext("You are looking for %(x_words)s; %(y)s can offer %(y_words)s.") % fields
        return gettext("%(x)s is looking for %(x_words)s; you can offer %(y_words)s.") % fields
    return ""


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return gettext("%(first)s and %(last)s", first=", ".join(items[:-1]), last=items[-1])

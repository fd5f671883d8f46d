"""The matcher on its own: scoring, eligibility, caps, fairness, reasons, determinism."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetup.services.intros import intents
from meetup.services.intros.complements import strength
from meetup.services.intros.matching import Person, company_key, match, score_matrix
from meetup.services.intros.reading import read_person
from meetup.services.intros.scoring import MAX_SIMILAR


def person(pid: int, **kw) -> Person:
    return Person(id=pid, name=kw.pop("name", f"P{pid}"), **kw)


def pairs_of(result) -> set[tuple[int, int]]:
    return {(p.a, p.b) for p in result.pairs}


def score(people, a: int, b: int, **kw) -> float:
    ids, matrix = score_matrix(people, **kw)
    return float(matrix[ids.index(a), ids.index(b)])


# ---------------------------------------------------------------- vocabulary


def test_every_tag_has_a_complement_on_the_other_side():
    for tag in intents.LOOKING_TAGS:
        # The co-founder tag is its own complement: listed once, it counts on both sides.
        assert intents.complement(tag) in (*intents.OFFER_TAGS, "looking_for_cofounder")
        assert intents.complement(intents.complement(tag)) == tag
    assert intents.complement("hiring") == "looking_for_job"
    assert intents.complement("advice_on_data") == "learning_data"
    assert intents.complement("looking_for_cofounder") == "looking_for_cofounder"


def test_tags_are_read_by_their_side_and_unknown_ones_dropped():
    needs, offers = intents.split_tags(["hiring", "nonsense", "looking_for_job"], ["mentoring"])
    assert needs == ("looking_for_job",)
    assert offers == ("hiring", "mentoring")


def test_company_names_are_normalised():
    assert company_key("ACME, Inc.") == company_key("acme") == company_key(" Acme  GmbH ")
    assert company_key("Acme Labs") != company_key("Acme")
    assert company_key("") == company_key("Inc.") == ""


# ---------------------------------------------------------------- scoring


def test_complementary_intents_beat_mere_similarity():
    ana = person(1, looking_intents=["looking_for_job"], looking_for="a data engineering role",
                 interests=["Rust", "climate", "jazz"], max_intros=1)  # fmt: skip
    ben = person(2, offer_intents=["hiring"])  # complements Ana, nothing else in common
    cy = person(3, looking_for="a data engineering role", interests=["rust", "Climate", "jazz"])
    people = [ana, ben, cy]
    # Cy asks for what Ana asks for, with every interest in common: similar, not a match.
    assert score(people, 1, 2) >= score(people, 2, 3) > score(people, 1, 3) > 0
    assert pairs_of(match(people)) == {(1, 2), (2, 3)}


def test_text_complements_count_and_the_reason_quotes_both():
    ana = person(1, name="Ana", looking_for="a data-engineering role in fintech")
    ben = person(2, name="Ben", can_offer="Our team is hiring data engineers")
    cy = person(3, name="Cy", can_offer="Watercolour painting lessons")
    result = match([ana, ben, cy])
    assert pairs_of(result) == {(1, 2)}
    # Each reads it addressed to them, with both people's own words.
    assert result.pairs[0].reason_for_a == (
        "You are looking for a job in data engineering (“a data-engineering role in fintech”); "
        "Ben is hiring in data engineering (“Our team is hiring data engineers”)."
    )
    assert result.pairs[0].reason_for_b == (
        "Ana is looking for a job in data engineering (“a data-engineering role in fintech”); "
        "you are hiring in data engineering (“Our team is hiring data engineers”)."
    )


def test_two_way_beats_one_way():
    ana = person(1, looking_intents=["looking_for_mentor"], offer_intents=["hiring"], max_intros=1)
    both = person(2, offer_intents=["mentoring"], looking_intents=["looking_for_job"])
    one = person(3, offer_intents=["mentoring"], can_offer="Mentoring, lots of it, any time")
    people = [ana, both, one]
    assert score(people, 1, 2) > score(people, 1, 3)
    assert pairs_of(match(people)) == {(1, 2)}
    pair = match(people).pairs[0]
    assert pair.reason_for_a == (
        "You are looking for a mentor; P2 offers mentoring. "
        "P2 is looking for a job; you are hiring."
    )
    assert pair.reason_for_b == (
        "You are looking for a job; P1 is hiring. P1 is looking for a mentor; you offer mentoring."
    )


def test_nothing_in_common_is_no_candidate():
    result = match([person(1, looking_for="gardening"), person(2, can_offer="tax law")])
    assert result.pairs == [] and result.viable == []


# ---------------------------------------------------------------- eligibility


def hub_and_seekers(n: int, **hub_kw) -> list[Person]:
    hub = person(1, offer_intents=["mentoring", "hiring"], **hub_kw)
    return [hub] + [person(i, looking_intents=["looking_for_mentor"]) for i in range(2, n + 2)]


@pytest.mark.parametrize("cap", [0, 1, 2, 3])
def test_each_person_gets_at_most_their_cap(cap):
    result = match(hub_and_seekers(5, max_intros=cap))
    assert sum(1 in (p.a, p.b) for p in result.pairs) == cap
    if cap == 0:
        assert result.viable == []


def test_caps_above_three_are_read_as_three():
    result = match(hub_and_seekers(6, max_intros=10))
    assert sum(1 in (p.a, p.b) for p in result.pairs) == 3


@pytest.mark.parametrize(
    "flags", [{"checked_in": False}, {"wants_intros": False}, {"max_intros": 0}]
)
def test_nobody_without_check_in_or_consent_is_included(flags):
    people = [person(1, offer_intents=["mentoring"]),
              person(2, looking_intents=["looking_for_mentor"], **flags),
              person(3, looking_intents=["looking_for_mentor"])]  # fmt: skip
    result = match(people)
    assert pairs_of(result) == {(1, 3)}
    assert 2 not in result.viable


@pytest.mark.parametrize("block", [(1, 2), (2, 1)])
def test_a_block_either_way_prevents_the_pair(block):
    people = [
        person(1, offer_intents=["mentoring"]),
        person(2, looking_intents=["looking_for_mentor"]),
    ]
    assert pairs_of(match(people)) == {(1, 2)}
    assert match(people, blocks=[block]).pairs == []


def test_a_pair_is_never_proposed_twice():
    people = hub_and_seekers(2, max_intros=1)
    first = match(people)
    again = match(people, past_pairs=pairs_of(first))
    assert pairs_of(first) and not pairs_of(first) & pairs_of(again)
    assert pairs_of(again)  # the other seeker gets their turn


@pytest.mark.parametrize(
    ("opt_in", "paired"), [((False, False), False), ((True, False), False), ((True, True), True)]
)
def test_colleagues_only_when_both_ask(opt_in, paired):
    people = [
        person(1, company="ACME, Inc.", offer_intents=["mentoring"], intro_colleagues=opt_in[0]),
        person(
            2, company="acme", looking_intents=["looking_for_mentor"], intro_colleagues=opt_in[1]
        ),
    ]
    assert bool(match(people).pairs) is paired


# ---------------------------------------------------------------- fairness


def test_everyone_with_a_candidate_gets_one_even_at_some_cost():
    """The hub's three best matches all have other partners; the loner only has the hub.
    Maximising the score alone would leave the loner out."""
    hub = person(1, offer_intents=["mentoring", "hiring", "investing"], interests=["chess"],
                 can_offer="mentoring hiring investing rust python")  # fmt: skip
    stars = [person(i, looking_intents=["looking_for_mentor", "looking_for_job", "raising_funds"],
                    looking_for="mentoring hiring investing rust python",
                    offer_intents=["advice_on_sales"]) for i in (2, 3, 4)]  # fmt: skip
    partners = [person(i, looking_intents=["learning_sales"]) for i in (5, 6, 7)]
    loner = person(8, interests=["chess"])
    result = match([hub, *stars, *partners, loner])
    assert 8 in result.covered
    assert result.coverage == 1.0


def test_coverage_on_a_random_cohort():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
    from intros_scale import cohort

    people, past, blocks = cohort(200, seed=3)
    result = match(people, past, blocks)
    assert result.coverage == 1.0
    assert len(result.pairs) > 150


# ---------------------------------------------------------------- determinism


def test_the_same_input_in_any_order_gives_the_same_pairs():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
    from intros_scale import cohort

    people, past, blocks = cohort(120, seed=5)
    first = match(people, past, blocks)
    rng = random.Random(1)
    for _ in range(3):
        shuffled = people[:]
        rng.shuffle(shuffled)
        assert match(shuffled, list(reversed(past)), blocks) == first


def test_string_hashing_does_not_change_the_result():
    code = (
        "import json, sys; sys.path.insert(0, 'bench');"
        "from intros_scale import cohort; from meetup.services.intros.matching import match;"
        "r = match(*cohort(80, seed=11));"
        "print(json.dumps([[p.a, p.b, p.score, p.reason_for_a] for p in r.pairs]))"
    )
    root = os.path.join(os.path.dirname(__file__), "..")
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }  # fmt: skip
    assert len(outputs) == 1 and json.loads(outputs.pop())


# ---------------------------------------------------------------- properties

WORDS = ["data", "engineer", "hiring", "mentor", "rust", "design", "sales", "funding", "python"]


@st.composite
def cohorts(draw):
    n = draw(st.integers(2, 14))
    people = [
        Person(
            id=pid,
            name=f"P{pid}",
            company=draw(st.sampled_from(["", "Acme", "acme inc", "Globex"])),
            looking_for=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=3))),
            can_offer=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=3))),
            looking_intents=draw(st.lists(st.sampled_from(intents.LOOKING_TAGS[:5]), max_size=2)),
            offer_intents=draw(st.lists(st.sampled_from(intents.OFFER_TAGS[:5]), max_size=2)),
            interests=draw(
                st.lists(st.sampled_from(["chess", "Jazz", "jazz", "rust"]), max_size=2)
            ),
            max_intros=draw(st.integers(0, 3)),
            intro_colleagues=draw(st.booleans()),
            checked_in=draw(st.booleans() | st.just(True)),
            wants_intros=draw(st.booleans() | st.just(True)),
        )
        for pid in draw(st.lists(st.integers(1, 60), min_size=n, max_size=n, unique=True))
    ]
    ids = [p.id for p in people]
    pair = st.tuples(st.sampled_from(ids), st.sampled_from(ids))
    return people, draw(st.lists(pair, max_size=6)), draw(st.lists(pair, max_size=4))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts(), st.randoms(use_true_random=False))
def test_invariants(data, rnd):
    people, past, blocks = data
    result = match(people, past, blocks)
    by_id = {p.id: p for p in people}
    forbidden = {frozenset(x) for x in (*past, *blocks)}
    seen = set()
    for p in result.pairs:
        a, b = by_id[p.a], by_id[p.b]
        assert p.a < p.b and (p.a, p.b) not in seen
        seen.add((p.a, p.b))
        assert a.eligible and b.eligible
        assert frozenset((p.a, p.b)) not in forbidden
        if company_key(a.company) and company_key(a.company) == company_key(b.company):
            assert a.intro_colleagues and b.intro_colleagues
        assert p.score > 0 and p.reason_for_a and p.reason_for_b
    for x in people:
        assert sum(x.id in (p.a, p.b) for p in result.pairs) <= max(0, min(x.max_intros, 3))
    assert set(result.covered) <= set(result.viable)
    shuffled = people[:]
    rnd.shuffle(shuffled)
    assert match(shuffled, past, blocks) == result


PHRASES = [
    "looking for a mentor in data engineering",
    "I teach machine learning",
    "freelance UX designer",
    "a designer for my app",
    "je cherche un CDI en marketing",
    "on recrute un growth marketer",
    "I advise startups on go-to-market",
    "seed funding for my fintech",
    "I mentor juniors",
    "je cherche des conseils en cybersécurité",
    "10 ans de DevOps",
    "we are hiring data analysts",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["", *PHRASES]), st.sampled_from(["", *PHRASES])),
                min_size=2, max_size=10))  # fmt: skip
def test_every_proposed_pair_says_why_in_words_of_the_pair(texts):
    """Free text only, asks and offers in related fields included: a pair is proposed only
    with a reason on both sides, and the reason quotes one of the pair's own texts."""
    people = [person(i + 1, looking_for=lf, can_offer=co) for i, (lf, co) in enumerate(texts)]
    by_id = {p.id: p for p in people}
    for p in match(people, [], []).pairs:
        a, b = by_id[p.a], by_id[p.b]
        own = [t for t in (a.looking_for, a.can_offer, b.looking_for, b.can_offer) if t]
        for why in (p.reason_for_a, p.reason_for_b):
            assert why and any(t.rstrip(".") in why for t in own), why


def test_a_weak_complement_still_names_the_ask_and_the_offer():
    people = [
        person(1, looking_for="looking for a mentor in data engineering"),
        person(2, name="Léa", can_offer="I teach machine learning"),
    ]
    (p,) = match(people, [], []).pairs
    assert "mentor in data engineering" in p.reason_for_a
    assert "Léa offers" in p.reason_for_a and "I teach machine learning" in p.reason_for_a


# The matcher is a heuristic: a search of 30,000 random cohorts still found one where the
# total fell short of 80% of the best. Fixed examples keep CI reproducible; the shapes such
# searches found are pinned by the tests below.
@settings(max_examples=60, deadline=None, derandomize=True)
@given(cohorts())
def test_as_fair_and_nearly_as_good_as_brute_force_on_tiny_cohorts(data):
    """Against every set of pairs of a tiny cohort: as many people covered as possible,
    and, among the sets covering that many, close to the best total."""
    people, past, blocks = data
    people = people[:7]
    best = brute_force(people, past, blocks)
    if best is None:
        return
    result = match(people, past, blocks)
    assert len(result.covered) == best[0]
    assert result.total_score >= 0.8 * best[1] - 1e-6


def brute_force(people, past=(), blocks=(), max_edges=12):
    """(most people covered, best total among the sets covering that many), None if the
    cohort has too many candidate pairs to try every set."""
    ids, matrix = score_matrix(people, past, blocks)
    caps = {p.id: min(p.max_intros, 3) for p in people}
    edges = [(a, b, matrix[i, j]) for (i, a), (j, b) in combinations(enumerate(ids), 2)
             if matrix[i, j] > 0]  # fmt: skip
    if len(edges) > max_edges:
        return None
    best = (0, 0.0)  # (people covered, total score)
    for mask in range(1 << len(edges)):
        chosen = [e for k, e in enumerate(edges) if mask >> k & 1]
        degree = Counter(x for a, b, _ in chosen for x in (a, b))
        if all(d <= caps[x] for x, d in degree.items()):
            best = max(best, (len(degree), sum(w for _, _, w in chosen)))
    return best


def test_coverage_follows_a_chain_back_to_someone_with_room():
    """P1 can only meet P4, who is with P3; P3 has room for two, but P6 and P7 are with each
    other: P1-P4, P3-P6, P3-P7 reaches all five."""
    people = [
        person(1, looking_for="data", max_intros=1),
        person(3, interests=["chess"], max_intros=2),
        person(4, can_offer="data", interests=["chess"], max_intros=1),
        person(6, offer_intents=["looking_for_cofounder"], interests=["chess"], max_intros=1),
        person(7, offer_intents=["looking_for_cofounder"], interests=["chess"], max_intros=1),
    ]
    result = match(people)
    assert sorted(result.covered) == [1, 3, 4, 6, 7]
    assert pairs_of(result) == {(1, 4), (3, 6), (3, 7)}


def test_coverage_lets_two_people_of_one_go_to_pair_with_each_other():
    """P42 (two intros) holds both P18 and P31, the only ones P52 could meet: P42 takes P52,
    and P18 and P31 meet each other."""
    people = [
        person(52, company="Globex", looking_for="funding",
               looking_intents=["looking_for_provider"], offer_intents=["hiring"], max_intros=1),
        person(42, looking_for="engineer data", can_offer="funding sales hiring",
               looking_intents=["looking_for_mentor"], offer_intents=["hiring"],
               interests=["chess"], max_intros=2),
        person(31, looking_for="engineer python", can_offer="design mentor",
               looking_intents=["looking_for_cofounder"], interests=["chess"], max_intros=1),
        person(18, company="Acme", looking_for="hiring rust", can_offer="mentor sales engineer",
               looking_intents=["raising_funds"], offer_intents=["investing"],
               interests=["rust"], max_intros=1),
    ]  # fmt: skip
    result = match(people)
    assert sorted(result.covered) == [18, 31, 42, 52]
    best = brute_force(people, max_edges=16)
    assert (len(result.covered), round(result.total_score, 6)) == (best[0], round(best[1], 6))


def test_among_equally_many_covered_the_better_set_wins():
    """P41 (one intro) can cover P34 or P42, each reachable only through P41: both cover four
    people, but P41-P42 scores 2.0 against P41-P34's 0.79."""
    people = [
        person(41, can_offer="python engineer python", looking_intents=["looking_for_job"],
               offer_intents=["investing"], max_intros=1),
        person(42, company="acme inc", looking_for="design sales design",
               looking_intents=["raising_funds"], max_intros=2, intro_colleagues=True),
        person(54, company="acme inc", looking_intents=["raising_funds"],
               offer_intents=["investing", "looking_for_clients"], interests=["rust"],
               max_intros=2),
        person(7, can_offer="mentor", looking_intents=["looking_for_cofounder", "raising_funds"],
               offer_intents=["hiring"], interests=["Jazz"], max_intros=2, intro_colleagues=True),
        person(34, company="Acme", looking_for="design engineer python", can_offer="sales rust",
               looking_intents=["looking_for_mentor"], offer_intents=["investing"], max_intros=3),
    ]  # fmt: skip
    result = match(people, past_pairs=[(34, 7)])
    best = brute_force(people, [(34, 7)], max_edges=16)
    assert (len(result.covered), round(result.total_score, 6)) == (best[0], round(best[1], 6))


# ---------------------------------------------------------------- complements over similarity

ASKS = ["a mentor in data", "un CDI commercial", "seed money for my fintech", "advice on pricing",
        "un associé technique", "un prestataire pour notre site", "rust python", ""]  # fmt: skip
NOTHING = ["", "jokes", "good humour", "rencontrer du monde", "networking", "du réseau"]
PAIRS = [("looking_for_job", "hiring"), ("looking_for_mentor", "mentoring"),
         ("raising_funds", "investing"), ("looking_for_provider", "looking_for_clients"),
         ("learning_data", "advice_on_data")]  # fmt: skip
TOPICS = ["climate", "remote work", "jazz", "AI", "startups", "chess", "rust", "data", "design"]


@settings(max_examples=150, deadline=None)
@given(
    need_offer=st.sampled_from(PAIRS),
    seeker_text=st.sampled_from(ASKS),
    offerer_text=st.sampled_from(NOTHING),
    twin_text=st.sampled_from(ASKS),
    twin_offer=st.sampled_from(NOTHING),
    twin_tags=st.lists(st.sampled_from([n for n, _o in PAIRS]), max_size=3),
    shared=st.lists(st.sampled_from(TOPICS), min_size=0, max_size=9, unique=True),
    company=st.sampled_from(["", "Acme"]),
)
def test_a_complement_outranks_any_amount_of_similarity(
    need_offer, seeker_text, offerer_text, twin_text, twin_offer, twin_tags, shared, company
):
    """A seeker and an offerer of the same need, with nothing else in common, against two
    people who ask for the same thing in the same words, with the same tags, interests,
    company and the same nothing to offer: the complement always scores higher, and the
    look-alikes score no more than similarity can (no complement between them)."""
    need, offer = need_offer
    people = [
        person(1, looking_for=seeker_text, looking_intents=[need]),
        person(2, can_offer=offerer_text, offer_intents=[offer], interests=["knitting"]),
        *(person(pid, looking_for=twin_text, can_offer=twin_offer, looking_intents=twin_tags,
                 interests=shared, company=company, intro_colleagues=True)
          for pid in (3, 4)),
    ]  # fmt: skip
    assert score(people, 1, 2) > score(people, 3, 4)
    assert score(people, 3, 4) <= MAX_SIMILAR


def test_the_reason_names_the_field_the_offer_is_about():
    """An offer met only because it leaves the asked field open is named by its own field:
    feedback on fundraising decks is not "advice on UX design"."""
    people = [
        person(1, looking_for="Want to learn how to run user interviews properly"),
        person(2, name="Léa", can_offer="Happy to give feedback on fundraising decks"),
    ]
    (p,) = match(people, [], []).pairs
    assert "advice on UX design" in p.reason_for_a
    assert "Léa offers advice on fundraising" in p.reason_for_a


def _cohort_pairs() -> list[tuple[str, str]]:
    """(seeker's words, offerer's words) of the labelled cohorts' plain pairs."""
    root = os.path.join(os.path.dirname(__file__), "intro_cohorts")
    out = []
    for name in sorted(os.listdir(root)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(root, name), encoding="utf-8") as f:
            people = json.load(f)["people"]
        for s in people:
            for o in people:
                # The property is about a complement read from the two texts: pairs whose
                # labels meet but whose words, alone, read none are left out (an offer
                # written in the "looking for" box: "we're hiring ..."; look-alikes).
                if (
                    s["needs"]
                    and strength(read_person(s["looking_for"]), read_person("", o["can_offer"]))
                    and {tuple(n) for n in s["needs"]} & {tuple(x) for x in o["offers"]}
                ):
                    out.append((s["looking_for"], o["can_offer"]))
    return sorted(set(out))[::7]  # a spread of them, enough for the property


TEXT_PAIRS = _cohort_pairs()


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    pair=st.sampled_from(TEXT_PAIRS),
    shared=st.lists(st.sampled_from(TOPICS), min_size=0, max_size=9, unique=True),
    company=st.sampled_from(["", "Acme"]),
)
def test_a_complement_read_from_words_outranks_any_amount_of_similarity(pair, shared, company):
    """The same property with nobody ticking a tag: an ask and an offer read from free text
    (French, English, paraphrase) against two people asking for the same thing in the same
    words, with every interest and their company in common."""
    ask, offer = pair
    people = [
        person(1, looking_for=ask),
        person(2, can_offer=offer, interests=["knitting"]),
        *(person(pid, looking_for=ask, interests=shared, company=company, intro_colleagues=True)
          for pid in (3, 4)),
    ]  # fmt: skip
    assert score(people, 1, 2) > score(people, 3, 4)
    assert score(people, 3, 4) <= MAX_SIMILAR


def test_a_full_match_outweighs_two_half_matches():
    """The restaurant owner's ask (a sector) is met in full by a restaurateur and by half by
    a VP of sales (a skill only); the restaurateur is half a match for a sales question. The
    full pair is worth more than the two halves it would displace, one at each end."""
    people = [
        person(1, looking_for="restaurant owner, want advice on opening a second location"),
        person(2, can_offer="Ran 3 restaurants for 10 years, glad to chat about scaling a food "
                            "business"),
        person(3, can_offer="VP sales, closed 7-figure enterprise contracts, ask me anything"),
        person(4, looking_for="How do I price enterprise deals? first big customer incoming"),
    ]  # fmt: skip
    half = score(people, 1, 3)
    assert 0 < half < score(people, 1, 2)
    assert score(people, 2, 4) <= half
    assert score(people, 1, 2) > score(people, 1, 3) + score(people, 2, 4)


def test_slots_filled_by_half_matches_do_not_keep_out_a_full_one():
    """In a labelled cohort, the restaurant owner and the restaurateur both have their slots
    taken by half-matches elsewhere; they are still introduced."""
    path = os.path.join(os.path.dirname(__file__), "intro_cohorts", "round3_en_tune.json")
    with open(path, encoding="utf-8") as f:
        cohort = json.load(f)
    owner, restaurateur = (
        next(p["id"] for p in cohort["people"] if p["looking_for"].startswith("restaurant owner")),
        next(p["id"] for p in cohort["people"] if p["can_offer"].startswith("Ran 3 restaurants")),
    )
    people = [
        person(p["id"], looking_for=p["looking_for"], can_offer=p["can_offer"],
               interests=p.get("interests", []))
        for p in cohort["people"]
    ]  # fmt: skip
    assert (min(owner, restaurateur), max(owner, restaurateur)) in pairs_of(match(people))


def test_an_offer_naming_no_field_is_not_lent_the_askers():
    """A ticked "looking for clients" whose words name nothing is "offers their services",
    never "offers services in streaming data"; and docs are technical writing."""
    people = [
        person(1, looking_for="Advice on moving from batch to streaming"),
        person(2, name="Grace", can_offer="Happy to help", offer_intents=["looking_for_clients"]),
    ]
    result = match(people, [], [])
    for p in result.pairs:
        assert "streaming" not in p.reason_for_a.split("; ")[-1], p.reason_for_a
    assert "documentation" in {
        f for i in read_person("", "A review of your docs and README").offers for f in i.fields
    }

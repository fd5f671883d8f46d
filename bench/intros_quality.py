"""How well introductions serve people who ask for something, on labelled cohorts.

The cohorts (tests/intro_cohorts/*.json, written by build.py there) are people as they
write: free text in "looking for" and "can offer", in English, French or both, plain or in
paraphrase (the seeker and the offerer share no field word), no tag ticked, and noise people
whose asks complement nobody. Each person is labelled with what they really ask for and
offer, as (kind, field).

A seeker is served when one of their introductions goes to someone labelled as offering
their kind in their field. The matcher's served rate is printed per cohort against random
introductions under the same caps (the mean of 20 random b-matchings), with the floors:
0.9 on plain text, 0.6 on paraphrase.

    python bench/intros_quality.py

Prints RESULT {json} last.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from meetup.services.intros.matching import Person, match

COHORTS = Path(__file__).resolve().parent.parent / "tests" / "intro_cohorts"
FLOORS = {"plain": 0.9, "para": 0.6}


def load(name: str) -> dict:
    return json.loads((COHORTS / f"{name}.json").read_text("utf-8"))


def names() -> list[str]:
    return sorted(p.stem for p in COHORTS.glob("*.json"))


def people_of(cohort: dict) -> list[Person]:
    return [
        Person(id=p["id"], name=p["name"], looking_for=p["looking_for"], can_offer=p["can_offer"],
               interests=tuple(p.get("interests", ())),
               looking_intents=tuple(p.get("tags_looking", ())),
               offer_intents=tuple(p.get("tags_offer", ())), max_intros=p.get("max_intros", 3))
        for p in cohort["people"]
    ]  # fmt: skip


def served_rate(cohort: dict, pairs: list[tuple[int, int]]) -> float:
    """The share of seekers with an introduction to someone offering what they ask for."""
    by_id = {p["id"]: p for p in cohort["people"]}
    partners: dict[int, set[int]] = {}
    for a, b in pairs:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    seekers = [p for p in cohort["people"] if p["needs"]]
    served = 0
    for s in seekers:
        wanted = {tuple(n) for n in s["needs"]}
        offered = {tuple(o) for q in partners.get(s["id"], ()) for o in by_id[q]["offers"]}
        served += bool(wanted & offered)
    return served / len(seekers) if seekers else 1.0


def random_pairs(cohort: dict, rng: random.Random) -> list[tuple[int, int]]:
    """Random introductions: every pair in random order, kept while both have room."""
    people = cohort["people"]
    caps = {p["id"]: p.get("max_intros", 3) for p in people}
    ids = [p["id"] for p in people]
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    rng.shuffle(pairs)
    out = []
    for a, b in pairs:
        if caps[a] and caps[b]:
            caps[a] -= 1
            caps[b] -= 1
            out.append((a, b))
    return out


def evaluate(name: str, rounds: int = 20) -> dict:
    cohort = load(name)
    result = match(people_of(cohort))
    rate = served_rate(cohort, [(p.a, p.b) for p in result.pairs])
    rng = random.Random(1)
    baseline = sum(served_rate(cohort, random_pairs(cohort, rng)) for _ in range(rounds)) / rounds
    return {
        "cohort": name,
        "style": cohort["style"],
        "people": len(cohort["people"]),
        "seekers": sum(1 for p in cohort["people"] if p["needs"]),
        "served": round(rate, 3),
        "random": round(baseline, 3),
        "floor": FLOORS[cohort["style"]],
    }


def main() -> int:
    t0 = time.perf_counter()
    rows = [evaluate(name) for name in names()]
    for r in rows:
        print(f"{r['cohort']:<18} {r['people']:>3} people, {r['seekers']:>2} seekers: served "
              f"{r['served']:.3f} vs random {r['random']:.3f} (floor {r['floor']})")  # fmt: skip
    total = sum(r["people"] for r in rows)
    print(f"{total} people in {len(rows)} cohorts, {time.perf_counter() - t0:.1f} s")
    ok = all(r["served"] >= r["floor"] for r in rows)
    print("RESULT " + json.dumps({"cohorts": rows, "people": total, "ok": ok}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Scale and quality of the introductions matcher (meetup/services/intros/matching.py).

1. 5,000 checked-in attendees: wall time and peak memory (tracemalloc) of match();
   ceiling: 10 s on this machine.
2. 300 attendees: total score against the exact optimum of the same b-matching problem
   (integer program solved by scipy.optimize.milp / HiGHS); floor: 0.97. Coverage: the
   share of people with a viable candidate who got at least one introduction; floor: 1.0.

    python bench/intros_scale.py [--attendees 5000] [--small 300] [--seed 7]

Prints RESULT {json} last.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import tracemalloc

import numpy as np

from meetup.services.intros import intents
from meetup.services.intros.matching import Person, match, score_matrix

ROLES = ["data engineer", "backend developer", "frontend developer", "product manager",
         "designer", "data scientist", "engineering manager", "marketer", "sales lead",
         "founder", "ML engineer", "DevOps engineer", "recruiter", "CTO", "analyst"]  # fmt: skip
DOMAINS = ["fintech", "climate tech", "healthcare", "e-commerce", "developer tools", "edtech",
           "logistics", "gaming", "cybersecurity", "open source", "biotech", "media"]  # fmt: skip
SKILLS = ["Python", "Rust", "Kubernetes", "React", "SQL", "Spark", "pricing", "SEO",
          "user research", "fundraising", "hiring", "go-to-market", "LLMs", "analytics",
          "accessibility", "mobile apps", "security audits", "data pipelines"]  # fmt: skip
INTERESTS = [*DOMAINS, "running", "chess", "jazz", "climbing", "board games", "photography",
             "cooking", "cycling", "sci-fi", "podcasts", "remote work", "startups"]  # fmt: skip
LOOKING = ["a {role} role in {domain}", "advice on {skill} for our {domain} startup",
           "a co-founder who knows {skill}", "a mentor in {skill}", "investors for {domain}",
           "a freelance {role} for {skill}", "people who ship {skill} in production",
           "learning {skill} from someone who has done it"]  # fmt: skip
OFFERING = ["we are hiring a {role} for {domain}", "I can mentor on {skill}",
            "happy to review your {skill} work", "I invest in early {domain} teams",
            "freelance {role} work in {skill}", "ten years of {skill} in {domain}",
            "intros to {domain} founders", "advice on {skill} and hiring"]  # fmt: skip


def cohort(n: int, seed: int) -> tuple[list[Person], list[tuple[int, int]], list[tuple[int, int]]]:
    """n checked-in attendees who want intros, plus past pairs and blocks among them."""
    rng = random.Random(seed)
    companies = [f"Company {i}" for i in range(max(5, n // 20))]
    people = []
    for pid in range(1, n + 1):
        fill = {
            "role": rng.choice(ROLES),
            "domain": rng.choice(DOMAINS),
            "skill": rng.choice(SKILLS),
        }
        people.append(
            Person(
                id=pid,
                name=f"Person {pid}",
                company=rng.choice(companies) if rng.random() < 0.8 else "",
                looking_for=rng.choice(LOOKING).format(**fill) if rng.random() < 0.8 else "",
                can_offer=rng.choice(OFFERING).format(**fill) if rng.random() < 0.8 else "",
                looking_intents=rng.sample(intents.LOOKING_TAGS, rng.choice((0, 1, 1, 2))),
                offer_intents=rng.sample(intents.OFFER_TAGS, rng.choice((0, 1, 1, 2))),
                interests=rng.sample(INTERESTS, rng.randint(0, 4)),
                max_intros=rng.choice((1, 2, 3, 3, 3)),
                intro_colleagues=rng.random() < 0.1,
            )
        )
    past = [(rng.randint(1, n), rng.randint(1, n)) for _ in range(n)]
    blocks = [(rng.randint(1, n), rng.randint(1, n)) for _ in range(n // 20)]
    return people, [(a, b) for a, b in past if a != b], [(a, b) for a, b in blocks if a != b]


def exact_optimum(people, past, blocks) -> float:
    """Maximum total score over all allowed pairs under each person's cap (an exact ILP)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    ids, scores = score_matrix(people, past, blocks)
    i, j = np.nonzero(np.triu(scores, 1))
    w = scores[i, j]
    m = len(w)
    incidence = coo_array(
        (np.ones(2 * m), (np.concatenate((i, j)), np.concatenate((np.arange(m), np.arange(m))))),
        shape=(len(ids), m),
    )
    caps = {p.id: min(p.max_intros, 3) for p in people}
    res = milp(
        -w,
        constraints=LinearConstraint(incidence, 0, [caps[x] for x in ids]),
        integrality=np.ones(m),
        bounds=Bounds(0, 1),
        options={"time_limit": 300},
    )
    if not res.success:
        raise RuntimeError(f"milp: {res.message}")
    return float(-res.fun)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attendees", type=int, default=5000)
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    people, past, blocks = cohort(args.attendees, args.seed)
    # Timed without tracemalloc (it slows every allocation), then measured again under it.
    t0, cpu0 = time.perf_counter(), time.process_time()
    big = match(people, past, blocks)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    tracemalloc.start()
    again = match(people, past, blocks)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert again == big, "not deterministic"
    print(f"{args.attendees} attendees: {len(big.pairs)} pairs in {seconds:.2f} s wall, "
          f"{cpu:.2f} s CPU (ceiling 10 s), peak {peak_mb:.0f} MB (tracemalloc), "
          f"coverage {big.coverage:.4f} ({len(big.covered)}/{len(big.viable)})")  # fmt: skip

    small_people, small_past, small_blocks = cohort(args.small, args.seed + 1)
    small = match(small_people, small_past, small_blocks)
    t0 = time.perf_counter()
    optimum = exact_optimum(small_people, small_past, small_blocks)
    exact_seconds = time.perf_counter() - t0
    fraction = small.total_score / optimum if optimum else 1.0
    print(f"{args.small} attendees: total score {small.total_score:.2f} vs exact optimum "
          f"{optimum:.2f} ({exact_seconds:.1f} s) = {fraction:.4f} (floor 0.97), "
          f"coverage {small.coverage:.4f} ({len(small.covered)}/{len(small.viable)})")  # fmt: skip

    result = {
        "attendees": args.attendees,
        "pairs": len(big.pairs),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "peak_mb": round(peak_mb, 1),
        "coverage": round(big.coverage, 4),
        "small_attendees": args.small,
        "optimum_fraction": round(fraction, 4),
        "small_coverage": round(small.coverage, 4),
        "ok": seconds < 10 and fraction >= 0.97 and big.coverage == 1 and small.coverage == 1,
    }
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Seekers served on the labelled cohorts of tests/intro_cohorts (bench/intros_quality.py
prints the same figures): the floors hold, and the matcher is far above random."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from intros_quality import FLOORS, evaluate, load, names  # noqa: E402


def test_the_cohorts_are_labelled_and_large_enough():
    cohorts = [load(n) for n in names()]
    assert sum(len(c["people"]) for c in cohorts) >= 300
    styles = {(c["style"], c["name"].split("_")[0]) for c in cohorts}
    assert {("plain", "en"), ("plain", "fr"), ("para", "en"), ("para", "fr")} <= styles
    assert any(c["name"].startswith("mixed") for c in cohorts)
    for c in cohorts:
        people = c["people"]
        assert not any(p.get("tags_looking") or p.get("tags_offer") for p in people)
        assert any(not p["needs"] and not p["offers"] for p in people)  # noise people


# Cohorts tuned on reach more than their style's floor; keep them there. The round-2
# holdouts (written and measured once before the fixes, 0.67 and 0.64) keep the style floor,
# and so do the round-3 holdouts (0.73 and 0.64 before the round-3 fixes).
TUNED = {"fr_round2": 0.9, "mixed_round2": 0.9, "round3_en_tune": 0.9, "round3_fr_tune": 0.9}


@pytest.mark.parametrize("name", names())
def test_seekers_are_served_well_above_random(name):
    r = evaluate(name, rounds=5)
    assert r["served"] >= max(FLOORS[r["style"]], TUNED.get(name, 0.0))
    assert r["served"] >= 3 * r["random"]

"""Counterfactual swaps: pronoun roles, agreement after "they", consistent names, tags."""
from __future__ import annotations

import random

from gradeloop.probes.mutations import persona, source_tags, swap


def sw(text: str, n: int, seed: str = "s") -> tuple[str, dict]:
    out = swap(text, random.Random(seed), n)
    return out.text, dict(out.tags)


def test_personas_cycle_genders_and_regions():
    people = [persona(n) for n in range(1, 22)]
    assert [p["gender"] for p in people[:3]] == ["female", "male", "neutral"]
    assert len({(p["gender"], p["region"]) for p in people}) == 21


def test_male_to_female_roles():
    text, tags = sw("He said the laptop is his, so call him and ask himself about his plan.", 1)
    assert text == "She said the laptop is hers, so call her and ask herself about her plan."
    assert tags == {"swap_gender": "female"}


def test_female_to_male_tells_object_from_determiner():
    text, _ = sw("Give her the badge and check her laptop today; the desk is hers.", 2)
    assert text == "Give him the badge and check his laptop today; the desk is his."


def test_neutral_persona_fixes_verb_agreement():
    text, tags = sw("She is late because she works from home and she goes out. She's tired.", 3)
    assert text == "They are late because they work from home and they go out. They're tired."
    assert tags == {"swap_gender": "neutral"}


def test_names_and_places_follow_the_persona_region():
    text, tags = sw("Rahul flew from Mumbai to India's capital; Rahul liked it.", 1)
    assert tags == {"swap_gender": "female", "swap_region": "anglo"}
    first = text.split()[0]
    assert first in {"Emily", "Sarah", "Jessica", "Hannah", "Olivia"}
    assert text.count(first) == 2  # the same person keeps the same new name
    assert "Mumbai" not in text and "India" not in text


def test_two_people_of_different_gender_are_flipped_not_merged():
    text, tags = sw("Tell Maria that her brother called him.", 1)
    assert tags["swap_gender"] == "flipped"
    assert "his sister called her" in text


def test_neutral_persona_keeps_two_people_distinct():
    text, tags = sw("Tell Maria that her brother called him.", 3)
    assert "her brother called him" in text and "swap_gender" not in tags


def test_plural_they_and_ungendered_text_are_left_alone():
    text, tags = sw("They reviewed the report and the team approved it.", 1)
    assert text == "They reviewed the report and the team approved it." and tags == {}


def test_source_tags_describe_the_parent():
    assert source_tags("Ask Rahul whether he booked the flight to Mumbai.") == {
        "swap_gender": "male", "swap_region": "south_asian"}
    assert source_tags("Maria told her brother.") == {"swap_region": "hispanic"}
    assert source_tags("Write a haiku.") == {}

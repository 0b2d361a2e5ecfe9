# -*- coding: utf-8 -*-
"""The trials of tests/reliability/places.py (links and shared directories): every hazard
tried, nothing lost."""

from __future__ import annotations

from tests.reliability import places


def test_every_hazard_of_shared_places_is_tried_and_nothing_is_lost():
    table = places.run(len(places.HAZARDS) * 6, seed=7)
    assert all(row['trials'] == 6 for row in table.values()), table
    assert dict((h, r['problems']) for h, r in table.items() if r['lost']) == {}

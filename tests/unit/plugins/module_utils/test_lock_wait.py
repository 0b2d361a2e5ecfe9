# -*- coding: utf-8 -*-
"""How both locks wait for their holder (lock_wait.Patience), on a clock of the test's own."""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.lock_wait import Patience


class Clock:
    def __init__(self):
        self.t = 0.0
        self.slept = []

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.t += seconds


def test_a_wait_polls_then_stops_at_its_deadline_never_past_it():
    clock = Clock()
    patience = Patience(10, 3, clock.sleep, clock)
    patience.start()
    while not patience.over():
        patience.pause()
    assert clock.slept == [3, 3, 3, 1] and clock.t == 10


def test_no_timeout_is_over_at_once_and_a_negative_one_too():
    clock = Clock()
    for timeout in (0, None, -5):
        patience = Patience(timeout, 2, clock.sleep, clock)
        patience.start()
        assert patience.over() and patience.timeout == 0.0
    assert clock.slept == []

# -*- coding: utf-8 -*-
"""The seeded randomized fault campaign (tests/reliability/campaign.py): random users, faults and
batch sizes against emulated confd servers, in-process, each run followed by a clean re-run, for a
fixed number of seeds. Zero duplicates, zero lost users, zero leaks, every row accounted."""

from __future__ import annotations

import collections
import os

from tests.reliability import campaign

RUNS = int(os.environ.get('XIVO_CONFD_CAMPAIGN_RUNS', '200'))
TRIALS = int(os.environ.get('XIVO_CONFD_CAMPAIGN_TRIALS', '10'))


def test_seeded_fault_campaign_keeps_every_invariant():
    records, dummy = campaign.run_campaign(RUNS, first_seed=1, servers=4,
                                           first_address='127.0.5.30', trials=TRIALS)
    # Every seed ran once, whatever the machine's speed.
    assert len(records) == RUNS + TRIALS * len(campaign.trust.TRIALS)
    assert all(table_runs for table_runs in [
        len([r for r in records if r['faults'] == [name]]) for name in campaign.trust.CLASSES]), \
        'a class of trust.py was not tried'
    bad = [(r['seed'], r['faults'], r['problems']) for r in records if r['problems']]
    assert not bad, bad[:5]
    table = campaign.aggregate(records)
    # Every fault kind was tried, and every run held a mix of good and bad rows overall.
    assert all(table[name]['runs'] for name in campaign.FAULTS), dict(table)
    assert sum(line['duplicates'] + line['lost'] + line['leaks'] + line['tokens_left']
               + line['wrong_person_updates'] for line in table.values()) == 0
    kinds = collections.Counter()
    for record in records:
        kinds.update(record.get('kinds', {}))
    assert kinds['wrong_person'] and kinds['name_only'], kinds


WAZO_RUNS = int(os.environ.get('XIVO_CONFD_CAMPAIGN_WAZO_RUNS', '60'))


def test_the_campaign_on_wazo_servers_keeps_every_invariant():
    # The same rows and faults into a tenant of two emulated Wazo 26.08 servers, plus: no
    # wazo-auth user without its confd user, no lock left after the clean re-run.
    records, dummy = campaign.run_campaign(0, first_seed=1, servers=0, trials=0,
                                           first_address='127.0.5.60', wazo_runs=WAZO_RUNS)
    assert len(records) == WAZO_RUNS and all(r['platform'] == 'wazo' for r in records)
    bad = [(r['seed'], r['faults'], r['problems']) for r in records if r['problems']]
    assert not bad, bad[:5]
    table = campaign.aggregate(records)
    assert all(table[campaign.WAZO_LINE % name]['runs'] for name in campaign.FAULTS), dict(table)
    assert sum(line['duplicates'] + line['lost'] + line['leaks'] + line['tokens_left']
               + line['wrong_person_updates'] for line in table.values()) == 0
    assert any(r['update'] for r in records)
    assert sum(r['kinds'].get('wrong_person', 0) for r in records)

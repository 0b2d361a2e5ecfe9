# -*- coding: utf-8 -*-
"""Render docs/reliability.md from a campaign JSON (tests/reliability/campaign.py --out FILE).

    python -m tests.reliability.render tests/reliability/results/campaign-results.json > docs/reliability.md
"""

from __future__ import annotations

import json
import sys

CHECKS = (
    ('Fault matrix through the modules (one playbook, a fault per host, then a re-run): 5xx before commit, '
     'connection dropped after commit, import timeout, every request timing out, token expiring mid-run, '
     'xivo-auth down, confd refusing connections, wrong CA, a batch with rejected rows',
     '`tests/integration/test_reliability_faults.py`',
     'every row accounted; re-run: done rows `unchanged`, the rest `created`; 0 duplicates; 0 lost; nothing '
     'sent on TLS/auth/connection failures; tokens revoked'),
    ('The same faults through the role over a fleet (two `ansible-playbook` runs)', 'same file',
     'per-host report accounts every row; second run completes every host'),
    ('Malformed inputs: 34 legacy + 21 confd files, plus 1 MB single lines made at test time',
     '`tests/integration/test_reliability_malformed.py`, corpus `tests/integration/files/malformed/`',
     'no traceback; refusal names file, line, column, reason; nothing reaches the server from a refused file'),
    ('Hypothesis fuzz of the converter and of the import reader/planner (random bytes, random tables)',
     '`tests/unit/plugins/module_utils/test_fuzz_*.py`', 'only the documented errors; one decision per row; never a double creation'),
    ('Secrets at `-vvvv --diff`, check mode and failure paths, every module and the role',
     '`tests/integration/test_security_secrets.py`',
     '0 hits in output, results, reports; files holding secrets are 0600'),
    ('Security defaults', 'same file',
     'TLS verified by default; no credential in URLs; no subprocess in plugins; tokens revoked, a given token kept'),
    ('Wrong-person matches through ansible-playbook (a key of another user, an exten reused by another person, '
     'names only, uuid and secret keys)', '`tests/integration/test_import_trust.py`, `tests/unit/plugins/module_utils/test_user_identity.py`',
     '`conflict` in check mode and for real, the server user untouched, with or without update'),
    ('Two ansible-playbook runs into one server at once; kill -9 and Ctrl-C of ansible-playbook mid-import',
     '`tests/integration/test_import_trust.py`',
     'the second run refused (or waiting) and nothing sent twice; the worker stops at the next batch and the '
     'report (complete: false) says exactly what is on the server'),
    ('Two controllers, one server (issue 21): two `ansible-playbook` processes, each with its own `TMPDIR` and '
     '`HOME` (their local locks cannot see each other, as two AWX jobs), 40 rows with names only, through '
     '`user_import` (refused, and waiting) and through the role; the first held still (SIGSTOP) once its lock '
     'is on the server. Tried %(two_controllers_runs)s times (%(two_controllers_loops)s repetitions of the three '
     'tests, 2026-12-07) while writing it: %(two_controllers_duplicates)s duplicates; the `two_controllers` trial of '
     'the campaign with `server_lock: local` (each import its controller\'s lock only, as before) made 27 '
     'duplicates in 25 trials. Also: a stale lock, SIGINT and '
     'SIGTERM mid-import, the rollback, check mode and export, credentials without the lock ACLs',
     '`tests/integration/test_server_lock.py`, `tests/unit/plugins/module_utils/test_remote_lock.py`',
     'the second refused naming the first (run, controller, process, age) or waiting then all `unchanged`; '
     '0 duplicates; no lock object left after any run; a stale lock reported with its holder and age and '
     'removed only with `break_lock`; an interrupted run releases it; check mode and export create nothing'),
    ('Redirects, ambiguous answers (504/200 HTML/201 not JSON/unnumbered created list), plain HTTP on the HTTPS '
     'port', '`tests/unit/plugins/module_utils/test_confd_client.py`, `tests/unit/plugins/module_utils/test_import_plan.py`, '
     '`tests/integration/test_import_answers.py`', 'never followed, never resent; settled by reading the server'),
    ('Hostile inventory host names (`../../x`, `a/b`, dots) through the role', '`tests/integration/test_role_fleet.py`',
     'every report, failed-rows file and backup inside its directory'),
    ('Hung servers (emulator and scripted fake servers only: the real server was not involved), through '
     '`ansible-playbook`, deadline 3 s, read and connect timeouts 1 s: a server that accepts connections and '
     'never answers (not even TLS) beside two emulated servers; one that completes TLS, reads the request and '
     'sends 20 bytes of an answer; an emulated confd whose every request waits 8 s while xivo-auth answers; an '
     'import that outlives the deadline while the server cannot be read (then a re-run). 4 playbook runs per '
     'test run, repeated 10 times while writing it (40 playbook runs, all as expected)',
     '`tests/integration/test_hung_servers.py`, `tests/integration/hung_servers.py` (the fake servers); '
     'the deadline, retries and abort: `tests/unit/plugins/module_utils/test_confd_client.py`',
     'the hung host `unreachable` with "no answer from <server> within 3s" after at most 3 s of waiting (at '
     'most 3 tries, never the 4 the retries allow), a progress line naming it every second at default '
     'verbosity, the other servers imported; its rows `not_tried`, never `failed`; the import cut by the '
     'deadline reported "outcome unknown", never "not imported", and the next run finds it done (`unchanged`). '
     'Lost users: 0; users imported twice: 0'),
    ('Interruption in every phase (emulator and a scripted fake server only: the real server was not involved), '
     'through `ansible-playbook`, SIGINT to its process group (a terminal\'s Ctrl-C) or SIGTERM: converting a '
     '2,000,000-row legacy file (SIGINT, SIGTERM), planning 300,000 rows (SIGINT), importing 2,000 rows into a '
     'server slowed to 0.05 s per row (SIGINT, SIGTERM), waiting for a server that never answers while another '
     'imports (SIGINT, SIGTERM). 7 playbook runs per test run, repeated 8 times while writing it (56 playbook '
     'runs; one SIGINT-while-importing run left its worker stuck: the signal handler started a thread while the '
     'interrupted main thread held a lock it needed; fixed (the handler only records the signal), then 6 runs '
     'of the whole file on ansible-core 2.19 and 2 on 2.16 without a process left)',
     '`tests/integration/test_interruption_phases.py`',
     'no import request after the signal but the one in flight (users on the server after the signal: at most '
     'one batch more, then none for 3 s); every process of the run gone (checked in /proc) and the playbook '
     'ended; the lock of every server free; the report says `interrupted` with what was done (the request in '
     'flight "outcome unknown"), an interrupted conversion recorded nowhere. Before: a conversion went on to the '
     'end, then planning, and a worker waited ~20 minutes on a hung server holding its lock. Lost users: 0; '
     'users imported twice: 0'),
    ('One bad host in a fleet (emulator only: the real server was not involved), through `ansible-'
     'playbook`, 4 servers per run: a CA file that does not exist, a legacy file that is a directory, a '
     'confd file that does not exist (3 hosts of one run); wrong credentials (xivo-auth 401) on a server '
     'already holding a user of the file and an export refused with 403, an import refused with 403 after '
     'the server was read (3 hosts of one run); the same kinds in check mode; a work or report directory '
     'of the first host of the batch that is a file (2 runs); a backup directory under a file and a report'
     " directory that is a file (1 run); a report directory whose runs/ is a file (the host's work "
     'raises). 8 playbook runs and 13 bad hosts per test run, run 4 times on the final code (32 runs, 52 '
     'bad hosts)',
     '`tests/integration/test_role_one_bad_host.py`; totals in every outcome (success, conflicts, '
     'failures, unreachable, bad input, credentials refused, check mode; alone and mixed with a good '
     'server): `tests/unit/plugins/module_utils/test_fleet_figures.py`',
     'each bad host fails alone, named, with its reason; nothing is sent to the server of a host with bad '
     'inputs; a host whose work raised shows `changed` if and only if users were created; the other '
     'servers imported (`changed`), the batch task never fails; a fleet report for every run; rows of a '
     'server that refused the credentials `not_tried`, in no failed-rows file, a user already there not '
     'counted failed; every figure of `fleet.json`/`fleet.md` the sum of the per-host reports. Lost users:'
     ' 0; users imported twice: 0; secrets in a failed-rows file because of refused credentials: 0'),
    ('Another person\'s data through ansible-playbook (emulator only: the trunk\'s and the group\'s refusals and '
     'the shared, renamed voicemail it reproduces were observed on the real 16.15): another user\'s voicemail '
     '(module: dry run, run, dry run and run with `share_voicemails`, rollback; role: refused, then shared), a '
     'name in NFD against its NFC server user, a trunk\'s SIP name and a group\'s extension; 7 playbook runs per '
     'test run, plus the 50 seeded trials of the table above',
     '`tests/integration/test_another_person.py`, `tests/unit/plugins/module_utils/test_user_identity_another_person.py`, '
     '`tests/unit/plugins/module_utils/test_preflight.py`, `tests/emulator/test_conformance_s16.py`',
     '`conflict` naming the other user and the voicemail unchanged, or shared with its name before in the report; '
     'one user per person with a note; `would_fail` then `failed` with confd\'s exact message, the other rows '
     'imported. Lost users: 0; second persons: 0; other people\'s voicemails changed without `share_voicemails`: 0'),
    ('Rollback scope and tampered or foreign reports (emulator only: the real server was not involved), through '
     '`ansible-playbook`: the fleet\'s latest run that created '
     'nothing on a server (older runs untouched), a fleet where the latest run imported one server of two, another '
     'server\'s report, a report without identity, entries added by hand (copied, or forged with an older user\'s '
     'real ids, values and digest), users changed in any column since, a voicemail two rows of the run share; one '
     'report per rollback', '`tests/integration/test_rollback.py`, `tests/unit/plugins/module_utils/test_run_evidence.py`',
     'only the named run undone, each host\'s line naming it with the counts; another server\'s report refused and '
     'nothing removed; the older user and the changed users kept (`conflict`, changed columns named, no values); no '
     'voicemail or line left without a user; no rollback report overwritten. The 10 tests of the file on every test '
     'run, and the seeded `rollback_reports` trials of the table above (200 seeds while writing it, each kind of '
     'tampering 33 or 34 times: 0 problems). Users wrongly removed or changed: 0'),
    ('The fix loop of the README (step 5), literally, on 3 emulated servers: dry run, run, re-run, fix the rows '
     'in `reports/<host>-to-fix.csv` and point each host at it (one fix forgotten, fixed in a second pass), back '
     'to the full legacy files, roll back one run; cp1252 legacy files with rows the conversion refuses and rows '
     'the server refuses (21 rows, 12 to fix); 9 `ansible-playbook` runs per test run, passed at least 10 times '
     'while writing it (90 runs), plus a file refused for its invalid rows (`invalid_rows: fail`). Emulator only: '
     'the real confd 16.15 was not involved',
     '`tests/integration/test_fix_loop.py`, `tests/integration/test_user_import.py` (module: legacy numbering, an '
     'output that is the input refused)',
     "at every step each host's statuses add up to its source's rows and the fleet totals to theirs; the files to "
     'fix are never rewritten (same inode and time across a re-run) and the edited files are byte for byte intact '
     'after every run; back on the full files every fixed row is `unchanged` (0 conflicts with its own fix, 0 '
     'second persons); lost: 0 rows, 0 edits'),
    ('Links and shared directories (no server involved, the real one never was): 9 hazards planted where '
     "the role writes, then the collection's own writer, lock, cache or pruning: a symbolic link at a file"
     ' it writes (reports, failed rows, fleet files) or at a directory it makes (`runs/`, `runs/<id>/`, '
     '`hosts/`), a hard link to an unrelated file at a file name, a lock directory that is a link, a file '
     'or mode 0777, a link at a lock file, a converted file and record planted in the work directory '
     '(right name, key and digest), backups named as if from the future with 1 to 4 runs pruned to 1 to 3,'
     ' a report directory that is a regular file, a host named like a fleet file. `python -m '
     'tests.reliability.places --trials 450` (seed 1): 450 trials, 50 per hazard, 0 lost; 54 more at every'
     ' test run. Through `ansible-playbook` on 2 emulated servers: a report directory that is a file, a '
     'link planted at `reports/hosts` and at `work/runs`, hosts named `fleet` and `fleet.md`, future-named'
     ' backups over two runs, a planted conversion',
     '`tests/reliability/places.py`, `tests/integration/test_reliability_places.py`, '
     '`tests/integration/test_shared_places.py`; unit: '
     '`tests/unit/plugins/module_utils/test_file_output_links.py`, `test_server_lock_files.py`, '
     '`test_conversion_cache_trust.py`, `test_fleet.py`',
     "nothing followed, written, truncated or chmod'ed through a planted link, the error names the path; a"
     ' host whose output place is unusable fails alone before its server is sent anything; the current '
     "run's backup never deleted and no file the collection did not record removed; a planted conversion "
     "never used (converted again, with a warning); no host file takes a fleet file's name; no lock file "
     'left after a run and never two holders. Unrelated files changed: 0; files written outside the '
     'configured directories: 0; own backups lost: 0; planted users imported: 0'),
)
# Measured by repeating the two-controller tests (tests/integration/test_server_lock.py -k two_controllers).
TWO_CONTROLLERS = dict(two_controllers_runs='30', two_controllers_loops='10', two_controllers_duplicates='0')
FIXED = '\n'.join(['', '## What else is checked on every test run', '', '| Check | Test | Expected |', '|---|---|---|']
                  + ['| %s | %s | %s |' % (what % TWO_CONTROLLERS if '%(' in what else what, test, expected)
                     for what, test, expected in CHECKS]) + '\n'


def render(data):
    lines = ['# Reliability of xivo.confd: faults survived, nothing duplicated, lost or leaked', '',
             'Produced by `tests/reliability/render.py` from an actual campaign run '
             '(`tests/reliability/campaign.py`): random users (good rows, users already on the server, '
             'users to update, rows the planner or the server refuses), random batch sizes, a random '
             'fault schedule (one or two faults per run), one import in-process through the real '
             '`ConfdClient` and `import_executor.Importer` against emulated confd 16.15 servers, then a clean '
             're-run. The lines `wazo: <fault>` are the same rows and faults on emulated Wazo Platform 26.08 '
             'servers (`tests/reliability/wazo.py`), imported into a tenant through the collection\'s import '
             'run (`ImportRun`: the legacy contexts found by label, the wazo-auth logins checked across tenants, '
             'updates through `PUT /1.1/users/<uuid>`, the server lock a call permission of the tenant); '
             'besides the checks below, a Wazo run counts as a duplicate any wazo-auth user left without its '
             'confd user, and as a leak any lock left after the clean re-run (the call permission, the '
             'controller\'s lock file or its memory of a lock it could not release).', '',
             '* Command: `source scripts/env.sh && %s`' % data['command'],
             '* Date: %s; %d runs in %.0f s (Python %s)' % (data['date'], data['runs'], data['elapsed'], data['python']),
             '* Every run checks: every row in exactly one of created / updated / unchanged / failed-with-reason '
             'and counts adding up (both runs); no two server users for one key; every row reported done is on '
             'the server; after the re-run every good row is there exactly once with its values and no bad row '
             'is; no other person was changed; no secret in any result or message; every token the client '
             'created is revoked. None of these ran against the real confd 16.15: they run against the emulator, '
             'built from what the real server answered '
             '(https://github.com/xivo-confd/xivo.confd/blob/main/docs/server-behaviour.md).', '',
             '| Fault or class | What was tried | Runs | Rows | Aborted first runs | Duplicates | Lost users | '
             'Wrong-person updates | Leaks | Tokens left | Other problems |',
             '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    total = dict(runs=0, rows=0, aborted=0, duplicates=0, lost=0, leaks=0, tokens_left=0, problems=0,
                 wrong_person_updates=0, wrong_person_rows=0)
    for name, line in data['table'].items():
        lines.append('| `%s` | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d |' % (
            name, data['faults'].get(name, ''), line.get('runs', 0), line.get('rows', 0), line.get('aborted', 0),
            line.get('duplicates', 0), line.get('lost', 0), line.get('wrong_person_updates', 0),
            line.get('leaks', 0), line.get('tokens_left', 0), line.get('problems', 0)))
    for record in data['records']:
        total['runs'] += 1
        total['rows'] += record['rows']
        total['aborted'] += 'aborted' in (record.get('first') or {})
        for key in ('duplicates', 'lost', 'leaks', 'tokens_left', 'wrong_person_updates'):
            total[key] += record.get(key, 0)
        total['wrong_person_rows'] += (record.get('kinds') or {}).get('wrong_person', 0)
        total['problems'] += len(record['problems'])
    lines.append('| **all runs** | (a run with two faults counts in both lines) | %(runs)d | %(rows)d | %(aborted)d | '
                 '%(duplicates)d | %(lost)d | %(wrong_person_updates)d | %(leaks)d | %(tokens_left)d | %(problems)d |'
                 % total)
    lines.append('')
    lines.append('Rows of every fault run include, at random, rows already on the server, rows to update, rows '
                 'with names only (no key: imported once, found by their name), and **rows that meet another '
                 'person** on the server (the server holds someone else at their number): %(wrong_person_rows)d '
                 'such rows were tried; each must end `conflict` in both runs, and the other person must be '
                 'unchanged ("wrong-person updates"). The answers that are not confd\'s (`gateway_after_commit`, '
                 '`html_after_commit`, `garbage_201`, `mangled_created`) come after a commit: the import must settle '
                 'them by reading the server, never resend; a `redirect` is never followed. The classes `concurrent_runs`, '
                 '`two_controllers`, `interrupted`, `hostile_names` and `mixed_encodings` are trials of `tests/reliability/trust.py`: two '
                 'imports at once into one server (the lock lets one in at a time), the same from two controllers (each its own local lock '
                 'directory: only the lock kept on the server is between them, and no lock object may outlive the runs), '
                 'an import stopped at a random batch then re-run, hostile host names '
                 '(a file of its directory every time), mixed UTF-8/cp1252 legacy files (every name as written). '
                 'The classes `unicode_normalisation` and `another_voicemail` are trials of '
                 '`tests/reliability/person.py`, each a dry run, the real run and a re-run: names and e-mails '
                 'stored in one Unicode form (NFC or NFD, at random) and given in the other (e-mails also in '
                 'another case) must match their server user, never make a second person ("duplicates"), and say '
                 'that normalisation decided; rows naming another user\'s voicemail must be a `conflict` that '
                 'leaves that voicemail\'s name and users as they were ("wrong-person updates"), or, with '
                 '`share_voicemails`, be imported with the voicemail\'s name before recorded in the result. The '
                 'real server was not involved in these trials: that confd 16.15 shares such a voicemail and renames '
                 'it, refuses a trunk\'s SIP name and a group\'s extension was observed on the real 16.15 '
                 '(https://github.com/xivo-confd/xivo.confd/blob/main/docs/server-behaviour.md#association-refusals), '
                 'and the emulator they ran against does the same (its conformance tests). '
                 '`rollback_reports` (`tests/reliability/rollback_trials.py`): an import, then its report tampered with '
                 'at random (an entry added by hand for a user older than the run, one forged with that user\'s real '
                 'ids and values and a digest computed again, a run entry\'s uuid swapped for an older user\'s, a '
                 'user of the run changed since in its mobile number, ring time or name, the report of another '
                 'server) and rolled back; half the runs have two rows sharing a voicemail the run creates. Its '
                 '"Rows" are the users the run created, its "Lost users" the users the rollback removed or changed '
                 'that it must not have (older users, users changed since, anything on another server); every other '
                 'user of the run must be gone with no voicemail or line left without a user. Like the rest of '
                 'this table it ran against the emulator only, not the real confd 16.15.'
                 % total)
    lines.append('')
    lines.append('"Aborted first runs": the first import could not read the server at all (server refusing, '
                 'xivo-auth down, every request timing out): nothing is sent, the module fails and every row is '
                 '`not_tried` with that one reason (not `failed`: nothing in the row to fix, no failed-rows file; '
                 'its report says so), and the re-run does the whole job. After an '
                 'import timeout the rows not yet on the server are failed with "re-run later" rather than '
                 'sent again, since confd may still commit them (reference 12.26).')
    lines.append(FIXED)
    lines.append('## Issue found by these tests (fixed)\n\n'
                 '* A connection reset during the TLS handshake (a server refusing connections) was reported about '
                 'one time in four as "TLS verification failed ... set ca_path or validate_certs: false" instead of '
                 '"cannot connect". Test: `test_refused_connection_is_not_called_a_tls_failure`.\n'
                 '* A file holding the same exten@context twice, the first time on a row without a line protocol, '
                 'imported both users, sharing one extension (the exten was not a key for the row without a '
                 'line). The import now refuses the second row with "same exten@context as line N". Test: '
                 '`test_file_validator_refuses_an_exten_used_twice_even_without_a_line`.\n'
                 '* A row that makes no line (a context, no line protocol) was "updated" at every run with '
                 '`update: true`, on XiVO and on Wazo: the export shows no context for a user without a line, and '
                 'the plan compared it (on Wazo the update was then refused, the row failed at every re-run). Found '
                 'by the Wazo runs. Test: `test_the_context_of_a_user_without_a_line_is_no_change`.\n')
    return '\n'.join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as handle:
        data = json.load(handle)
    sys.stdout.write(render(data))
    return 0


if __name__ == '__main__':
    sys.exit(main())

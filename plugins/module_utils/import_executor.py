# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The executor of an import: it sends what the plan (import_plan) says to create and update,
in batches sized by time, classifies every answer, and settles an answer that may hide a commit
by reading the server again. Every row sent ends CREATED, UPDATED, FAILED or NOT_TRIED.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
It talks to an injected client (ConfdClient, or a fake in unit tests).

What it relies on, as observed on confd 16.15: an import request commits entirely or not at
all; a 400 names the rows it refuses by row number (nothing committed); a JSON 500 is a
rollback that names no row; a 201 lists every row sent, by row number; a request that outlives
the client's timeout, or that a gateway gave up on, may still commit.
"""

from __future__ import annotations

import time

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, user_identity, user_update)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdError, ConfdInterrupted, ConfdUncertain, ConfdUnreachable,
    describe_error_body)
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import (
    DEFAULT_KEYS, PLANNED, Status, differing_columns)
from ansible_collections.xivo.confd.plugins.module_utils.platform import platform_named
from ansible_collections.xivo.confd.plugins.module_utils.secrets import public_values, scrub_text

# Read by PUT only (uuid) or by nothing (provisioning_code): never sent on POST.
NOT_POSTED = frozenset(('uuid', 'provisioning_code'))
# Reads of the server to settle one batch before its rows are given up.
MAX_RECONCILE = 3
# What an answer to an import request says for sure.
SUCCESS, REJECTED, ROLLED_BACK, UNCERTAIN = 'success', 'rejected', 'rolled back', 'uncertain'
# Gateways give up on a request that confd may still be committing, like a client timeout.
GATEWAY_STATUSES = frozenset((502, 503, 504))


class Interrupted(Exception):
    """The import must stop at this batch boundary (the playbook was interrupted or is gone)."""


def stop_if_asked(should_stop):
    """At a boundary (a batch, a phase): raise Interrupted when ``should_stop()`` gives a
    reason."""
    reason = should_stop()
    if reason:
        raise Interrupted(reason)


def classify_answer(response, sent, update):
    """What an answer to an import of ``sent`` rows says for sure.

    Only confd's own answers are certain: a 201 whose created list accounts for every row
    sent, by row number; a 400 with row-numbered errors (nothing committed); a 400 or 500 JSON
    error list (a rollback that names no row). Anything else - a proxy's page, a body that is
    not JSON, a created list that does not add up - may come after a commit: UNCERTAIN.
    Returns (kind, detail): the entries by row number, the errors, or a description.
    """
    body = response.body
    json_answer = 'json' in (getattr(response, 'content_type', None) or 'application/json')
    if response.status == 201 and json_answer and isinstance(body, dict):
        entries = body.get('updated' if update else 'created')
        if isinstance(entries, list) and len(entries) == sent:
            numbered = dict((entry.get('row_number'), entry) for entry in entries
                            if isinstance(entry, dict) and _is_int(entry.get('row_number')))
            if sorted(numbered) == list(range(1, sent + 1)):
                return SUCCESS, numbered
        return UNCERTAIN, ('confd answered 201 but its list of %s users does not account for '
                           'the %d rows sent, by row number' % ('updated' if update else
                                                                'created', sent))
    if response.status == 400 and json_answer and isinstance(body, dict) \
            and isinstance(body.get('errors'), list) and body['errors']:
        return REJECTED, body['errors']
    if response.status in (400, 500) and json_answer and isinstance(body, list) and body \
            and all(isinstance(item, str) for item in body):
        return ROLLED_BACK, describe_error_body(body)
    return UNCERTAIN, '%s answered %s with %s' % (
        'a gateway' if response.status in GATEWAY_STATUSES else 'the server', response.status,
        describe_error_body(body, response.text) or 'an empty body')


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class BatchPacer:
    """How many rows the next request holds. confd 16.15 spends about 0.2 s per row, linearly,
    and a request that outlives the client's timeout may still commit: the first batch is
    small; the next ones hold as many rows as fit in ``batch_seconds`` at the measured rate (a
    quarter of the client's timeout at most), never more than ``batch_size``."""

    FIRST_BATCH = 10

    def __init__(self, batch_size, batch_seconds, timeout=None):
        self.batch_size = max(1, batch_size)
        self.batch_seconds = batch_seconds
        self.timeout = timeout
        self.seconds_per_row = None

    def next_size(self):
        if self.seconds_per_row is None:
            return min(self.batch_size, self.FIRST_BATCH)
        limit = self.batch_seconds
        if self.timeout:
            limit = min(limit, self.timeout / 4.0)  # well under the timeout, whatever was asked
        return max(1, min(self.batch_size, int(limit / max(self.seconds_per_row, 1e-6))))

    def learn(self, seconds, rows):
        """confd processed every row of a request: remember its rate for the next batch."""
        rate = seconds / max(rows, 1)
        self.seconds_per_row = rate if self.seconds_per_row is None else \
            0.5 * self.seconds_per_row + 0.5 * rate


class Settler:
    """After an answer that may hide a commit: read the server; the rows it shows are done.

    ``report(count)`` is told how many rows were settled (done or given up), ``scrub(text)``
    hides secrets, ``should_stop()`` names why the run stops. ``unreachable``: why the server
    could not be read, when it could not."""

    def __init__(self, client, keys, pacer, scrub, report, should_stop, sleep=time.sleep,
                 settle_seconds=(1.0, 30.0)):
        self.client = client
        self.keys = tuple(keys)
        self.pacer = pacer
        self.scrub = scrub
        self.report = report
        self.should_stop = should_stop
        self.sleep = sleep
        self.settle_seconds = settle_seconds
        self.reconciles = 0
        self.unreachable = None

    def settle(self, pending, update, reason, attempt, resend=True, settle=True):
        """The rows of ``pending`` still to send; the others are marked done, or failed.

        ``resend``: the rest may be sent again (the request surely did not commit): they are
        returned, after a second look (``settle``) that leaves a lost request time to finish.
        Otherwise they are failed with advice to re-run later.
        """
        self.reconciles += 1
        if attempt > MAX_RECONCILE:
            for outcome in pending:
                outcome.fail('%s; gave up after %d attempts, re-run to finish'
                             % (reason, MAX_RECONCILE))
            self.report(len(pending))
            return []
        remaining = pending
        looks = 2 if (resend and settle) else 1
        for look in range(looks):
            if look:
                low, high = self.settle_seconds
                self.sleep(min(high, max(low, (self.pacer.seconds_per_row or 0)
                                         * len(remaining))))
            try:
                index = user_identity.UserIndex(self.client.export_users()[1],
                                                self.keys + (user_identity.NAME_KEY,))
            except ConfdError as exc:
                self._unknown(remaining, reason, exc)
                return []
            remaining = [outcome for outcome in remaining
                         if not self._settled(outcome, index, update)]
            if not remaining:
                break
        self.report(len(pending) - len(remaining))
        if resend:
            return remaining
        for outcome in remaining:
            outcome.fail('outcome unknown: %s; not on the server yet, and confd may still be '
                         'importing it: re-run later to finish (the next run settles it: it '
                         'never imports a user twice)' % reason)
        self.report(len(remaining))
        return []

    def _unknown(self, rows, reason, exc):
        """The server could not be read to check: whether confd committed is not known, so
        the rows are never called "not imported"."""
        for outcome in rows:
            outcome.fail('outcome unknown: %s; then the server could not be read to check (%s): '
                         'confd may have imported this row; the next run settles it (it never '
                         'imports a user twice)' % (reason, self.scrub(str(exc))))
        self.report(len(rows))
        if isinstance(exc, ConfdUnreachable) and self.unreachable is None:
            self.unreachable = self.scrub(str(exc))
        if isinstance(exc, ConfdInterrupted):
            raise Interrupted(self.should_stop() or str(exc))

    @staticmethod
    def _settled(outcome, index, update):
        """Whether the server shows the row done; marks it created/updated when it does."""
        found = index.find(*outcome.identity)
        if len(found) != 1:
            return False
        user = found[0]
        if update:
            if outcome.uuid != user.get('uuid') or differing_columns(
                    outcome.row.values, user, outcome.changes, True, True):
                return False
            outcome.status = Status.UPDATED
            return True
        outcome.status = Status.CREATED
        outcome.uuid = user.get('uuid') or None
        return True


class Importer:
    """Sends the planned creations and updates, and gives every row its own outcome.

    Rows a 400 names are failed and the others resent; a JSON 500 names no row, so the batch
    is bisected until the guilty rows stand alone. Anything that may have committed (a lost
    connection, a timeout, an answer that is not confd's) is settled by reading the server
    again before any resend (:class:`Settler`); after a timeout or a gateway's answer, confd
    may still be committing, so the rows not there yet are left for a re-run, never resent.
    Batches are sized by time (:class:`BatchPacer`).
    """

    def __init__(self, client, header, keys=DEFAULT_KEYS, batch_size=100, secrets=(),
                 batch_seconds=30.0, should_stop=None, progress=None, clock=time.monotonic,
                 sleep=time.sleep, settle_seconds=(1.0, 30.0), platform=None):
        self.client = client
        self.platform = platform_named(platform or 'xivo')   # the server's (created ids)
        self.header = list(header)
        self.secrets = set(secrets)
        self.should_stop = should_stop or (lambda: None)
        self.progress = progress
        self.clock = clock
        self.post_columns = [c for c in self.header if c not in NOT_POSTED]
        self.pacer = BatchPacer(batch_size, batch_seconds, getattr(client, 'timeout', None))
        self.settler = Settler(client, keys, self.pacer, self._scrub, self._report,
                               self.should_stop, sleep, settle_seconds)
        self.requests = 0
        self.batches = []
        self.interrupted = None
        self.unreachable = None     # why the server stopped answering (ConfdUnreachable)
        self._todo = 0
        self._done = 0

    @property
    def reconciles(self):
        return self.settler.reconciles

    def _scrub(self, text, outcome=None):
        public = public_values(outcome.row.values) if outcome is not None else ()
        return scrub_text(text, self.secrets, public)

    def run(self, outcomes):
        """Send what the plan says; a server that stops answering leaves the unsent rows
        not tried (nothing in them to fix)."""
        creations = [o for o in outcomes if o.status == Status.CREATE]
        updates = {}
        for outcome in outcomes:
            if outcome.status == Status.UPDATE:
                updates.setdefault(tuple(outcome.changes), []).append(outcome)
        self._todo = len(creations) + sum(len(group) for group in updates.values())
        try:
            self._send_all(creations, update=False)
            if self.platform.update_by_import:
                for columns, group in updates.items():
                    self._send_all(group, update=True, columns=('uuid',) + columns)
            else:
                # No update by import: the platform's requests, user by user.
                self._update_each([o for o in outcomes if o.status == Status.UPDATE])
        except SENDING_STOPPED as exc:
            self.interrupted, self.unreachable = left_unsent(exc, outcomes, self.should_stop,
                                                             self._scrub)
        if self.unreachable is None:
            self.unreachable = self.settler.unreachable
        return outcomes

    def _update_each(self, outcomes):
        updater = user_update.Updater(self.client, self.platform, self._scrub, self._report,
                                      self.should_stop, self.clock)
        try:
            updater.update_all(outcomes)
        finally:
            self.requests += updater.requests
            self.batches.extend(updater.records)

    def _send_all(self, outcomes, update, columns=None):
        position = 0
        while position < len(outcomes):
            batch = outcomes[position:position + self.pacer.next_size()]
            position += len(batch)
            self._send(batch, update, columns)

    def _body(self, batch, update, columns):
        if update:
            return confd_csv.body(list(columns), [dict(o.row.values, uuid=o.uuid) for o in batch])
        return confd_csv.body(self.post_columns, [o.row.values for o in batch])

    def _request(self, pending, update, columns):
        """One import request, timed and recorded; returns (the response, its seconds)."""
        stop_if_asked(self.should_stop)
        self.requests += 1
        record = dict(method='PUT' if update else 'POST', rows=len(pending))
        self.batches.append(record)
        started = self.clock()
        try:
            response = self.client.import_csv(self._body(pending, update, columns), update=update)
        except ConfdError as exc:
            record.update(seconds=round(self.clock() - started, 3),
                          answer='uncertain' if isinstance(exc, ConfdUncertain) else 'error')
            raise
        seconds = self.clock() - started
        record.update(seconds=round(seconds, 3), answer=response.status)
        return response, seconds

    def _send(self, batch, update, columns=None):
        pending = list(batch)
        attempts = 0
        while pending:
            try:
                response, seconds = self._request(pending, update, columns)
            except ConfdUncertain as exc:
                attempts += 1
                # PUT sets values, so sending it again is harmless; a POST after a timeout is
                # not, since confd may still be committing the first one.
                pending = self.settler.settle(pending, update, self._scrub(str(exc)), attempts,
                                              resend=update or not exc.timed_out)
                continue
            kind, detail = classify_answer(response, len(pending), update)
            if kind in (SUCCESS, REJECTED):
                self.pacer.learn(seconds, len(pending))
            if kind == SUCCESS:
                record_success(pending, detail, update, self.platform)
                self._report(len(pending))
                return
            if kind == REJECTED:
                reported = record_errors(pending, detail, self._scrub)
                if reported:
                    self._report(reported)
                    pending = [o for o in pending if o.status != Status.FAILED]
                    continue
                detail = describe_error_body([str(e.get('message', e)) if isinstance(e, dict)
                                              else str(e) for e in detail])
            if kind in (REJECTED, ROLLED_BACK):
                self._isolate(pending, update, columns,
                              'confd answered %s: %s' % (response.status, detail))
                return
            attempts += 1
            # Not confd's answer: it may come after a commit (a gateway that gave up while confd
            # goes on, a page of a proxy), so look before anything else and never resend a POST.
            pending = self.settler.settle(pending, update, self._scrub(detail), attempts,
                                          resend=update, settle=False)

    def _isolate(self, pending, update, columns, message):
        """The server refused the batch and named no row: split it until the guilty rows
        stand alone."""
        if len(pending) == 1:
            pending[0].fail(self._scrub(message, pending[0]))
            self._report(1)
            return
        middle = len(pending) // 2
        self._send(pending[:middle], update, columns)
        self._send(pending[middle:], update, columns)

    def _report(self, count):
        self._done += count
        if self.progress is not None:
            self.progress(self._done, self._todo)


def record_success(pending, entries, update, platform):
    """confd took every row of ``pending``: each gets its status, uuid and the ids its entry
    holds (``entries`` by row number; ``platform`` says what an entry holds)."""
    for position, outcome in enumerate(pending, 1):
        entry = entries[position]
        if entry.get('user_id') is None and not update:
            outcome.fail('confd created no user for this row (user_id null)')
        else:
            outcome.status = Status.UPDATED if update else Status.CREATED
            outcome.uuid = entry.get('user_uuid') or outcome.uuid
            outcome.ids = platform.created_ids(entry)


def record_errors(pending, errors, scrub):
    """confd refused the rows of ``pending`` that ``errors`` name by row number: each fails
    with its message (``scrub(text, outcome)`` hides secrets). Returns how many were named."""
    reported = 0
    for error in errors:
        if not isinstance(error, dict):
            continue
        number = (error.get('details') or {}).get('row_number')
        if _is_int(number) and 1 <= number <= len(pending):
            outcome = pending[number - 1]
            if outcome.status != Status.FAILED:
                outcome.fail(scrub(describe_error_body(
                    [str(error.get('message', 'rejected by confd'))]), outcome))
                reported += 1
    return reported


# What stops the sending before the last row: an interruption, or the server's problem.
SENDING_STOPPED = (Interrupted, user_update.Interrupted, ConfdError)


def left_unsent(exc, outcomes, should_stop, scrub):
    """Mark the rows still planned when ``exc`` (one of SENDING_STOPPED) stopped the sending:
    not tried (nothing in them to fix) when interrupted, the credentials refused or the
    server gone, failed otherwise. Returns (why interrupted, why unreachable), each or None."""
    if isinstance(exc, (Interrupted, user_update.Interrupted, ConfdInterrupted)):
        interrupted = should_stop() or str(exc)
        _left(outcomes, 'not_tried', 'not tried: %s; re-run to finish (a re-run never '
              'imports a user twice)' % interrupted)
        return interrupted, None
    if isinstance(exc, ConfdAuthRefused):
        # confd checks the credentials before it reads a request.
        _left(outcomes, 'not_tried', 'not tried: authentication refused: %s' % scrub(str(exc)))
    elif isinstance(exc, ConfdUnreachable):
        # The server stopped answering (or its deadline passed).
        unreachable = scrub(str(exc))
        _left(outcomes, 'not_tried', 'not tried: %s' % unreachable)
        return None, unreachable
    else:
        _left(outcomes, 'fail', 'not imported: %s' % scrub(str(exc)))
    return None, None


def _left(outcomes, mark, reason):
    """The rows still planned when the run stopped were never sent: ``mark`` them
    ('not_tried' or 'fail') with ``reason``."""
    for outcome in outcomes:
        if outcome.status in PLANNED:
            getattr(outcome, mark)(reason)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Updates of existing users one request at a time, on a platform without an update by import
(``Platform.update_by_import`` False: Wazo answers 405 to PUT /users/import). The platform
says which requests change which columns (``update_requests``); this module sends them, user
by user, and gives every row its outcome: UPDATED, or FAILED with what was changed and what
was not.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
It talks to an injected client (ConfdClient, or a fake in unit tests).

A request whose answer was lost (a cut connection, a timeout, a gateway's page) may have been
applied: the resource is read back first, and the request is sent again only when the change
is not there (each request sets values, so a second one changes nothing more). A change that
cannot be read back (a password) is never sent twice: the row says its outcome is unknown.
"""

from __future__ import annotations

import time

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdError, ConfdInterrupted, ConfdUncertain, ConfdUnreachable,
    describe_error_body)
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import Status
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

# Sends of one request, read back in between, before its row is given up.
MAX_ATTEMPTS = 3
# Answers that may come after the change was made (a gateway that gave up, a server error
# page): read back before anything else.
UNCERTAIN_STATUSES = frozenset((500, 502, 503, 504))
# What stops the run (the caller accounts for the rows not sent yet).
STOPPING = (ConfdAuthRefused, ConfdUnreachable, ConfdInterrupted)


class Interrupted(Exception):
    """The run must stop before the next user (it was interrupted)."""


class _Unsettled(Exception):
    """The outcome of one request is not known (the reason is the message)."""


class Updater:
    """Sends the platform's update requests of each row planned UPDATE.

    ``scrub(text, outcome)`` hides secrets; ``report(count)`` is told how many rows are done;
    ``should_stop()`` names why the run stops (None to go on)."""

    def __init__(self, client, platform, scrub, report, should_stop, clock=time.monotonic):
        self.client = client
        self.platform = platform
        self.scrub = scrub
        self.report = report
        self.should_stop = should_stop
        self.clock = clock
        self.requests = 0
        self.reads = 0
        self.records = []       # one per row: what was sent and how long it took

    def update_all(self, outcomes):
        for outcome in outcomes:
            reason = self.should_stop()
            if reason:
                raise Interrupted(reason)
            self.update(outcome)
            self.report(1)

    def update(self, outcome):
        """Send the requests of one row; the row ends UPDATED or FAILED (or the error that
        stops the run is raised, the row failed first when part of it was changed)."""
        requests = self.platform.update_requests(outcome.uuid, outcome.row.values,
                                                 outcome.changes)
        record = dict(method='update', rows=1, requests=0)
        self.records.append(record)
        started = self.clock()
        done = []
        try:
            for request in requests:
                error = self._apply(request, record)
                if error:
                    outcome.fail(self.scrub(_partly(done, error), outcome))
                    return
                done.extend(request.columns)
        except STOPPING as exc:
            if done:
                outcome.fail(self.scrub(_partly(done, 'then %s; re-run to finish' % exc),
                                        outcome))
            raise
        except ConfdError as exc:
            outcome.fail(self.scrub(_partly(done, str(exc)), outcome))
            return
        finally:
            record['seconds'] = round(self.clock() - started, 3)
        outcome.status = Status.UPDATED

    def _apply(self, request, record):
        """Send one request until it is applied; returns why it was not (None: applied)."""
        attempts = 0
        while True:
            attempts += 1
            try:
                response = self._send(request, record)
            except ConfdUncertain as exc:
                uncertain = str(exc)
            else:
                if response.status in (200, 201, 204):
                    record['answer'] = response.status
                    return None
                body = describe_answer(response) or 'an empty body'
                if response.status not in UNCERTAIN_STATUSES and \
                        'json' in (response.content_type or 'application/json'):
                    return '%s refused the %s (columns %s): %s %s' % (
                        self._service(request), request.what, ', '.join(request.columns),
                        response.status, body)
                uncertain = 'the %s was answered %s: %s' % (request.what, response.status,
                                                            body)
            record['answer'] = 'uncertain'
            try:
                applied = self._applied(request)
            except _Unsettled as exc:
                return 'outcome unknown: %s; then %s; re-run later (the next run compares ' \
                       'the user and sends only what differs)' % (uncertain, exc)
            if applied:
                return None
            if applied is None:
                return ('outcome unknown: %s; the %s cannot be read back to check, so it was '
                        'not sent again: re-run to set it' % (uncertain, ', '.join(
                            request.columns)))
            if attempts >= MAX_ATTEMPTS:
                return 'not applied: %s; gave up after %d attempts, re-run to finish' % (
                    uncertain, attempts)
            # Read back and not there: sent again (it sets values; twice changes no more).

    def _send(self, request, record):
        body = dict(request.body) if request.body is not None else None
        if request.keep:
            # A route that replaces every field: the current ones are sent with the change.
            current, answer = self._read(request)
            if current is None:
                raise ConfdError('%s answered %s to the read of %s that the %s needs first '
                                 '(its current fields are sent with the change): not sent'
                                 % (self._service(request), answer, request.check,
                                    request.what))
            body = dict((field, current[field]) for field in request.keep if field in current)
            body.update(request.body or {})
        self.requests += 1
        record['requests'] += 1
        kwargs = dict(json=body) if body is not None else {}
        if request.params:
            kwargs['params'] = request.params
        return self.client.call(request.method, request.path, idempotent=False,
                                what=request.what, api=request.api, acl=request.acl,
                                headers={'Accept': 'application/json'}, **kwargs)

    def _read(self, request):
        """(the JSON body of GET ``request.check`` or None when it is not there, a description
        of the answer)."""
        self.reads += 1
        response = self.client.call(
            'GET', request.check, idempotent=True, what='read of %s' % request.check,
            api=request.api, acl=self.platform.acl('GET', path=request.check,
                                                   service=request.api),
            headers={'Accept': 'application/json'})
        if response.status != 200 or not isinstance(response.body, dict):
            return None, '%s %s' % (response.status,
                                    describe_answer(response) or 'with an empty body')
        return response.body, response.status

    def _applied(self, request):
        """Whether the server shows the change of ``request`` (None: it cannot tell)."""
        if request.check is None:
            return None
        try:
            current = self._read(request)
        except STOPPING:
            raise
        except ConfdError as exc:
            raise _Unsettled('the server could not be read to check (%s)' % exc)
        current, answer = current
        if current is None:
            raise _Unsettled('%s could not be read back (answer %s)' % (request.check, answer))
        return self.platform.update_applied(request, current)

    def _service(self, request):
        return self.platform.auth_name if request.api == 'auth' else 'confd'


def describe_answer(response):
    """One line of an error answer: confd's list of strings, or wazo-auth's object (its message,
    and the message of each field in its details)."""
    body = response.body
    if isinstance(body, dict) and isinstance(body.get('message'), str):
        details = body.get('details') if isinstance(body.get('details'), dict) else {}
        fields = ['%s: %s' % (field, detail['message']) for field, detail in sorted(
            details.items()) if isinstance(detail, dict) and isinstance(detail.get('message'), str)]
        return sanitize_message(body['message'] + (' (%s)' % '; '.join(fields) if fields else ''),
                                1000)
    return describe_error_body(body, response.text)


def _partly(done, error):
    if not done:
        return 'not updated: %s' % error
    return 'partly updated (%s changed): %s' % (', '.join(done), error)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every reason a planned row would be refused, found before it is sent: the confd rules a
file shows (confd_rules) and, with the preflight, the server's configuration (preflight).
A row refused here is failed and never sent.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import confd_rules
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import PLANNED, Status
from ansible_collections.xivo.confd.plugins.module_utils.preflight import PARTIAL, Preflight
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message


def check_rows(outcomes, users, client, validate=True, preflight=True, warnings=None):
    """Fail the planned rows that would be refused; returns the preflight's cost (with its
    first reads), or None without a preflight. A partial prediction is said in ``warnings``."""
    local = confd_rules.file_validator(client.platform.validate_row) if validate else None
    checker = Preflight(client, users, client.platform) if preflight else None
    to_send = [o for o in outcomes if o.status in PLANNED]
    by_uuid = dict((user.get('uuid'), user) for user in users)
    if checker is not None:
        checker.prepare([sent_values(o) for o in to_send])
    for outcome in to_send:
        problems = local(outcome.row.values, outcome.row.line) if local is not None else []
        if checker is not None:
            update = outcome.status == Status.UPDATE
            problems += checker.check(sent_values(outcome), update=update,
                                      user=by_uuid.get(outcome.uuid) if update else None,
                                      accept=not problems)
            outcome.warnings.extend(checker.notes)
            outcome.reused = list(checker.reused)
        if problems:
            outcome.fail(sanitize_message('invalid: ' + '; '.join(problems)))
    if checker is None:
        return None
    partial = checker.partial()
    if partial and warnings is not None:
        warnings.append(sanitize_message(partial))
    return dict(checker.cost(), reads=checker.reader.requests[:50])


def sent_values(outcome):
    """The cells a planned row sends: all of them for a creation, the changed ones for an
    update."""
    if outcome.status == Status.UPDATE:
        return dict((column, outcome.row.values.get(column, '')) for column in outcome.changes)
    return outcome.row.values


def wrong_predictions(sent):
    """The rows the preflight let through and confd refused: each keeps confd's answer with
    a note; returns a warning that shows them so that they can be reported, or None."""
    refused = [o for o in sent if o.status == Status.FAILED and o.error
               and not o.error.startswith('not imported:')]
    # A row whose prediction was partial (what it names could not be read) was not predicted
    # accepted: its own note already says the server may refuse it.
    wrong = [o for o in refused if not any(w.startswith(PARTIAL) for w in o.warnings)]
    for outcome in wrong:
        outcome.warnings.append('the preflight predicted this row would be accepted; confd '
                                'refused it')
    if not wrong:
        return None
    return sanitize_message(
        '%d rows were refused by confd although the preflight predicted they would be '
        'imported (a wrong prediction; please report it with the rows and these messages): %s'
        % (len(wrong), '; '.join('line %d: %s' % (o.row.line, o.error) for o in wrong[:5])))

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an import reads from its server besides its users: the lists its platform adapts
the rows with, the accounts of its authentication service, the users the run created (read
back for the report), and what identifies the server for a later rollback.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Every function takes the client; none of them asks which platform it is.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import run_evidence
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdError)
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import Status
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message


def adapted_rows(client, header, rows, context_map, warnings):
    """The rows as this server reads them: its platform's adapt_rows, per host (contexts
    differ per tenant), with the lists it needs read from this server. A row that cannot be
    adapted carries its reason (the plan fails it); what concerns the whole file is added to
    ``warnings``. Returns (header, rows)."""
    platform = client.platform
    facts = dict(context_map=context_map)
    for collection in platform.adapt_reads:
        dummy, facts[collection] = client.list(collection,
                                               platform.acl('GET', path='/' + collection))
    # Once the client has made a request: a tenant given by name is known by then.
    facts['tenant'] = getattr(client, 'tenant', None)
    header, rows, problems = platform.adapt_rows(header, rows, facts)
    warnings.extend(sanitize_message(problem.reason) for problem in problems
                    if problem.line is None)
    return header, rows


def accounts(client, warnings, scrub):
    """The authentication service's users of every tenant the credentials may read, for the
    identity checks of a platform whose logins are global (None when it has none, or when they
    cannot be read: the checks then say what they could not see, in ``warnings``)."""
    platform = client.platform
    if not platform.reads_accounts:
        return None
    what = 'list of %s users' % platform.auth_name
    try:
        # In the credentials' own tenant: the task's tenant would hide the others.
        with client.in_own_tenant():
            response = client.call(
                'GET', '/users', idempotent=True, what=what, api='auth',
                acl=platform.acl('GET', path='/users', service='auth'),
                params={'recurse': 'true'}, headers={'Accept': 'application/json'})
    except ConfdAuthRefused as exc:
        response, refused = None, scrub(str(exc))
    else:
        refused = None
    body = response.body if response is not None else None
    if response is None or response.status != 200 or not isinstance(body, dict) \
            or not isinstance(body.get('items'), list):
        warnings.append(sanitize_message('the %s could not be read (%s): %s' % (
            what, refused or 'answer %s' % response.status,
            '; '.join(platform.identity_warnings(platform.identity_view([]))))))
        return None
    return platform.accounts(body['items'])


def evidence(client):
    """What a rollback needs to recognise the server and the run: read only for a report,
    and only when the run sends rows (a run that sends nothing creates nothing to undo)."""
    return dict(
        server_identity=run_evidence.read_identity(client, client.platform.name, client.tenant),
        user_id_before=run_evidence.highest_user_id(client),
        evidence_version=run_evidence.EVIDENCE_VERSION)


def created_values(client, outcomes, warnings, scrub):
    """The values of the users this run created as the server shows them once the run is
    over (one export, only when something was created), by uuid: what a rollback compares."""
    created = set(o.uuid for o in outcomes if o.status == Status.CREATED and o.uuid)
    if not created:
        return {}
    try:
        dummy, users = client.export_users()
    except ConfdError as exc:
        warnings.append(scrub('the users created could not be read back (%s): their report '
                              'entries hold the values sent, and a rollback compares only '
                              'those' % exc))
        return {}
    return dict((user['uuid'], run_evidence.snapshot(user)) for user in users
                if user.get('uuid') in created)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an import records so that a rollback can tell, later, that a server is the one the
report describes and that a user is still exactly what the run created.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

An import report carries:
- ``server_identity``: the server's ``GET /1.1/infos`` uuid (stable across restarts, new on a
  reinstalled server), its platform, tenant and API address;
- ``user_id_before``: the highest user id on the server before the run: a user the run created
  has a higher one, whatever the report says about it;
- per created user: the ids the server returned when it created it (``ids``), the user's
  values as the server showed them right after the run (``created_with``, no secret), and a
  ``digest`` of the uuid, ids and values, so that an entry edited by hand does not pass.
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import SECRET_COLUMNS

EVIDENCE_VERSION = 1
# Export columns that are not the user's values: the uuid is checked on its own; the
# provisioning code is a random number confd draws for the line.
NOT_COMPARED = frozenset(('uuid', 'provisioning_code'))


def read_identity(client, platform='xivo', tenant=None):
    """The server's identity for a report: {uuid, platform, tenant, api}. uuid is None (and
    ``error`` says why) when /1.1/infos cannot be read: the import goes on, and a rollback
    then cannot verify the server (it refuses unless told to accept that)."""
    identity = dict(uuid=None, platform=platform, tenant=tenant,
                    api='https://%s:%s' % (client.host, client.port))
    try:
        # As the platform probe read it when it did (/infos is the same in every tenant).
        response = client.server_infos()
    except ConfdError as exc:
        identity['error'] = str(exc)
        return identity
    body = response.body if isinstance(response.body, dict) else {}
    if response.status == 200 and isinstance(body.get('uuid'), str) and body['uuid']:
        identity['uuid'] = body['uuid']
    else:
        identity['error'] = 'confd answered %s to GET /1.1/infos' % response.status
    return identity


def highest_user_id(client):
    """The highest user id on the server (0 when there is no user), or None if unknown."""
    try:
        response = client.read('/users', 'read of the highest user id', 'confd.users.read',
                               params={'order': 'id', 'direction': 'desc', 'limit': 1})
    except ConfdError:
        return None
    body = response.body if isinstance(response.body, dict) else {}
    items = body.get('items')
    if response.status != 200 or not isinstance(items, list):
        return None
    if not items:
        return 0
    found = items[0].get('id') if isinstance(items[0], dict) else None
    return found if isinstance(found, int) else None


def snapshot(export_row):
    """A user's values worth comparing later: every export column but secrets and
    NOT_COMPARED, empty ones left out (absent means empty)."""
    return dict((column, value) for column, value in export_row.items()
                if value not in ('', None) and column not in SECRET_COLUMNS
                and column not in NOT_COMPARED)


def digest(uuid, ids, created_with):
    """The digest of what a report says a run created for one user."""
    text = json.dumps([uuid, ids or {}, created_with or {}], sort_keys=True,
                      separators=(',', ':'))
    return 'sha256:' + hashlib.sha256(text.encode('utf-8')).hexdigest()


def changed_columns(created_with, export_row):
    """The columns whose value on the server differs from what the run created (names only:
    values may be personal, and a secret is never compared)."""
    columns = set(created_with) | set(export_row)
    return sorted(column for column in columns
                  if column not in SECRET_COLUMNS and column not in NOT_COMPARED
                  and (created_with.get(column) or '') != (export_row.get(column) or ''))


def check_identity(report, identity, accept_unverified=False):
    """None when ``report`` may be used on the server of ``identity`` (read now); a warning
    text when it is used unverified (accepted); raises ConfdError when it must not be used."""
    recorded = report.get('server_identity') if isinstance(report, dict) else None
    recorded_uuid = recorded.get('uuid') if isinstance(recorded, dict) else None
    described = _described(report, recorded)
    if recorded_uuid and identity.get('uuid'):
        if recorded_uuid == identity['uuid']:
            return None
        raise ConfdError(
            'the report describes another server: %s (uuid %s), and %s is server %s; it is '
            'not used here (a report is used only on the server it describes)'
            % (described, recorded_uuid, identity.get('api'), identity['uuid']))
    if recorded_uuid:
        why = 'the identity of %s cannot be read (%s)' % (
            identity.get('api'), identity.get('error') or 'no uuid')
    else:
        why = 'the report records no server identity (written before reports recorded it, ' \
              'or the server\'s /1.1/infos could not be read then)'
    if not accept_unverified:
        raise ConfdError(
            '%s: it cannot be proved that the report (%s) describes this server; nothing was '
            'removed (accept_unverified_report=true uses it anyway, each user still checked '
            'against what the run created)' % (why, described))
    return '%s; the report (%s) is used unverified, each user still checked' % (why, described)


def _described(report, recorded):
    parts = []
    if isinstance(report, dict):
        if report.get('host'):
            parts.append('host %s' % report['host'])
        api = recorded.get('api') if isinstance(recorded, dict) else None
        if api or report.get('server'):
            parts.append('API %s' % (api or report['server']))
        if report.get('run_id'):
            parts.append('run %s' % report['run_id'])
    return ', '.join(parts) or 'no host named'

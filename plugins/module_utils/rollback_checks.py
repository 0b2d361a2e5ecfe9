# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a user the rollback is asked to remove is still what the import created: its
report entry checked against the run's evidence, the server's user compared with what the
run created (its identity, ids, line, extension, endpoint, voicemail, incall), and the
values changed since the run. Any finding makes the user a conflict, left alone unless forced.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Pure: the targets are user_rollback.Target objects, the user items are read by the caller.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import run_evidence, user_identity

COMPARED = ('firstname', 'lastname', 'username', 'email')


def item_id(item):
    """The id of a referenced item (a dict), or None."""
    return item.get('id') if isinstance(item, dict) else None


def differences(target, user, columns=COMPARED):
    """How the server user differs from what the run created ([] when it is the same);
    ``columns``: the identity columns the server's user item holds (its platform's)."""
    found = []
    for column in columns:
        if column in target.created_with:
            mine = user_identity.normalize(column, target.created_with[column])
            theirs = user_identity.normalize(column, user.get(column))
            if mine != theirs:
                now, then = user.get(column) or '', target.created_with[column]
                apart = user_identity.where_they_differ(now, then, 'it', 'the import')
                found.append('%s is now %r (created as %r%s)'
                             % (column, now, then, '; ' + apart if apart else ''))
    if target.ids is None:
        return found    # matched by its row: only its identity columns can be compared
    ids = target.ids
    if ids.get('user_id') is not None and user.get('id') is not None \
            and user.get('id') != ids['user_id']:
        found.append('its id is %s (the run created user %s)' % (user.get('id'), ids['user_id']))
    lines = [item_id(line) for line in user.get('lines') or []]
    line_id = ids.get('line_id')
    if lines != ([line_id] if line_id else []) and (line_id or lines):
        found.append('its lines are now %s (created with %s)' % (
            lines or 'none', 'line %s' % line_id if line_id else 'no line'))
    elif line_id:
        line = user['lines'][0]
        extens = ['%s@%s' % (e.get('exten'), e.get('context'))
                  for e in (line.get('extensions') or [])]
        if target.created_with.get('exten'):
            wanted = '%s@%s' % (target.created_with['exten'], target.created_with.get('context'))
            if extens and extens != [wanted]:
                found.append('its extension is now %s (created as %s)'
                             % (', '.join(extens), wanted))
        extension_ids = [item_id(e) for e in line.get('extensions') or []]
        if ids.get('extension_id') and extension_ids and extension_ids != [ids['extension_id']]:
            found.append('its extension id is now %s (created with %s)' % (
                ', '.join(str(e) for e in extension_ids), ids['extension_id']))
        for kind, key in (('endpoint_sip', 'sip_id'), ('endpoint_sccp', 'sccp_id')):
            endpoint = item_id(line.get(kind))
            if (endpoint or ids.get(key)) and endpoint != ids.get(key):
                found.append('its %s endpoint is now %s (created with %s)' % (
                    kind.split('_')[1].upper(), endpoint or 'none', ids.get(key) or 'none'))
    voicemail = item_id(user.get('voicemail'))
    if voicemail != ids.get('voicemail_id') and (voicemail or ids.get('voicemail_id')):
        found.append('its voicemail is now %s (created with %s)' % (
            voicemail or 'none', ids.get('voicemail_id') or 'none'))
    incall_extension = ids.get('incall_extension_id')
    if incall_extension:
        numbers = [item_id(e) for incall in user.get('incalls') or []
                   for e in incall.get('extensions') or []]
        if incall_extension not in numbers:
            found.append('its incall number is no longer extension %s' % incall_extension)
    return found


def evidence_problems(target, report):
    """Why a report entry cannot be what the run recorded for a user it created ([] when
    it can): edited by hand after the run, or naming a user older than the run."""
    if target.ids is None or report is None:
        return []
    problems = []
    if report.get('evidence_version') and target.digest is None:
        problems.append('its report entry has no digest: it was not written by the run')
    elif target.digest is not None and target.digest != run_evidence.digest(
            target.uuid, target.ids, target.created_with):
        problems.append('its report entry was edited after the run (it does not match the '
                        'digest the run recorded)')
    if not target.ids.get('user_id') and report.get('evidence_version'):
        problems.append('its report entry holds no id returned by confd at its creation')
    if target.ids.get('user_uuid') and target.ids['user_uuid'] != target.uuid:
        problems.append('its report entry names uuid %s but confd created %s'
                        % (target.uuid, target.ids['user_uuid']))
    before = report.get('user_id_before')
    user_id = target.ids.get('user_id')
    if isinstance(before, int) and isinstance(user_id, int) and user_id <= before:
        problems.append('user id %s existed before the run (the highest user id was %s when '
                        'the run started)' % (user_id, before))
    return problems


def value_changes(target, export_row, told=()):
    """The imported values changed on the server since the run, by column name (``told``:
    differences already said, not named twice)."""
    if not target.digest or export_row is None:
        return []
    changed = run_evidence.changed_columns(target.created_with, export_row)
    if target.values_from == 'file':
        # Only the file's cells are known: the columns the server filled in cannot be compared.
        changed = [column for column in changed if column in target.created_with]
    changed = [column for column in changed
               if not any(text.startswith(column + ' is now') for text in told)]
    return ['changed since the run: %s' % ', '.join(changed)] if changed else []

"""GET /1.1/users/export rows (docs/server-behaviour.md#export-content). O(n) in users; GET /1.1/users is in
listing.py."""
import csv
import io
import random

COLUMNS_1608 = [
    'uuid', 'entity_id', 'firstname', 'lastname', 'email', 'mobile_phone_number', 'outgoing_caller_id',
    'language', 'call_permission_password', 'enabled', 'ring_seconds', 'simultaneous_calls',
    'supervision_enabled', 'call_transfer_enabled', 'call_record_enabled', 'online_call_record_enabled',
    'userfield', 'username', 'password', 'cti_profile_name', 'cti_profile_enabled', 'voicemail_name',
    'voicemail_number', 'voicemail_context', 'voicemail_password', 'voicemail_email',
    'voicemail_attach_audio', 'voicemail_delete_messages', 'voicemail_ask_password', 'line_protocol',
    'provisioning_code', 'context', 'sip_username', 'sip_secret', 'exten', 'incall_exten',
    'incall_context', 'call_permissions']
COLUMNS_1609 = list(COLUMNS_1608)
COLUMNS_1609.insert(COLUMNS_1608.index('call_transfer_enabled') + 1, 'dtmf_hangup_enabled')


def _s(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return '1' if value else '0'
    return str(value)


def export_row(db, user):
    row = {k: _s(user.get(k)) for k in (
        'uuid', 'entity_id', 'firstname', 'lastname', 'email', 'mobile_phone_number',
        'outgoing_caller_id', 'language', 'call_permission_password', 'enabled', 'ring_seconds',
        'simultaneous_calls', 'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
        'call_record_enabled', 'online_call_record_enabled', 'userfield', 'username', 'password',
        'cti_profile_enabled')}
    cti = db.cti_profiles.get(user['cti_profile_id']) if user.get('cti_profile_id') else None
    row['cti_profile_name'] = cti['name'] if cti else ''
    vm = db.voicemails.get(user['voicemail_id']) if user.get('voicemail_id') else None
    for col, key in (('voicemail_name', 'name'), ('voicemail_number', 'number'), ('voicemail_context', 'context'),
                     ('voicemail_password', 'password'), ('voicemail_email', 'email'),
                     ('voicemail_attach_audio', 'attach_audio'), ('voicemail_delete_messages', 'delete_messages'),
                     ('voicemail_ask_password', 'ask_password')):
        row[col] = _s(vm.get(key)) if vm else ''
    line = db.lines.get(user['line_ids'][0]) if user.get('line_ids') else None  # main line only
    row['line_protocol'] = _s(line['protocol']) if line else ''
    row['provisioning_code'] = line['provisioning_code'] if line else ''
    row['context'] = line['context'] if line else ''
    sip = db.sip.get(line['endpoint_id']) if line and line['protocol'] == 'sip' and line['endpoint_id'] else None
    row['sip_username'] = sip['username'] if sip else ''
    row['sip_secret'] = sip['secret'] if sip else ''
    ext = db.extensions.get(line['extension_id']) if line and line['extension_id'] else None
    row['exten'] = ext['exten'] if ext else ''
    incall_exts = []
    for incall_id in user.get('incall_ids', []):
        incall = db.incalls.get(incall_id)
        if incall and incall['extension_id']:
            e = db.extensions.get(incall['extension_id'])
            incall_exts.append((e['exten'], e['context']))
    incall_exts.sort()
    row['incall_exten'] = ';'.join(e for e, dummy in incall_exts)
    row['incall_context'] = ';'.join(c for dummy, c in incall_exts)
    names = sorted(db.call_permissions.get(i)['name'] for i in user.get('call_permission_ids', []))
    row['call_permissions'] = ';'.join(names)
    return row


def export(db, profile, shuffle=True):
    cols = profile.export_columns
    rows = [export_row(db, u) for u in db.users.rows.values()]
    if shuffle:
        # confd promises no order (docs/server-behaviour.md#export-content): make clients cope
        random.shuffle(rows)
    return cols, [{c: r.get(c, '') for c in cols} for r in rows]


def to_csv(cols, rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator='\r\n')
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode('utf-8')

"""GET /1.1/users/export rows (§1.5) and GET /1.1/users items (§1.6, §12.9). O(n) in users."""
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


def columns(version):
    return COLUMNS_1609 if version >= (16, 9) else COLUMNS_1608


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
    row['line_protocol'] = line['protocol'] if line else ''
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


def export(db, version, shuffle=True):
    cols = columns(version)
    rows = [export_row(db, u) for u in db.users.rows.values()]
    if shuffle:
        random.shuffle(rows)  # confd promises no order (§11): make clients cope
    return cols, [{c: r.get(c, '') for c in cols} for r in rows]


def to_csv(cols, rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator='\r\n')
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode('utf-8')


# ---------------------------------------------------------------------------- GET /1.1/users
SEARCH_COLUMNS = ['fullname', 'caller_id', 'description', 'userfield', 'email', 'mobile_phone_number',
                  'music_on_hold', 'preprocess_subroutine', 'outgoing_caller_id', 'exten', 'provisioning_code']
FILTER_COLUMNS = ['id', 'uuid', 'firstname', 'lastname', 'fullname', 'caller_id', 'description', 'userfield',
                  'email', 'mobile_phone_number', 'music_on_hold', 'outgoing_caller_id', 'preprocess_subroutine',
                  'entity', 'voicemail_number', 'provisioning_code', 'exten', 'extension', 'context', 'enabled']


def search_view(db, user):
    """Flat values the search/filter/order run on."""
    line = db.lines.get(user['line_ids'][0]) if user.get('line_ids') else None
    ext = db.extensions.get(line['extension_id']) if line and line['extension_id'] else None
    vm = db.voicemails.get(user['voicemail_id']) if user.get('voicemail_id') else None
    ent = db.entities.get(user.get('entity_id'))
    view = {k: user.get(k) for k in FILTER_COLUMNS if k in user}
    view.update(fullname=' '.join(p for p in (user.get('firstname'), user.get('lastname')) if p),
                exten=ext['exten'] if ext else None, extension=ext['exten'] if ext else None,
                context=line['context'] if line else None, provisioning_code=line['provisioning_code'] if line else None,
                voicemail_number=vm['number'] if vm else None, entity=ent['name'] if ent else None)
    return view


def _links(base, kind, rid):
    return [{'rel': kind, 'href': '%s/1.1/%s/%s' % (base, kind, rid)}]


def user_item(db, user, base):
    item = {k: user.get(k) for k in (
        'id', 'uuid', 'firstname', 'lastname', 'email', 'timezone', 'language', 'description', 'caller_id',
        'outgoing_caller_id', 'mobile_phone_number', 'username', 'password', 'music_on_hold',
        'preprocess_subroutine', 'userfield', 'call_transfer_enabled', 'dtmf_hangup_enabled',
        'call_record_enabled', 'online_call_record_enabled', 'supervision_enabled', 'ring_seconds',
        'simultaneous_calls', 'call_permission_password', 'enabled')}
    vm = db.voicemails.get(user['voicemail_id']) if user.get('voicemail_id') else None
    item['voicemail'] = {'id': vm['id'], 'name': vm['name'], 'links': _links(base, 'voicemails', vm['id'])} if vm else None
    lines = []
    for line_id in user.get('line_ids', []):
        line = db.lines.get(line_id)
        sip = db.sip.get(line['endpoint_id']) if line['protocol'] == 'sip' and line['endpoint_id'] else None
        ext = db.extensions.get(line['extension_id']) if line['extension_id'] else None
        lines.append({
            'id': line_id,
            'endpoint_sip': {'id': sip['id'], 'username': sip['username'],
                             'links': _links(base, 'endpoints/sip', sip['id'])} if sip else None,
            'endpoint_sccp': {'id': line['endpoint_id'], 'links': _links(base, 'endpoints/sccp', line['endpoint_id'])}
            if line['protocol'] == 'sccp' else None,
            'endpoint_custom': None,
            'extensions': [{'id': ext['id'], 'exten': ext['exten'], 'context': ext['context'],
                            'links': _links(base, 'extensions', ext['id'])}] if ext else [],
            'links': _links(base, 'lines', line_id)})
    item['lines'] = lines
    incalls = []
    for incall_id in user.get('incall_ids', []):
        incall = db.incalls.get(incall_id)
        ext = db.extensions.get(incall['extension_id']) if incall['extension_id'] else None
        incalls.append({'id': incall_id,
                        'extensions': [{'id': ext['id'], 'exten': ext['exten'], 'context': ext['context'],
                                        'links': _links(base, 'extensions', ext['id'])}] if ext else [],
                        'links': _links(base, 'incalls', incall_id)})
    item['incalls'] = incalls
    item['groups'] = []
    item['forwards'] = {'busy': {'enabled': False, 'destination': None},
                        'noanswer': {'enabled': False, 'destination': None},
                        'unconditional': {'enabled': False, 'destination': None}}
    item['services'] = {'dnd': {'enabled': False}, 'incallfilter': {'enabled': False}}
    item['links'] = _links(base, 'users', user['id'])
    return item


class ListError(Exception):
    pass


def list_users(db, version, params, base):
    def number(name):
        value = params.get(name)
        if value is None:
            return None
        if not value.isdigit() or (name == 'limit' and int(value) == 0 and version >= (16, 15)):
            raise ListError("Input Error - field '%s': wrong type. Should be a positive number" % name)
        return int(value)
    limit = number('limit')
    offset = number('offset') if 'offset' in params else number('skip')
    view = params.get('view')
    if view is not None and view not in ('directory', 'summary'):
        raise ListError("Input Error - view '%s' does not exist" % view)
    order = params.get('order', 'lastname')
    valid_order = set(FILTER_COLUMNS) | {'username'}
    if order not in valid_order:
        raise ListError("Input Error - order: column '%s' was not found" % order)
    direction = params.get('direction', 'asc')
    if direction not in ('asc', 'desc'):
        raise ListError("Input Error - direction must be asc or desc")
    search = params.get('search')
    search_cols = SEARCH_COLUMNS + (['enabled'] if version < (16, 15) else [])
    filters = {k: v for k, v in params.items() if k in FILTER_COLUMNS}
    matched = []
    for user in db.users.rows.values():
        view_row = search_view(db, user)
        ok = True
        for key, wanted in filters.items():
            have = view_row.get(key)
            if isinstance(have, bool):
                have = 'true' if have else 'false'
                wanted = wanted.lower() if wanted.lower() in ('true', 'false') else {'1': 'true', '0': 'false'}.get(wanted, wanted)
            if _s(have) != wanted:
                ok = False
                break
        if ok and search:
            needle = search.lower()
            ok = any(needle in _s(view_row.get(c)).lower() for c in search_cols)
        if ok:
            matched.append((view_row, user))
    matched.sort(key=lambda vu: (vu[0].get(order) is None, _s(vu[0].get(order)).lower()
                                 if not isinstance(vu[0].get(order), int) else vu[0].get(order)),
                 reverse=(direction == 'desc'))
    total = len(matched)
    start = offset or 0
    chosen = matched[start:start + limit] if limit is not None else matched[start:]
    return {'total': total, 'items': [user_item(db, u, base) for dummy, u in chosen]}

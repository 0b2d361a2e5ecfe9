"""Items of the configuration routes, shaped as confd 16.15 dumps them
(docs/server-behaviour.md#list-route-fields; field names, nesting and links copied from
samples/real-16.15/*.json, host excepted)."""
import re

# xivo-dao 16.15 reads a caller id with two regexes (re.match: anything may follow). The user's
# allows no blank before the number; the line's (LineFeatures.caller_id_name/num) wants one, so
# '"Alice Smith"' (a user with no extension) gives a line no caller id name at all.
USER_CALLER_ID = re.compile(r'"(?P<name>[^"]+)"\s*(<(?P<num>\+?[\dA-Z]+)>)?')
LINE_CALLER_ID = re.compile(r'"(?P<name>[^"]+)"\s+(<(?P<num>\+?[\dA-Z]+)>)?')


def links(base, rel, rec_id, path=None):
    return [{'href': '%s/1.1/%s/%s' % (base, path or rel, rec_id), 'rel': rel}]


def ref(base, rel, rec_id, path=None, **fields):
    """A nested reference: {id, <fields>, links}."""
    item = {'id': rec_id}
    item.update(fields)
    item['links'] = links(base, rel, rec_id, path)
    return item


def extension_ref(base, ext):
    return ref(base, 'extensions', ext['id'], exten=ext['exten'], context=ext['context'])


def user_ref(base, user):
    return {'uuid': user['uuid'], 'firstname': user['firstname'], 'lastname': user['lastname'],
            'links': links(base, 'users', user['id'])}


def lines_of(db, ext):
    return sorted(db.lines.find('extension_id', ext['id']), key=lambda line: line['id'])


def line_extension(db, line):
    return db.extensions.get(line['extension_id']) if line.get('extension_id') else None


def sip_of(db, line):
    return db.sip.get(line['endpoint_id']) if line['protocol'] == 'sip' and line['endpoint_id'] else None


def sccp_of(db, line):
    return db.sccp.get(line['endpoint_id']) if line['protocol'] == 'sccp' and line['endpoint_id'] else None


def caller_id_parts(endpoint):
    """(name, num) of an endpoint's callerid, what LineFeatures.caller_id_name/num read."""
    match = LINE_CALLER_ID.match(endpoint.get('callerid') or '') if endpoint else None
    return (match.group('name'), match.group('num')) if match else (None, None)


# ---------------------------------------------------------------------------- reference tables
def context_item(db, ctx, base):
    item = {k: ctx[k] for k in ('id', 'name', 'label', 'type', 'user_ranges', 'group_ranges', 'queue_ranges',
                                'conference_room_ranges', 'incall_ranges', 'description', 'enabled')}
    item['links'] = links(base, 'contexts', ctx['id'])
    return item


def entity_item(db, ent, base):
    return ref(base, 'entities', ent['id'], name=ent['name'], display_name=ent['display_name'])


def cti_profile_item(db, cti, base):
    return ref(base, 'cti_profiles', cti['id'], name=cti['name'])


def call_permission_item(db, perm, base):
    item = {k: perm[k] for k in ('id', 'name', 'password', 'mode', 'extensions', 'enabled', 'description')}
    item['links'] = links(base, 'callpermissions', perm['id'])
    return item


# ---------------------------------------------------------------------------- resources
def extension_item(db, ext, base):
    kind = ext['type']
    named = {'name': ext.get('owner_name')}
    return {'id': ext['id'], 'exten': ext['exten'], 'context': ext['context'], 'commented': ext['commented'],
            'links': links(base, 'extensions', ext['id']),
            'group': ref(base, 'groups', int(ext['typeval']), **named) if kind == 'group' else None,
            'incall': ref(base, 'incalls', int(ext['typeval'])) if kind == 'incall' else None,
            'lines': [ref(base, 'lines', line['id']) for line in lines_of(db, ext)],
            'outcall': ref(base, 'outcalls', int(ext['typeval']), **named) if kind == 'outcall' else None}


def destination(db, incall):
    """Incall destination: a user (first/last name only while the user exists,
    docs/server-behaviour.md#orphans-after-a-user-delete) or none."""
    if incall['user_id'] is None:
        return {'type': 'none'}
    ring = incall.get('ring_seconds')
    dest = {'ring_time': float(ring) if ring else None, 'user_id': incall['user_id'], 'type': 'user'}
    user = db.users.get(incall['user_id'])
    if user is not None:
        dest.update(user_firstname=user['firstname'], user_lastname=user['lastname'])
    return dest


def incall_item(db, incall, base):
    ext = db.extensions.get(incall['extension_id']) if incall['extension_id'] else None
    return {'id': incall['id'], 'preprocess_subroutine': None, 'caller_id_mode': None, 'caller_id_name': None,
            'description': None, 'destination': destination(db, incall), 'links': links(base, 'incalls', incall['id']),
            'extensions': [extension_ref(base, ext)] if ext else []}


def voicemail_item(db, vm, base):
    item = {k: vm.get(k) for k in ('id', 'name', 'number', 'context', 'password', 'email', 'language', 'timezone',
                                   'pager', 'max_messages', 'attach_audio', 'delete_messages', 'ask_password')}
    item.update(enabled=True, options=[], links=links(base, 'voicemails', vm['id']))
    users = sorted(db.users.find('voicemail_id', vm['id']), key=lambda u: u['id'])
    item['users'] = [user_ref(base, u) for u in users]
    return item


SIP_OPTIONS = [['call-limit', '10'], ['subscribemwi', 'no'], ['amaflags', 'default'], ['regseconds', '0']]


def sip_item(db, sip, base):
    options = [list(o) for o in SIP_OPTIONS]
    if sip.get('callerid'):
        options.append(['callerid', sip['callerid']])
    line = db.lines.get(sip['line_id']) if sip.get('line_id') else None
    return {'id': sip['id'], 'username': sip['username'], 'secret': sip['secret'], 'type': 'friend',
            'host': 'dynamic', 'options': options, 'links': links(base, 'endpoint_sip', sip['id'], 'endpoints/sip'),
            'trunk': ref(base, 'trunks', sip['trunk_id']) if sip.get('trunk_id') else None,
            'line': ref(base, 'lines', line['id']) if line else None}


def line_name(db, line):
    """LineFeatures.update_name: the SIP username, or the SCCP line's number."""
    sip = sip_of(db, line)
    if sip:
        return sip['username']
    ext = line_extension(db, line)
    return ext['exten'] if sccp_of(db, line) and ext else None


def line_item(db, line, base):
    sip, sccp, ext = sip_of(db, line), sccp_of(db, line), line_extension(db, line)
    name, num = caller_id_parts(sip or sccp)
    user = db.users.get(line['user_id']) if line.get('user_id') else None
    return {'id': line['id'], 'name': line_name(db, line), 'protocol': line['protocol'], 'device_id': None,
            'device_slot': 1, 'provisioning_extension': line['provisioning_code'], 'context': line['context'],
            'provisioning_code': line['provisioning_code'], 'position': 1, 'caller_id_name': name,
            'caller_id_num': num, 'registrar': 'default', 'links': links(base, 'lines', line['id']),
            'endpoint_sip': sip_ref(base, sip) if sip else None,
            'endpoint_sccp': ref(base, 'endpoint_sccp', sccp['id'], 'endpoints/sccp') if sccp else None,
            'endpoint_custom': None,
            'extensions': [extension_ref(base, ext)] if ext else [],
            'users': [user_ref(base, user)] if user else []}


def sip_ref(base, sip):
    return ref(base, 'endpoint_sip', sip['id'], 'endpoints/sip', username=sip['username'])


# ---------------------------------------------------------------------------- users
USER_FIELDS = ('id', 'uuid', 'firstname', 'lastname', 'email', 'timezone', 'language', 'description', 'caller_id',
               'outgoing_caller_id', 'mobile_phone_number', 'username', 'password', 'music_on_hold',
               'preprocess_subroutine', 'userfield', 'call_transfer_enabled', 'dtmf_hangup_enabled',
               'call_record_enabled', 'online_call_record_enabled', 'supervision_enabled', 'ring_seconds',
               'simultaneous_calls', 'call_permission_password', 'enabled')


def user_line(db, line, base):
    sip, sccp, ext = sip_of(db, line), sccp_of(db, line), line_extension(db, line)
    return {'id': line['id'],
            'endpoint_sip': sip_ref(base, sip) if sip else None,
            'endpoint_sccp': ref(base, 'endpoint_sccp', sccp['id'], 'endpoints/sccp') if sccp else None,
            'endpoint_custom': None,
            'extensions': [extension_ref(base, ext)] if ext else [],
            'links': links(base, 'lines', line['id'])}


def user_item(db, user, base):
    item = {k: user.get(k) for k in USER_FIELDS}
    item['links'] = links(base, 'users', user['id'])
    item['groups'] = []
    incalls = []
    for incall_id in user.get('incall_ids', []):
        incall = db.incalls.get(incall_id)
        ext = db.extensions.get(incall['extension_id']) if incall['extension_id'] else None
        incalls.append({'id': incall_id, 'extensions': [extension_ref(base, ext)] if ext else [],
                        'links': links(base, 'incalls', incall_id)})
    item['incalls'] = incalls
    item['lines'] = [user_line(db, db.lines.get(line_id), base) for line_id in user.get('line_ids', [])]
    item['forwards'] = {'busy': {'enabled': False, 'destination': None},
                        'noanswer': {'enabled': False, 'destination': None},
                        'unconditional': {'enabled': False, 'destination': None}}
    item['services'] = {'dnd': {'enabled': False}, 'incallfilter': {'enabled': False}}
    vm = db.voicemails.get(user['voicemail_id']) if user.get('voicemail_id') else None
    item['voicemail'] = ref(base, 'voicemails', vm['id'], name=vm['name']) if vm else None
    return item


def main_line(db, user):
    return db.lines.get(user['line_ids'][0]) if user.get('line_ids') else None


def user_directory_item(db, user, base):
    """UserDirectorySchema (view=directory): the main line and its extension, flat."""
    line = main_line(db, user)
    ext = line_extension(db, line) if line else None
    vm = db.voicemails.get(user['voicemail_id']) if user.get('voicemail_id') else None
    return {'id': user['id'], 'uuid': user['uuid'], 'line_id': line['id'] if line else None, 'agent_id': None,
            'firstname': user['firstname'], 'lastname': user['lastname'] or None, 'email': user['email'] or None,
            'exten': ext['exten'] if ext else None, 'mobile_phone_number': user['mobile_phone_number'] or None,
            'voicemail_number': vm['number'] if vm else None, 'userfield': user['userfield'] or None,
            'description': user['description'] or None, 'context': ext['context'] if ext else None}


def user_summary_item(db, user, base):
    """UserSummarySchema (view=summary): provisioning_code only for a SIP line."""
    line = main_line(db, user)
    ext = line_extension(db, line) if line else None
    ent = db.entities.get(user.get('entity_id'))
    return {'id': user['id'], 'uuid': user['uuid'], 'firstname': user['firstname'],
            'lastname': user['lastname'] or None, 'email': user['email'] or None,
            'extension': ext['exten'] if ext else None, 'context': ext['context'] if ext else None,
            'provisioning_code': line['provisioning_code'] if line and line['protocol'] == 'sip' else None,
            'entity': ent['name'] if ent else None, 'protocol': line['protocol'] if line else None,
            'enabled': user['enabled']}


USER_VIEWS = {None: user_item, 'directory': user_directory_item, 'summary': user_summary_item}


# ---------------------------------------------------------------------------- association lists
def user_line_item(db, user, line, base):
    return {'user_id': user['id'], 'line_id': line['id'], 'main_user': True,
            'main_line': user['line_ids'][:1] == [line['id']],
            'links': links(base, 'lines', line['id']) + links(base, 'users', user['id'])}


def user_voicemail_item(db, user, base):
    """UserVoicemailSchema: the ids, then links to the voicemail and the user."""
    return {'user_id': user['id'], 'voicemail_id': user['voicemail_id'],
            'links': links(base, 'voicemails', user['voicemail_id']) + links(base, 'users', user['id'])}


def user_call_permission_item(db, user, perm_id, base):
    return {'user_id': user['id'], 'call_permission_id': perm_id,
            'links': links(base, 'users', user['id']) + links(base, 'callpermissions', perm_id)}

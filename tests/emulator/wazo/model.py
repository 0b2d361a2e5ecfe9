"""wazo-confd 26.08's data and rules, as observed: tenants' contexts (generated names, labels),
users, lines, SIP/SCCP endpoints, extensions, voicemails, incalls, call permissions; the users
import (its columns, its order of creation and association, its messages, its rollback), the
export, the reads and the deletes. Ids come from sequences a failed import does not give back."""
import copy
import csv
import datetime
import random
import re
import string
import threading
import uuid as uuidlib

from .authsvc import Conflict

VALID_ENDPOINTS = ('webrtc', 'sccp', 'sip')  # the order wazo-confd 26.08 printed in its message
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
USERNAME_RE = re.compile(r"^[a-zA-Z0-9-._~!$&'()*+,;=%@]{2,254}$")
PASSWORD_RE = re.compile(r"^[a-zA-Z0-9-._~!$&'()*+,;=%]{4,64}$")
MOBILE_RE = re.compile(r'^\+?[0-9*#]+$')
EXPORT_COLUMNS = (
    'uuid', 'subscription_type', 'firstname', 'lastname', 'email', 'mobile_phone_number',
    'outgoing_caller_id', 'language', 'call_permission_password', 'enabled', 'ring_seconds',
    'simultaneous_calls', 'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
    'call_record_outgoing_external_enabled', 'call_record_outgoing_internal_enabled',
    'call_record_incoming_external_enabled', 'call_record_incoming_internal_enabled',
    'online_call_record_enabled', 'userfield', 'voicemail_name', 'voicemail_number', 'voicemail_context',
    'voicemail_password', 'voicemail_email', 'voicemail_attach_audio', 'voicemail_delete_messages',
    'voicemail_ask_password', 'line_protocol', 'provisioning_code', 'context', 'sip_username', 'sip_secret',
    'exten', 'incall_exten', 'incall_context', 'call_permissions', 'username')
USER_BOOLEANS = ('enabled', 'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
                 'call_record_outgoing_external_enabled', 'call_record_outgoing_internal_enabled',
                 'call_record_incoming_external_enabled', 'call_record_incoming_internal_enabled',
                 'online_call_record_enabled')
USER_STRINGS = ('uuid', 'firstname', 'lastname', 'email', 'language', 'outgoing_caller_id', 'mobile_phone_number',
                'call_permission_password', 'userfield')
USER_INTEGERS = ('ring_seconds', 'simultaneous_calls', 'subscription_type')
USER_DEFAULTS = {'enabled': True, 'supervision_enabled': True, 'call_transfer_enabled': False,
                 'dtmf_hangup_enabled': False, 'call_record_outgoing_external_enabled': False,
                 'call_record_outgoing_internal_enabled': False, 'call_record_incoming_external_enabled': False,
                 'call_record_incoming_internal_enabled': False, 'online_call_record_enabled': False,
                 'ring_seconds': 30, 'simultaneous_calls': 5, 'subscription_type': 0}


class ConfdError(Exception):
    """An error confd answers as a JSON list of one string (or, in the import, one row error)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def not_found(resource, **ids):
    return ConfdError('Resource Not Found - %s was not found (%s)' % (resource, _kv(ids)), 404)


def _repr(value):
    if isinstance(value, uuidlib.UUID):
        return "UUID('%s')" % value
    return repr(value)


def _kv(ids):
    return ', '.join("'%s': %s" % (key, _repr(value)) for key, value in ids.items())


def associated(left, right, **ids):
    return ConfdError('Resource Error - %s is associated with a %s (%s)' % (left, right, _kv(ids)))


class Store:
    """Everything of one server's confd database; `lock` guards it."""

    KINDS = ('contexts', 'callpermissions', 'users', 'lines', 'extensions', 'voicemails', 'incalls', 'sccp')

    def __init__(self, auth, rng=None):
        self.auth = auth
        self.lock = threading.RLock()
        self.rng = rng or random.Random()
        self.generated = set()  # random strings the server made up (SIP names, passwords, line names)
        self.seq = {kind: 0 for kind in self.KINDS}
        self.data = {kind: {} for kind in self.KINDS}
        self.data['sip'] = {}
        self.templates = {}  # tenant -> {'global': uuid, 'webrtc': uuid}

    # -- helpers
    def next_id(self, kind):
        self.seq[kind] += 1
        return self.seq[kind]

    def touch(self, user):
        """The export lists users in the order they were last written (observed on 26.08: an
        updated user moves to the end)."""
        self.seq['written'] = self.seq.get('written', 0) + 1
        user['written'] = self.seq['written']

    def random_string(self, length=8, alphabet=string.ascii_lowercase):
        value = ''.join(self.rng.choice(alphabet) for dummy in range(length))
        self.generated.add(value)
        return value

    def new_uuid(self):
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def snapshot(self):
        return copy.deepcopy(self.data), self.auth.snapshot()

    def restore(self, snap):
        self.data = snap[0]
        self.auth.restore(snap[1])

    def tenant_templates(self, tenant_uuid):
        if tenant_uuid not in self.templates:
            self.templates[tenant_uuid] = {'global': self.new_uuid(), 'webrtc': self.new_uuid()}
        return self.templates[tenant_uuid]

    # -- contexts and call permissions (the seed)
    def create_context(self, tenant_uuid, body):
        tenant = self.auth.tenants[tenant_uuid]
        ctx_uuid = self.new_uuid()
        ctx_type = body.get('type', 'internal')
        ctx = {'id': self.next_id('contexts'), 'uuid': ctx_uuid,
               'name': 'ctx-%s-%s-%s' % (tenant['slug'], ctx_type, ctx_uuid),
               'label': body.get('label'), 'type': ctx_type, 'description': body.get('description'),
               'tenant_uuid': tenant_uuid, 'enabled': body.get('enabled', True), 'contexts': []}
        for kind in ('user', 'group', 'queue', 'conference_room', 'incall'):
            ctx[kind + '_ranges'] = [_range(r, kind == 'incall') for r in body.get(kind + '_ranges') or []]
        self.data['contexts'][ctx['id']] = ctx
        return ctx

    def context_by_name(self, name, tenants=None):
        for ctx in self.data['contexts'].values():
            if ctx['name'] == name and (tenants is None or ctx['tenant_uuid'] in tenants):
                return ctx
        return None

    def create_callpermission(self, tenant_uuid, body):
        for cp in self.data['callpermissions'].values():
            if cp['tenant_uuid'] == tenant_uuid and cp['name'] == body.get('name'):
                raise ConfdError("Resource Error - CallPermission already exists ('name': %r)" % body.get('name'))
        cp = {'id': self.next_id('callpermissions'), 'tenant_uuid': tenant_uuid, 'name': body.get('name'),
              'password': body.get('password'), 'mode': body.get('mode', 'deny'),
              'extensions': list(body.get('extensions') or []), 'enabled': body.get('enabled', True),
              'description': body.get('description')}
        self.data['callpermissions'][cp['id']] = cp
        return cp

    # -- lookups
    def user_by(self, ident, tenants):
        for user in self.data['users'].values():
            if str(user['id']) == ident or user['uuid'] == ident:
                if user['tenant_uuid'] in tenants:
                    return user
        key = UUIDish(ident)
        raise not_found('User', id=key)

    def get(self, kind, ident, tenants, resource):
        item = self.data[kind].get(int(ident)) if str(ident).isdigit() else None
        if item is None or item['tenant_uuid'] not in tenants:
            raise not_found(resource, id=int(ident) if str(ident).isdigit() else ident)
        return item

    def sip_by_uuid(self, ident, tenants):
        sip = self.data['sip'].get(ident)
        if sip is None or sip['tenant_uuid'] not in tenants:
            raise not_found('SIPEndpoint', uuid=UUIDish(ident))
        return sip

    def user_lines(self, user):
        return [line for line in self.data['lines'].values() if user['id'] in line['user_ids']]

    def extension_lines(self, ext):
        return [line for line in self.data['lines'].values() if ext['id'] in line['extension_ids']]

    def users_of_voicemail(self, vm):
        return [u for u in self.data['users'].values() if u['voicemail_id'] == vm['id']]

    def incall_extensions(self, incall):
        return [e for e in self.data['extensions'].values()
                if e['type'] == 'incall' and e['typeval'] == str(incall['id'])]

    def user_incalls(self, user):
        return [i for i in self.data['incalls'].values()
                if i['destination'].get('type') == 'user' and i['destination'].get('user_id') == user['id']]

    def user_callpermissions(self, user):
        return [self.data['callpermissions'][i] for i in user['callpermission_ids']
                if i in self.data['callpermissions']]


def UUIDish(value):
    """What confd prints for an id of the path: UUID('…') for a uuid, the int for a number."""
    try:
        return uuidlib.UUID(str(value))
    except ValueError:
        return int(value) if str(value).isdigit() else value


def _range(value, incall):
    item = {'start': str(value.get('start')), 'end': str(value.get('end') or value.get('start'))}
    if incall:
        item['did_length'] = value.get('did_length', 0)
    return item


def in_ranges(exten, ranges):
    if not exten.isdigit():
        return False
    for r in ranges:
        start, end = r['start'], r['end']
        if len(exten) == len(start) and int(start) <= int(exten) <= int(end):
            return True
    return False


def now_iso():
    return datetime.datetime.utcnow().isoformat()


# -- the import ------------------------------------------------------------------------------------

class RowError(Exception):
    pass


def _unicode(row, column):
    value = row.get(column)
    return None if value in ('', None) else value


def parse_row(fields):
    """The row's columns as wazo-confd 26.08 reads them (other columns are ignored silently)."""
    def boolean(column):
        value = fields.get(column)
        if value in ('', None):
            return None
        if value not in ('0', '1'):
            raise ConfdError("Input Error - '%s' must be one of (0, 1)" % column)
        return value == '1'

    def integer(column):
        value = fields.get(column)
        if value in ('', None):
            return None
        if not value.isdigit():
            raise ConfdError("Input Error - field '%s': wrong type. Should be a valid integer" % column)
        return int(value)

    entry = {'user': {}, 'voicemail': {}, 'incall': {}, 'names': None}
    for column in USER_STRINGS:
        if column in fields:
            entry['user'][column] = _unicode(fields, column)
    for column in USER_BOOLEANS:
        if column in fields:
            entry['user'][column] = boolean(column)
    for column in USER_INTEGERS:
        if column in fields:
            entry['user'][column] = integer(column)
    for column, name in (('voicemail_name', 'name'), ('voicemail_number', 'number'),
                         ('voicemail_context', 'context'), ('voicemail_password', 'password'),
                         ('voicemail_email', 'email')):
        if column in fields:
            entry['voicemail'][name] = _unicode(fields, column)
    for column, name in (('voicemail_attach_audio', 'attach_audio'), ('voicemail_delete_messages', 'delete_messages'),
                         ('voicemail_ask_password', 'ask_password')):
        if column in fields:
            entry['voicemail'][name] = boolean(column)
    for column in ('context', 'exten', 'line_protocol', 'sip_username', 'sip_secret', 'username', 'password',
                   'incall_exten', 'incall_context'):
        entry[column] = _unicode(fields, column)
    entry['incall_ring_seconds'] = integer('incall_ring_seconds') if 'incall_ring_seconds' in fields else None
    if 'call_permissions' in fields:
        value = fields.get('call_permissions') or ''
        entry['names'] = value.split(';') if value else []
    return entry


def validation_error(errors):
    return ConfdError(str({key: [msg] for key, msg in errors}))


class Importer:
    """One POST /1.1/users/import: rows in order, each created then associated; any error rolls
    everything back (confd's database and the wazo-auth users it made)."""

    def __init__(self, store, tenant_uuid, auth_users_url):
        self.store = store
        self.tenant = tenant_uuid
        self.auth_users_url = auth_users_url

    def run(self, text):
        rows = list(csv.DictReader(text.split('\n')))
        created, errors = [], []
        snap = self.store.snapshot()
        for number, fields in enumerate(rows, 1):
            try:
                created.append(self.row(number, fields))
            except ConfdError as exc:
                errors.append({'message': str(exc), 'timestamp': int(datetime.datetime.now().timestamp()),
                               'details': {'row': fields, 'row_number': number}})
        if errors:
            self.store.restore(snap)
            return 400, {'errors': errors}, len(rows)
        return 201, {'created': created}, len(rows)

    def row(self, number, fields):
        st, tenant = self.store, self.tenant
        e = parse_row(fields)
        # 1. the context (by name, in this tenant)
        ctx = None
        if e['context']:
            ctx = st.context_by_name(e['context'], [tenant])
            if ctx is None:
                raise ConfdError("Resource Not Found - Context was not found ('name': %r)" % e['context'])
        # 2. the confd user
        user = self.create_user(e['user'])
        # 3. the wazo-auth user: checked now, created when associated
        problems = []  # (the first name was checked with the confd user)
        if e['username'] is not None and not USERNAME_RE.match(e['username']):
            problems.append(('username', 'String does not match expected pattern.'))
        if e['password'] is not None and not PASSWORD_RE.match(e['password']):
            problems.append(('password', 'String does not match expected pattern.'))
        if problems:
            raise validation_error(problems)
        # 4. the voicemail: found by number and context, else created
        vm = self.voicemail(e['voicemail'], tenant)
        # 5. call permissions, by name in the tenant
        perms = None
        if e['names'] is not None:
            perms = []
            for name in e['names']:
                found = [cp for cp in st.data['callpermissions'].values()
                         if cp['tenant_uuid'] == tenant and cp['name'] == name]
                if not found:
                    raise ConfdError("Resource Not Found - CallPermission was not found ('name': %r)" % name)
                perms.append(found[0])
        # 6. the line
        line = None
        if e['context'] and e['line_protocol'] in VALID_ENDPOINTS:
            line = {'id': st.next_id('lines'), 'tenant_uuid': ctx['tenant_uuid'], 'name': st.random_string(),
                    'protocol': None, 'context': e['context'], 'provisioning_code': None,
                    'caller_id_name': None, 'caller_id_num': None, 'endpoint_sip_uuid': None,
                    'endpoint_sccp_id': None, 'is_webrtc': False, 'extension_ids': [], 'user_ids': []}
            code = st.random_string(6, string.digits[1:])
            line['provisioning_code'] = code
            st.data['lines'][line['id']] = line
        # 7. the extension: found by exten@context, else created
        ext = None
        if e['exten'] and e['context']:
            ext = self.find_extension(e['exten'], e['context'])
            if ext is None:
                if e['user'].get('firstname'):
                    if not e['line_protocol']:
                        raise ConfdError('Input Error - missing parameters: line_protocol')
                    if e['line_protocol'] not in VALID_ENDPOINTS:
                        raise ConfdError("Input Error - 'line_protocol' must be one of (%s)" % ', '.join(VALID_ENDPOINTS))
                ext = self.create_extension(e['exten'], e['context'])
        # 8. the incoming number and 9. its incall
        inc_ext = incall = None
        if e['incall_exten'] and e['incall_context']:
            inc_ext = self.find_extension(e['incall_exten'], e['incall_context'])
            if inc_ext is not None and inc_ext['type'] == 'incall':
                incall = st.data['incalls'].get(int(inc_ext['typeval']))
        if (e['incall_exten'] or e['incall_context']) and inc_ext is None:
            inc_ext = self.create_extension(e['incall_exten'], e['incall_context'])
        if inc_ext is not None and incall is None:
            incall = {'id': st.next_id('incalls'), 'tenant_uuid': tenant, 'destination': {'type': 'none'}}
            st.data['incalls'][incall['id']] = incall
        # 10. the endpoint: a SIP name is found across tenants, else created in this one
        sip = sccp = None
        if line is not None and e['line_protocol'] in ('sip', 'webrtc'):
            sip = self.find_sip(e['sip_username']) if e['sip_username'] else None
            if sip is None:
                sip = self.create_sip(e['sip_username'], e['sip_secret'], e['line_protocol'] == 'webrtc')
        elif line is not None and e['line_protocol'] == 'sccp':
            sccp = {'id': st.next_id('sccp'), 'tenant_uuid': tenant}
            st.data['sccp'][sccp['id']] = sccp
        # -- associations, in wazo-confd's order
        login = e['username'] or e['user'].get('email') or user['uuid']
        try:
            st.auth.create_user(tenant, username=login, email=e['user'].get('email'), password=e['password'],
                                firstname=user['firstname'], lastname=user['lastname'], uuid=user['uuid'])
        except Conflict:
            raise ConfdError('409 Client Error: Conflict detected for url: %s' % self.auth_users_url)
        if vm is not None:
            user['voicemail_id'] = vm['id']
        if sip is not None:
            self.associate_sip(line, sip)
        if sccp is not None:
            line['endpoint_sccp_id'], line['protocol'] = sccp['id'], 'sccp'
        if line is not None:
            line['user_ids'].append(user['id'])
            line['caller_id_name'] = _fullname(user)
        if line is not None and ext is not None:
            self.associate_extension(line, ext)
        if incall is not None and inc_ext is not None:
            if not (inc_ext['type'] == 'incall' and inc_ext['typeval'] == str(incall['id'])):
                self.associate_incall(incall, inc_ext)
            ring = e['incall_ring_seconds']
            # the incall goes to this user, even when it was another user's (observed: 201, moved)
            incall['destination'] = {'type': 'user', 'user_id': user['id'],
                                     'ring_time': float(ring) if ring else None, 'moh_uuid': None}
        if perms is not None:
            # wazo-confd's user call permission service returns early for a call permission
            # the user already has (read in its source): one named twice is associated once.
            user['callpermission_ids'] = list(dict.fromkeys(cp['id'] for cp in perms))
        return {'row_number': number, 'user_id': user['id'], 'user_uuid': user['uuid'],
                'voicemail_id': vm['id'] if vm else None, 'line_id': line['id'] if line else None,
                'sip_uuid': sip['uuid'] if sip else None, 'sccp_id': sccp['id'] if sccp else None,
                'extension_id': ext['id'] if ext else None,
                'incall_extension_id': inc_ext['id'] if inc_ext else None,
                'call_permission_ids': [cp['id'] for cp in perms or []]}

    # -- creators
    def create_user(self, fields, tenant=None):
        st = self.store
        problems = []
        if not fields.get('firstname'):
            problems.append(('firstname', 'Missing data for required field.'))
        email = fields.get('email')
        if email is not None and not EMAIL_RE.match(email):
            problems.append(('email', 'Not a valid email address.'))
        for column, low, high in (('ring_seconds', 0, 10800), ('simultaneous_calls', 1, 20), ('subscription_type', 0, 10)):
            value = fields.get(column)
            if value is not None and not low <= value <= high:
                problems.append((column, 'Must be greater than or equal to %d and less than or equal to %d.' % (low, high)))
        if fields.get('mobile_phone_number') is not None and not MOBILE_RE.match(fields['mobile_phone_number']):
            problems.append(('mobile_phone_number', 'String does not match expected pattern.'))
        if problems:
            raise validation_error(problems)
        if email is not None:
            for other in st.data['users'].values():
                if (other.get('email') or '').lower() == email.lower():
                    raise ConfdError("Resource Error - User already exists ('email': %r)" % email)
        user = dict(USER_DEFAULTS)
        user.update({key: value for key, value in fields.items() if value is not None or key not in USER_DEFAULTS})
        user.pop('uuid', None)  # a uuid column is ignored
        user.update({'id': st.next_id('users'), 'uuid': st.new_uuid(), 'tenant_uuid': tenant or self.tenant,
                     'created_at': now_iso(), 'username': None, 'voicemail_id': None, 'callpermission_ids': []})
        st.touch(user)
        for key in USER_STRINGS:
            user.setdefault(key, None)
        user['caller_id'] = '"%s"' % _fullname(user)
        st.data['users'][user['id']] = user
        return user

    def voicemail(self, fields, tenant):
        st = self.store
        number, context = fields.get('number'), fields.get('context')
        if not (number or context):
            return None
        for vm in st.data['voicemails'].values():
            if vm['number'] == number and vm['context'] == context:
                return vm
        problems = [(key, 'Missing data for required field.') for key in ('name', 'number', 'context')
                    if not fields.get(key)]
        if problems:
            raise validation_error(problems)
        ctx = st.context_by_name(context, [tenant])
        if ctx is None:
            raise ConfdError("Input Error - field 'context': Context was not found ('context': %r)" % context)
        vm = {'id': st.next_id('voicemails'), 'tenant_uuid': ctx['tenant_uuid'], 'name': fields['name'],
              'number': number, 'context': context, 'password': fields.get('password'),
              'email': fields.get('email'), 'attach_audio': bool(fields.get('attach_audio')),
              'delete_messages': bool(fields.get('delete_messages')),
              'ask_password': fields.get('ask_password') is not False}
        st.data['voicemails'][vm['id']] = vm
        return vm

    def find_extension(self, exten, context):
        for ext in self.store.data['extensions'].values():
            if ext['exten'] == exten and ext['context'] == context:
                return ext
        return None

    def create_extension(self, exten, context):
        st = self.store
        problems = [(key, 'Missing data for required field.') for key, value in (('exten', exten), ('context', context))
                    if not value]
        if problems:
            raise validation_error(problems)
        ctx = st.context_by_name(context, [self.tenant])
        if ctx is None:
            raise ConfdError("Input Error - field 'context': Context was not found ('context': %r)" % context)
        ext = {'id': st.next_id('extensions'), 'tenant_uuid': ctx['tenant_uuid'], 'exten': exten,
               'context': context, 'type': 'user', 'typeval': '0'}
        st.data['extensions'][ext['id']] = ext
        return ext

    def find_sip(self, username):
        for sip in self.store.data['sip'].values():
            if dict(sip['auth_section_options']).get('username') == username:
                return sip
        return None

    def create_sip(self, username, secret, webrtc):
        st = self.store
        templates = st.tenant_templates(self.tenant)
        username = username or st.random_string()
        secret = secret or st.random_string()
        sip = {'uuid': st.new_uuid(), 'tenant_uuid': self.tenant, 'name': username, 'label': None,
               'auth_section_options': [['username', username], ['password', secret]],
               'endpoint_section_options': [],
               'templates': [{'uuid': templates['global'], 'label': 'global'}]
               + ([{'uuid': templates['webrtc'], 'label': 'webrtc'}] if webrtc else []),
               'webrtc': webrtc}
        st.data['sip'][sip['uuid']] = sip
        return sip

    # -- associators
    def associate_sip(self, line, sip):
        if line['tenant_uuid'] != sip['tenant_uuid']:
            raise ConfdError("Resource Error - different tenants ('line_tenant_uuid': %r, 'endpoint_tenant_uuid': %r)"
                             % (line['tenant_uuid'], sip['tenant_uuid']))
        for other in self.store.data['lines'].values():
            if other['endpoint_sip_uuid'] == sip['uuid']:
                raise associated('Line', 'Endpoint', line_id=other['id'], endpoint='sip',
                                 endpoint_uuid=uuidlib.UUID(sip['uuid']))
        line['endpoint_sip_uuid'], line['protocol'], line['name'] = sip['uuid'], 'sip', sip['name']
        line['is_webrtc'] = sip['webrtc']

    def associate_extension(self, line, ext):
        st = self.store
        if ext['tenant_uuid'] != line['tenant_uuid']:
            raise ConfdError("Resource Error - different tenants ('extension_tenant_uuid': %r, 'line_tenant_uuid': %r)"
                             % (ext['tenant_uuid'], line['tenant_uuid']))
        if ext['type'] != 'user':
            raise associated('Extension', ext['type'], id=ext['id'], associated_id=ext['typeval'])
        ctx = st.context_by_name(ext['context'])
        if ctx['type'] != 'internal':
            raise ConfdError("Resource Error - Context '%s' is not a internal context" % ext['context'])
        for other in st.extension_lines(ext):
            for user_id in other['user_ids'][:1]:
                if user_id not in line['user_ids']:
                    raise associated('User', 'Line', user_id=user_id, line_id=other['id'])
        if not in_ranges(ext['exten'], ctx['user_ranges']):
            raise ConfdError("Input Error - Extension '%s' is outside of range for context '%s'"
                             % (ext['exten'], ext['context']))
        line['extension_ids'].append(ext['id'])
        line['caller_id_num'] = ext['exten']
        if line['endpoint_sip_uuid']:
            sip = st.data['sip'][line['endpoint_sip_uuid']]
            sip['endpoint_section_options'] = [['callerid', '"%s" <%s>' % (line['caller_id_name'], ext['exten'])]]

    def associate_incall(self, incall, ext):
        st = self.store
        if ext['type'] != 'user' or st.extension_lines(ext):
            kind = ext['type'] if ext['type'] != 'user' else 'line'
            raise associated('Extension', kind, id=ext['id'], associated_id=ext['typeval'])
        ctx = st.context_by_name(ext['context'])
        if ctx['type'] != 'incall' or not in_ranges(ext['exten'], ctx['incall_ranges']):
            raise ConfdError("Input Error - Extension '%s' is outside of range for context '%s'"
                             % (ext['exten'], ext['context']))
        ext['type'], ext['typeval'] = 'incall', str(incall['id'])


def _fullname(user):
    return ' '.join(part for part in (user.get('firstname'), user.get('lastname')) if part)


# -- export ----------------------------------------------------------------------------------------

def export_rows(store, tenant_uuid):
    """The export's rows (one tenant), as wazo-confd 26.08 gives them: "" for nothing, "1"/"0",
    subscription_type an int, the login from wazo-auth ("" when the auth user is gone)."""
    st = store
    rows = []
    for user in sorted(st.data['users'].values(), key=lambda u: (u.get('written', 0), u['id'])):
        if user['tenant_uuid'] != tenant_uuid:
            continue
        row = {column: '' for column in EXPORT_COLUMNS}
        row['uuid'] = user['uuid']
        # the export formats each value as `value or ""`: a subscription_type of 0 comes out ""
        row['subscription_type'] = user['subscription_type'] or ''
        for key in ('firstname', 'lastname', 'email', 'mobile_phone_number', 'outgoing_caller_id', 'language',
                    'call_permission_password', 'userfield'):
            row[key] = user.get(key) or ''
        for key in USER_BOOLEANS:
            row[key] = '1' if user.get(key) else '0'
        for key in ('ring_seconds', 'simultaneous_calls'):
            row[key] = '' if user.get(key) is None else str(user[key])
        vm = st.data['voicemails'].get(user['voicemail_id'])
        if vm:
            for key in ('name', 'number', 'context', 'password', 'email'):
                row['voicemail_' + key] = vm.get(key) or ''
            for key in ('attach_audio', 'delete_messages', 'ask_password'):
                row['voicemail_' + key] = '1' if vm.get(key) else '0'
        lines = st.user_lines(user)
        if lines:
            line = lines[0]
            row['line_protocol'] = line['protocol'] or ''  # a webrtc line is exported as sip
            row['provisioning_code'] = line['provisioning_code'] or ''
            row['context'] = line['context'] or ''
            if line['endpoint_sip_uuid']:
                options = dict(st.data['sip'][line['endpoint_sip_uuid']]['auth_section_options'])
                row['sip_username'] = options.get('username', '')
                row['sip_secret'] = options.get('password', '')
            if line['extension_ids']:
                row['exten'] = st.data['extensions'][line['extension_ids'][0]]['exten']
        incalls = st.user_incalls(user)
        if incalls:
            exts = st.incall_extensions(incalls[0])
            if exts:
                row['incall_exten'], row['incall_context'] = exts[0]['exten'], exts[0]['context']
        row['call_permissions'] = ';'.join(cp['name'] for cp in st.user_callpermissions(user))
        auth_user = st.auth.users.get(user['uuid'])
        if auth_user:  # without its wazo-auth user the row has no username at all (JSON: no key)
            row['username'] = auth_user['username']
        else:
            del row['username']
        rows.append(row)
    return rows

"""Row processing for POST/PUT /1.1/users/import (docs/server-behaviour.md#import-check-order,
docs/server-behaviour.md#find-or-create, docs/server-behaviour.md#import-all-or-nothing).

Steps per row, first failure wins: parse → user → entity → voicemail → call
permissions → line → extension → incall → CTI profile → SIP/SCCP → associations (voicemail,
cti, sip, sccp, user↔line, line↔extension, incall, call permissions).
"""
import random
import string
import time
import uuid as uuidlib

from .csvparse import Unexpected, json_row
from .fixes import fix_caller_id, fix_extension
from .py2 import B, metadata, py2_repr
from .rules import (NotFoundError, RowError, associated, check_context_type, check_range, find_context, parse_row,
                    validate_exten, validate_sip, validate_user, validate_voicemail)

USER_DEFAULTS = {
    'lastname': None, 'email': None, 'username': None, 'password': None, 'language': None,
    'outgoing_caller_id': None, 'mobile_phone_number': None, 'call_permission_password': None,
    'userfield': None, 'enabled': True, 'supervision_enabled': True,
    'call_transfer_enabled': False, 'dtmf_hangup_enabled': False, 'call_record_enabled': False,
    'online_call_record_enabled': False, 'ring_seconds': 30, 'simultaneous_calls': 5,
    'timezone': None, 'description': None, 'music_on_hold': None, 'preprocess_subroutine': None,
}


def _rand(n=8):
    return ''.join(random.choice(string.ascii_lowercase + string.digits) for dummy in range(n))


def fullname(user):
    return ' '.join(p for p in (user.get('firstname'), user.get('lastname')) if p)


class Entry:
    def __init__(self, number, row, groups):
        self.number, self.row, self.groups = number, row, groups
        self.user = self.voicemail = self.line = self.sip = self.sccp = None
        self.extension = self.incall = self.incall_extension = self.cti = None
        self.permissions = None

    def ids(self):
        def _id(rec):
            return rec['id'] if rec else None
        return {'row_number': self.number, 'user_id': _id(self.user),
                'user_uuid': self.user['uuid'] if self.user else None,
                'voicemail_id': _id(self.voicemail), 'line_id': _id(self.line), 'sip_id': _id(self.sip),
                'sccp_id': _id(self.sccp), 'extension_id': _id(self.extension),
                'incall_extension_id': _id(self.incall_extension), 'cti_profile_id': _id(self.cti),
                'call_permission_ids': [p['id'] for p in self.permissions or []]}


class Importer:
    def __init__(self, store, profile, slow_rows=0.0):
        self.db = store
        self.profile = profile  # profiles.Confd16: the rules that changed within 16.x
        self.slow_rows = slow_rows
        # extensions whose typeval this request wrote: SQLAlchemy keeps the byte string it was
        # given ('1'), the ones read from the database are unicode (u'1')
        # (docs/server-behaviour.md#association-refusals)
        self.fresh = set()

    # ---------------------------------------------------------------- driver
    def run(self, rows, update=False):
        """Return (entries, errors); raise Unexpected for a 500."""
        entries, errors = [], []
        for number, row in rows:
            if self.slow_rows:
                time.sleep(self.slow_rows)
            try:
                groups = parse_row(row, self.profile)
                entry = Entry(number, row, groups)
                (self.update_row if update else self.create_row)(entry)
                entries.append(entry)
            except RowError as exc:
                errors.append({'message': str(exc), 'timestamp': int(time.time()),
                               'details': {'row_number': number, 'row': json_row(row)}})
        return entries, errors

    # ---------------------------------------------------------------- lookups
    def context(self, name):
        return find_context(self.db, name)

    def typeval(self, ext):
        return B(ext['typeval']) if ext['id'] in self.fresh else ext['typeval']

    def set_owner(self, ext, kind, typeval):
        self.db.extensions.update(ext['id'], type=kind, typeval=typeval)
        self.fresh.add(ext['id'])

    def default_entity(self):
        return min(self.db.entities.rows) if self.db.entities.rows else None

    def check_unique(self, fields, user_id=None):
        email = fields.get('email')
        if email:
            for other in self.db.users.find('email', email.lower()):
                if other['id'] != user_id:
                    raise RowError('Resource Error - User already exists %s' % metadata([('email', email)]))
        username = fields.get('username')
        if username and self.profile.unique_username:
            for other in self.db.users.find('username', username):
                if other['id'] != user_id:
                    raise RowError('Resource Error - User already exists %s' % metadata([('username', username)]))

    def entity(self, fields, user_fields):
        """16.12+: separate resource; 16.08: part of the user validation."""
        if self.profile.entity_step:
            value = fields.get('entity_id')
            if not value:  # EntityCreator.find: empty and 0 mean "no entity" (the default one)
                return self.default_entity()
            if self.db.entities.get(value) is None:
                raise NotFoundError('Resource Not Found - Entity was not found %s' % metadata([('id', value)]))
            return value
        value = user_fields.get('entity_id')
        if value is None:
            return self.default_entity()
        if self.db.entities.get(value) is None:
            raise RowError("Input Error - field 'entity_id': Entity was not found %s"
                           % metadata([('entity_id', value)]))
        return value

    # ---------------------------------------------------------------- create
    def create_user(self, fields, entity_id):
        rec = dict(USER_DEFAULTS)
        rec.update({k: v for k, v in fields.items() if k not in ('uuid', 'entity_id')})
        for key, value in USER_DEFAULTS.items():
            if rec.get(key) is None:
                rec[key] = value
        rec['uuid'] = str(uuidlib.uuid4())
        if self.profile.post_keeps_uuid and fields.get('uuid'):
            if self.db.users.find_one('uuid', fields['uuid']):
                raise Unexpected('(IntegrityError) duplicate key value violates unique constraint '
                                 '"userfeatures_uuid"')
            rec['uuid'] = fields['uuid']
        rec['caller_id'] = '"%s"' % fullname(rec)
        if len(rec['caller_id']) > 160:
            values = ', '.join("'%s': %s" % (k, py2_repr(rec[k])) for k in sorted(rec))
            raise Unexpected("(StringDataRightTruncation) value too long for type character varying(160)\n"
                             " 'INSERT INTO userfeatures (uuid, firstname, lastname, callerid, ...) "
                             "VALUES (...) RETURNING userfeatures.id' {%s}" % values)
        rec.update(entity_id=entity_id, cti_profile_id=None, cti_profile_enabled=False,
                   voicemail_id=None, line_ids=[], incall_ids=[], call_permission_ids=[])
        return self.db.users.insert(rec)

    def find_or_create_voicemail(self, fields):
        """VoicemailCreator: a number@context found is reused as it is (nothing validated,
        docs/server-behaviour.md#find-or-create)."""
        found = self.db.voicemails.find_one('number_context', (fields.get('number'), fields.get('context')))
        if found:
            return found
        validate_voicemail(fields, self.profile)
        self.context(fields['context'])
        rec = {'name': fields['name'], 'number': fields['number'], 'context': fields['context'],
               'password': fields.get('password'), 'email': fields.get('email'),
               'attach_audio': fields.get('attach_audio'),
               'delete_messages': fields.get('delete_messages', False),
               'ask_password': fields.get('ask_password', True)}
        if rec['delete_messages'] is None:
            rec['delete_messages'] = False
        if rec['ask_password'] is None:
            rec['ask_password'] = True
        return self.db.voicemails.insert(rec)

    def permissions(self, names):
        result = []
        for name in names:
            perm = self.db.call_permissions.find_one('name', name)
            if perm is None:
                raise RowError('Resource Not Found - CallPermission was not found %s' % metadata([('name', name)]))
            result.append(perm)
        return result

    def find_or_create_extension(self, exten, context_name):
        """ExtensionCreator: any extension found is reused (B10); a new one is validated (B11)."""
        found = self.db.extensions.find_one('exten_context', (exten, context_name))
        if found:
            return found
        validate_exten(exten, self.profile)
        check_range(exten, self.context(context_name))
        return self.db.extensions.insert({'exten': exten, 'context': context_name, 'type': 'user',
                                          'typeval': '0', 'commented': False})

    def create_incall(self, entry, fields):
        """B12 incall extension, then B13: the incall of that extension is reused, else a new
        incall with no destination (also for a half-filled incall: no number,
        docs/server-behaviour.md#silently-accepted-rows)."""
        exten, ctx = fields.get('exten'), fields.get('context')
        if exten and ctx:
            entry.incall_extension = self.find_or_create_extension(exten, ctx)
        ext = entry.incall_extension
        if ext is not None and ext['type'] == 'incall':
            entry.incall = self.db.incalls.get(int(ext['typeval']))
        elif exten or ctx:
            entry.incall = self.db.incalls.insert({'extension_id': None, 'user_id': None, 'ring_seconds': None})

    def create_sip(self, fields):
        """SipCreator: a username found is reused as it is (B15), a new endpoint validated (B16)."""
        username = fields.get('username')
        if username:
            found = self.db.sip.find_one('username', username)
            if found:
                return found
        validate_sip(fields, self.profile)
        return self.db.sip.insert({'username': username or _rand(), 'secret': fields.get('secret') or _rand(),
                                   'line_id': None, 'callerid': None})

    def create_row(self, entry):
        g = entry.groups
        user_fields = g['user']
        entity_id = None
        if user_fields:
            validate_user(user_fields, self.profile)
            if not self.profile.entity_step:
                entity_id = self.entity({}, user_fields)
            self.check_unique(user_fields)
            if self.profile.entity_step:
                entity_id = self.entity(g['entity'], user_fields)
            entry.user = self.create_user(user_fields, entity_id)
        vm = g['voicemail']
        if vm.get('number') or vm.get('context'):
            entry.voicemail = self.find_or_create_voicemail(vm)
        if 'names' in g['call_permissions']:
            entry.permissions = self.permissions(g['call_permissions']['names'])
        line = g['line']
        if line.get('context') and line.get('endpoint') in ('sip', 'sccp'):
            self.context(line['context'])
            entry.line = self.db.lines.insert({'context': line['context'], 'protocol': line['endpoint'],
                                               'endpoint_id': None, 'user_id': None, 'extension_id': None,
                                               'provisioning_code': ''.join(random.choice('123456789') for dummy in range(6))})
        exten = g['extension'].get('exten')
        if exten and line.get('context'):
            entry.extension = self.find_or_create_extension(exten, line['context'])
        self.create_incall(entry, g['incall'])
        cti = g['cti_profile']
        if cti.get('name'):
            entry.cti = self.db.cti_profiles.find_one('name', cti['name'])
            if entry.cti is None:
                raise NotFoundError('Resource Not Found - CtiProfile was not found %s'
                                    % metadata([('name', cti['name'])]))
        self.create_endpoint(entry)
        self.associate(entry)

    def create_endpoint(self, entry):
        """EntryCreator.create_endpoint: line_protocol alone decides, line or not (observed on
        16.15: line_protocol=sip with an empty context answers a sip_id and no line_id)."""
        protocol = entry.groups['line'].get('endpoint')
        if protocol == 'sip':
            entry.sip = self.create_sip(entry.groups['sip'])
        elif protocol == 'sccp':
            entry.sccp = self.db.sccp.insert({'line_id': None, 'callerid': None})

    # ---------------------------------------------------------------- associations
    def associate(self, entry):
        db, user = self.db, entry.user
        if user and entry.voicemail:
            db.users.update(user['id'], voicemail_id=entry.voicemail['id'])
        if entry.cti:
            if user is None:
                raise Unexpected("'NoneType' object has no attribute 'id'")
            changes = {'cti_profile_id': entry.cti['id']}
            enabled = entry.groups['cti_profile'].get('enabled')
            if enabled is not None:
                if enabled and not (user.get('username') and user.get('password')):
                    raise RowError('Resource Error - User must have a username and password to enable '
                                   'a CtiProfile %s' % metadata([('user_id', user['id'])]))
                changes['cti_profile_enabled'] = enabled
            db.users.update(user['id'], **changes)
        line = entry.line
        if entry.sip and line:
            sip = entry.sip
            if sip.get('trunk_id'):  # observed on 16.15: a trunk's endpoint is found, then refused
                raise RowError('Resource Error - Trunk is associated with a Endpoint %s' % metadata(
                    [('trunk_id', sip['trunk_id']), ('endpoint', B('sip')), ('endpoint_id', sip['id'])]))
            if sip['line_id'] is not None and sip['line_id'] != line['id']:
                if self.profile.association_clashes:
                    raise RowError('Resource Error - Line is associated with a Endpoint %s' % metadata(
                        [('endpoint', B('sip')), ('line_id', sip['line_id']), ('endpoint_id', sip['id'])]))
            else:
                db.sip.update(sip['id'], line_id=line['id'])
            db.lines.update(line['id'], endpoint_id=sip['id'])
        if entry.sccp and line:
            db.sccp.update(entry.sccp['id'], line_id=line['id'])
            db.lines.update(line['id'], endpoint_id=entry.sccp['id'])
        if user and line:
            db.lines.update(line['id'], user_id=user['id'])
            db.users.update(user['id'], line_ids=user['line_ids'] + [line['id']])
            # the mailbox takes the user's full name (docs/server-behaviour.md#voicemail-renamed)
            if user.get('voicemail_id'):
                db.voicemails.update(user['voicemail_id'], name=fullname(user))
            fix_caller_id(db, line)
        ext = entry.extension
        if ext and line:
            self.associate_line_extension(line, ext, user)
        if entry.incall_extension and entry.incall:
            self.associate_incall(entry)
        if entry.permissions is not None and user:
            self.set_call_permissions(user, entry.permissions)

    def set_call_permissions(self, user, permissions):
        """Dissociate all, then associate each; a name listed twice is a clash
        (docs/server-behaviour.md#association-refusals)."""
        ids = []
        for perm in permissions:
            if perm['id'] in ids:
                raise RowError('Resource Error - User is associated with a CallPermission %s' % metadata(
                    [('user_id', user['id']), ('call_permission_id', perm['id'])]))
            ids.append(perm['id'])
        self.db.users.update(user['id'], call_permission_ids=ids)

    def associate_line_extension(self, line, ext, user):
        """LineExtensionAssociationValidator order (docs/server-behaviour.md#association-refusals): owned by
        something else, then the context type, then a line of another user holding it; an orphan line may
        share it (docs/server-behaviour.md#reimport-over-orphans)."""
        db = self.db
        if ext['type'] != 'user':
            raise associated('Extension', ext['type'], ('id', ext['id']), ('associated_id', self.typeval(ext)))
        check_context_type(db, ext, 'internal')
        for other in db.lines.find('extension_id', ext['id']):
            if user is None or other['id'] == line['id'] or other['user_id'] in (None, user['id']):
                continue
            if self.profile.association_clashes:
                raise RowError('Resource Error - User is associated with a Line %s' % metadata(
                    [('user_id', other['user_id']), ('line_id', other['id'])]))
            raise RowError('Resource Error - Extension is associated with a user %s' % metadata(
                [('associated_id', str(other['user_id'])), ('id', ext['id'])]))
        db.lines.update(line['id'], extension_id=ext['id'])
        fix_extension(db, ext, self.set_owner)
        fix_caller_id(db, line)

    def associate_incall(self, entry):
        """IncallExtensionAssociationValidator (docs/server-behaviour.md#association-refusals), then the
        destination becomes the user."""
        db, ext, user, incall = self.db, entry.incall_extension, entry.user, entry.incall
        held = db.extensions.get(incall['extension_id']) if incall['extension_id'] else None
        if held is None and ext['type'] == 'incall':
            held = ext
        if held is not None:
            raise associated('Incall', 'Extension', ('incall_id', self.typeval(held)), ('extension_id', held['id']))
        if not (ext['type'] == 'user' and ext['typeval'] == '0'):
            raise associated('Extension', ext['type'], ('extension_id', ext['id']),
                             ('associated_id', self.typeval(ext)))
        check_context_type(db, ext, 'incall')
        self.set_owner(ext, 'incall', str(incall['id']))
        db.incalls.update(incall['id'], extension_id=ext['id'])
        if user is None:  # IncallAssociator.update_destination reads user.id
            raise Unexpected("'NoneType' object has no attribute 'id'")
        db.incalls.update(incall['id'], user_id=user['id'], ring_seconds=entry.groups['incall'].get('ring_seconds'))
        if incall['id'] not in user['incall_ids']:
            db.users.update(user['id'], incall_ids=user['incall_ids'] + [incall['id']])

    # ---------------------------------------------------------------- update (PUT)
    # docs/server-behaviour.md#update-by-put
    def update_row(self, entry):
        db, g = self.db, entry.groups
        uuid = g['user'].get('uuid')
        user = db.users.find_one('uuid', uuid) if uuid else None
        if user is None:
            raise RowError('Resource Not Found - User was not found %s' % metadata([('uuid', uuid)]))
        entry.user = user
        fields = {k: v for k, v in g['user'].items() if k not in ('uuid', 'entity_id')}
        validate_user(fields, self.profile, update=True)
        self.check_unique(fields, user['id'])
        changes = dict(fields)
        entity_fields = g['entity'] if self.profile.entity_step else {'entity_id': g['user'].get('entity_id')} \
            if 'entity_id' in g['user'] else {}
        # 16.12+: an empty or 0 entity_id finds no entity, so nothing is associated (unchanged)
        if 'entity_id' in entity_fields and (entity_fields['entity_id'] or not self.profile.entity_step):
            new_entity = self.entity(entity_fields, g['user'])
            if new_entity != user['entity_id']:
                if user['line_ids']:
                    raise RowError('Resource Error - User is associated with a Line %s' % metadata(
                        [('user_id', user['id']), ('line_ids', B(','.join(str(i) for i in user['line_ids'])))]))
                changes['entity_id'] = new_entity
        if changes:
            merged = dict(user, **changes)
            changes['caller_id'] = '"%s"' % fullname(merged)
            db.users.update(user['id'], **changes)
            for line_id in user['line_ids']:
                fix_caller_id(db, db.lines.get(line_id))
        # voicemail
        vm = g['voicemail']
        if user['voicemail_id']:
            entry.voicemail = db.voicemails.get(user['voicemail_id'])
            if vm:
                validate_voicemail(vm, self.profile, update=True)
                if vm.get('context'):
                    self.context(vm['context'])
                db.voicemails.update(entry.voicemail['id'], **vm)
            if 'name' not in vm:  # docs/server-behaviour.md#voicemail-renamed
                db.voicemails.update(entry.voicemail['id'], name=fullname(user))
        elif vm.get('number') or vm.get('context'):
            entry.voicemail = self.find_or_create_voicemail(vm)
            db.users.update(user['id'], voicemail_id=entry.voicemail['id'])
        if 'names' in g['call_permissions']:
            perms = self.permissions(g['call_permissions']['names'])
            entry.permissions = perms
        else:
            entry.permissions = [db.call_permissions.get(i) for i in user['call_permission_ids']]
        # line, extension, endpoint
        line_f = g['line']
        if user['line_ids']:
            line = entry.line = db.lines.get(user['line_ids'][0])
            proto = line_f.get('endpoint')
            if proto in ('sip', 'sccp') and proto != line['protocol']:
                raise RowError('Resource Error - Line is associated with a Endpoint %s' % metadata(
                    [('endpoint', B(line['protocol'])), ('line_id', line['id']), ('endpoint_id', line['endpoint_id'])]))
            if line_f.get('context') and line_f['context'] != line['context']:
                self.context(line_f['context'])
                db.lines.update(line['id'], context=line_f['context'])
            exten = g['extension'].get('exten')
            if line['extension_id']:
                entry.extension = db.extensions.get(line['extension_id'])
                if exten and (exten, line['context']) != (entry.extension['exten'], entry.extension['context']):
                    self.move_extension(entry.extension, exten, line['context'])
            elif exten:
                entry.extension = self.find_or_create_extension(exten, line['context'])
                self.associate_line_extension(line, entry.extension, user)
            if line['protocol'] == 'sip' and line['endpoint_id']:
                entry.sip = db.sip.get(line['endpoint_id'])
                sipf = g['sip']
                validate_sip(sipf, self.profile, update=True)
                name = sipf.get('username')
                if name and name != entry.sip['username'] and db.sip.find_one('username', name):
                    raise RowError('Resource Error - SIPEndpoint already exists %s' % metadata([('name', name)]))
                if sipf:
                    db.sip.update(entry.sip['id'], **sipf)
            elif line['protocol'] == 'sccp':
                entry.sccp = db.sccp.get(line['endpoint_id'])
        elif line_f.get('context') and line_f.get('endpoint') in ('sip', 'sccp'):
            sub = Entry(entry.number, entry.row, g)
            sub.user = user
            self.context(line_f['context'])
            sub.line = db.lines.insert({'context': line_f['context'], 'protocol': line_f['endpoint'],
                                        'endpoint_id': None, 'user_id': None, 'extension_id': None,
                                        'provisioning_code': ''.join(random.choice('123456789') for dummy in range(6))})
            if g['extension'].get('exten'):
                sub.extension = self.find_or_create_extension(g['extension']['exten'], line_f['context'])
            self.create_endpoint(sub)
            self.associate(sub)
            entry.line, entry.extension, entry.sip, entry.sccp = sub.line, sub.extension, sub.sip, sub.sccp
        else:  # no line, none made: an endpoint all the same (EntryUpdater.find_or_create_endpoint)
            self.create_endpoint(entry)
        # incall
        inc = g['incall']
        if len(user['incall_ids']) > 1 and inc:
            raise RowError('Resource Error - Operation not permitted. Cannot update when user has multiple incalls')
        if user['incall_ids']:
            entry.incall = db.incalls.get(user['incall_ids'][0])
            if entry.incall['extension_id']:
                entry.incall_extension = db.extensions.get(entry.incall['extension_id'])
            if inc.get('exten') and inc.get('context') and entry.incall_extension and \
                    (inc['exten'], inc['context']) != (entry.incall_extension['exten'], entry.incall_extension['context']):
                self.move_extension(entry.incall_extension, inc['exten'], inc['context'])
            if 'ring_seconds' in inc:
                db.incalls.update(entry.incall['id'], ring_seconds=inc['ring_seconds'])
        elif inc.get('exten') or inc.get('context'):
            self.create_incall(entry, inc)
            if entry.incall_extension and entry.incall:
                self.associate_incall(entry)
        # cti profile
        cti = g['cti_profile']
        if 'name' in cti:
            if cti['name']:
                entry.cti = db.cti_profiles.find_one('name', cti['name'])
                if entry.cti is None:
                    raise NotFoundError('Resource Not Found - CtiProfile was not found %s'
                                        % metadata([('name', cti['name'])]))
            db.users.update(user['id'], cti_profile_id=entry.cti['id'] if entry.cti else None)
        elif user['cti_profile_id']:
            entry.cti = db.cti_profiles.get(user['cti_profile_id'])
        if cti.get('enabled') is not None:
            if cti['enabled'] and not (user.get('username') and user.get('password')):
                raise RowError('Resource Error - User must have a username and password to enable '
                               'a CtiProfile %s' % metadata([('user_id', user['id'])]))
            db.users.update(user['id'], cti_profile_enabled=cti['enabled'])
        if 'names' in g['call_permissions']:
            self.set_call_permissions(user, entry.permissions)

    def move_extension(self, ext, exten, context_name):
        validate_exten(exten, self.profile)
        ctx = self.context(context_name)
        other = self.db.extensions.find_one('exten_context', (exten, context_name))
        if other and other['id'] != ext['id']:
            raise RowError('Resource Error - Extension already exists %s'
                           % metadata([('exten', exten), ('context', context_name)]))
        check_range(exten, ctx)
        self.db.extensions.update(ext['id'], exten=exten, context=context_name)

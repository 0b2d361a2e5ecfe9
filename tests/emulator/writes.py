"""The write routes a rollback and the observed set-ups need: deletes with confd 16.15's refusals
(docs/server-behaviour.md#delete-refusals) and what each leaves behind
(docs/server-behaviour.md#orphans-after-a-user-delete), POST and DELETE /1.1/callpermissions (names unique,
docs/server-behaviour.md#call-permissions) and POST /1.1/extensions. Checks run in the order of the 16.15
validators (plugins/*/validator.py).

Every method runs inside the caller's transaction and raises NotFoundError (404), RowError
(400), SchemaError (400, several messages) or Unexpected (500).
"""
import re
import uuid as uuidlib

from .csvparse import Unexpected
from .fixes import fix_caller_id, fix_extension, plain_owner
from .py2 import B, dict_order, metadata, py2_repr
from .rules import EXTEN_REGEX, RowError, associated, check_range, find_context, not_found


class SchemaError(RowError):
    """flask-restful abort(400) on a marshmallow error: one 'Input Error - <field>: [...]' per field."""

    def __init__(self, errors):
        self.messages = ['Input Error - %s: [%s]' % (k, ', '.join(py2_repr(m) for m in errors[k]))
                         for k in dict_order(list(errors))]
        super().__init__(self.messages[0])


class Writer:
    def __init__(self, db):
        self.db = db

    # ---------------------------------------------------------------- lookups (the daos' get)
    def user(self, ident):
        """get_by_id_uuid: the 404 shows an int id, or the UUID object Flask's converter made."""
        if ident.isdigit():
            user, key = self.db.users.get(int(ident)), int(ident)
        else:
            key = uuidlib.UUID(ident)
            user = self.db.users.find_one('uuid', str(key))
        if user is None:
            raise not_found('User', ('id', key))
        return user

    def forget(self, user_id, key, rec_id):
        """Take rec_id out of the user's list `key` (line_ids, incall_ids), if the user exists."""
        user = self.db.users.get(user_id) if user_id else None
        if user is not None:
            self.db.users.update(user['id'], **{key: [i for i in user[key] if i != rec_id]})

    def get(self, table, resource, rec_id):
        rec = self.db.tables[table].get(int(rec_id))
        if rec is None:
            raise not_found(resource, ('id', int(rec_id)))
        return rec

    # ---------------------------------------------------------------- users
    def delete_user(self, ident):
        """NoVoicemailAssociated, then NoLineAssociated; the call-permission memberships and the
        CTI profile go with the user; an incall keeps its destination to it
        (docs/server-behaviour.md#orphans-after-a-user-delete)."""
        user = self.user(ident)
        if user['voicemail_id']:
            raise associated('User', 'Voicemail', ('user_id', user['id']), ('voicemail_id', user['voicemail_id']))
        if user['line_ids']:
            raise associated('User', 'Line', ('line_ids', tuple(user['line_ids'])))
        self.db.users.delete(user['id'])

    def delete_user_voicemail(self, ident):
        user = self.user(ident)
        if not user['voicemail_id']:
            raise not_found('UserVoicemail', ('user_id', user['id']))
        self.get('voicemails', 'Voicemail', user['voicemail_id'])
        self.db.users.update(user['id'], voicemail_id=None)

    def delete_user_line(self, ident, line_id):
        user = self.user(ident)
        line = self.get('lines', 'Line', line_id)
        if line['id'] not in user['line_ids']:
            raise not_found('UserLine', ('user_id', user['id']), ('line_id', line['id']))
        self.forget(user['id'], 'line_ids', line['id'])
        self.db.lines.update(line['id'], user_id=None)
        # UserLinePersistor.fix_associations: ExtensionFixes on the line's extension, which no
        # user holds any more: it is free again (typeval '0'); LineFixes leaves the caller id
        ext = self.db.extensions.get(line['extension_id']) if line.get('extension_id') else None
        if ext is not None:
            fix_extension(self.db, ext, plain_owner(self.db))

    # ---------------------------------------------------------------- voicemails, incalls
    def delete_voicemail(self, vm_id):
        vm = self.get('voicemails', 'Voicemail', vm_id)
        users = sorted(u['id'] for u in self.db.users.find('voicemail_id', vm['id']))
        if users:
            raise associated('Voicemail', 'User', ('voicemail_id', vm['id']),
                             ('user_ids', B(', '.join(str(i) for i in users))))
        self.db.voicemails.delete(vm['id'])

    def delete_incall_extension(self, incall_id, ext_id):
        incall = self.get('incalls', 'Incall', incall_id)
        ext = self.get('extensions', 'Extension', ext_id)
        if not (ext['type'] == 'incall' and ext['typeval'] == str(incall['id'])):
            raise not_found('IncallExtension', ('incall_id', incall['id']), ('extension_id', ext['id']))
        self.db.extensions.update(ext['id'], type='user', typeval='0')
        self.db.incalls.update(incall['id'], extension_id=None)

    def delete_incall(self, incall_id):
        """Never refused: its extension is freed; the user loses it."""
        incall = self.get('incalls', 'Incall', incall_id)
        if incall['extension_id']:
            self.db.extensions.update(incall['extension_id'], type='user', typeval='0')
        self.forget(incall['user_id'], 'incall_ids', incall['id'])
        self.db.incalls.delete(incall['id'])

    # ---------------------------------------------------------------- extensions
    def delete_extension(self, ext_id):
        """The context must exist, then ExtensionAssociationValidator: an owner, then a line."""
        ext = self.get('extensions', 'Extension', ext_id)
        find_context(self.db, ext['context'])
        if ext['type'] != 'user' and ext['typeval'] != '0':
            raise associated('Extension', ext['type'], ('extension_id', ext['id']), ('associated_id', ext['typeval']))
        lines = sorted(line['id'] for line in self.db.lines.find('extension_id', ext['id']))
        if lines:
            raise associated('Extension', 'Line', ('extension_id', ext['id']), ('line_id', lines[0]))
        self.db.extensions.delete(ext['id'])

    def delete_line_extension(self, line_id, ext_id):
        line = self.get('lines', 'Line', line_id)
        ext = self.get('extensions', 'Extension', ext_id)
        if line['extension_id'] != ext['id']:
            raise not_found('LineExtension', ('line_id', line['id']), ('extension_id', ext['id']))
        self.db.lines.update(line['id'], extension_id=None)
        fix_extension(self.db, ext, plain_owner(self.db))
        fix_caller_id(self.db, self.db.lines.get(line['id']))  # LineFixes.fix: the number goes

    def create_extension(self, data):
        """ExtensionSchema, then the context, ExtenAvailableOnCreate and the range
        (docs/server-behaviour.md#field-rules)."""
        errors = {}
        for name in ('exten', 'context'):
            problem = _string_problem(data, name, required=True)
            if problem:
                errors[name] = [problem]
        if 'exten' not in errors and not re.match(EXTEN_REGEX, data['exten']):
            errors['exten'] = ['String does not match expected pattern.']
        if errors:
            raise SchemaError(errors)
        exten, context = data['exten'], data['context']
        ctx = find_context(self.db, context)
        if self.db.extensions.find_one('exten_context', (exten, context)):
            raise RowError('Resource Error - Extension already exists %s'
                           % metadata([('exten', exten), ('context', context)]))
        check_range(exten, ctx)
        return self.db.extensions.insert({'exten': exten, 'context': context, 'type': 'user', 'typeval': '0',
                                          'commented': bool(data.get('commented', False))})

    # ---------------------------------------------------------------- lines, endpoints
    def delete_line(self, line_id):
        """Never refused (docs/server-behaviour.md#delete-refusals): takes its SIP/SCCP endpoint and its
        user and extension links."""
        line = self.get('lines', 'Line', line_id)
        if line['endpoint_id'] and line['protocol'] in ('sip', 'sccp'):
            self.db.tables[line['protocol']].delete(line['endpoint_id'])
        self.forget(line['user_id'], 'line_ids', line['id'])
        self.db.lines.delete(line['id'])

    def delete_sip(self, sip_id):
        """No validator: the line it was on loses its endpoint (LineFixes.remove_endpoint)."""
        sip = self.get('sip', 'SIPEndpoint', sip_id)
        line = self.db.lines.get(sip['line_id']) if sip['line_id'] else None
        if line is not None and line['endpoint_id'] == sip['id']:
            self.db.lines.update(line['id'], protocol=None, endpoint_id=None)
        self.db.sip.delete(sip['id'])

    def delete_line_sip(self, line_id, sip_id):
        """ValidateLineDissociation: associated with it, then no user, then no extension."""
        line = self.get('lines', 'Line', line_id)
        sip = self.get('sip', 'SIPEndpoint', sip_id)
        if not (line['protocol'] == 'sip' and line['endpoint_id'] == sip['id']):
            raise RowError('Resource Error - Line is not associated with Endpoint %s'
                           % metadata([('line_id', line['id']), ('endpoint_id', sip['id'])]))
        if line['user_id']:
            raise associated('Line', 'User', ('line_id', line['id']), ('user_ids', B(str(line['user_id']))))
        if line['extension_id']:
            raise associated('Line', 'Extension', ('line_id', line['id']),
                             ('extension_ids', B(str(line['extension_id']))))
        self.db.lines.update(line['id'], protocol=None, endpoint_id=None)
        self.db.sip.update(sip['id'], line_id=None)

    # ---------------------------------------------------------------- call permissions
    def create_call_permission(self, data):
        """CallPermissionSchema (name not required: a missing one reaches the NOT NULL column),
        then UniqueField('name')."""
        errors = {}
        problem = _string_problem(data, 'name')
        if problem:
            errors['name'] = [problem]
        elif 'name' in data and not re.match(r'^[a-z0-9_-]{1,128}$', data['name']):
            errors['name'] = ['String does not match expected pattern.']
        password = data.get('password')
        if password is not None and not (isinstance(password, str) and re.match(r'^[0-9#\*]{1,40}$', password)):
            errors['password'] = ['String does not match expected pattern.']
        if 'mode' in data and data['mode'] not in ('allow', 'deny'):
            errors['mode'] = ['Not a valid choice.']
        if 'enabled' in data and not isinstance(data['enabled'], bool):
            errors['enabled'] = ['Not a valid boolean.']
        if errors:
            raise SchemaError(errors)
        name = data.get('name')
        if name is None:
            raise Unexpected('(psycopg2.IntegrityError) null value in column "name" violates not-null constraint')
        if self.db.call_permissions.find_one('name', name):
            raise RowError('Resource Error - CallPermission already exists %s' % metadata([('name', name)]))
        return self.db.call_permissions.insert({
            'name': name, 'password': password, 'mode': data.get('mode', 'deny'),
            'extensions': list(data.get('extensions') or []), 'enabled': data.get('enabled', True),
            'description': data.get('description')})

    def delete_call_permission(self, perm_id):
        """Never refused (16.15 call_permission service: no delete validator): its user
        memberships go with it; users and extensions stay."""
        perm = self.get('call_permissions', 'CallPermission', perm_id)
        for user in list(self.db.users.rows.values()):
            if perm['id'] in user['call_permission_ids']:
                self.forget(user['id'], 'call_permission_ids', perm['id'])
        self.db.call_permissions.delete(perm['id'])


def _string_problem(data, name, required=False):
    """marshmallow fields.String: the message for a missing, null or non-string value."""
    if name not in data:
        return 'Missing data for required field.' if required else None
    if data[name] is None:
        return 'Field may not be null.'
    if not isinstance(data[name], str):
        return 'Not a valid string.'
    return None

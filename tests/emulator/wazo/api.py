"""wazo-confd 26.08's routes (those a users migration meets): one function per route, given the
request's tenant scope; answers (status, body) where body is a dict/list (JSON) or None."""
import csv
import json
import re

from .model import ConfdError, USER_BOOLEANS, EMAIL_RE, MOBILE_RE, USERNAME_RE, associated
from .views import Views

HTML_404 = ('<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n'
            '<p>The requested URL was not found on the server. If you entered the URL manually please check '
            'your spelling and try again.</p>\n')
NOT_ALLOWED = {'message': 'The method is not allowed for the requested URL.'}

# route kind -> (search columns, exact filter columns) of its list
LISTS = {
    'users': (('firstname', 'lastname', 'email', 'mobile_phone_number', 'userfield', 'description'),
              ('uuid', 'firstname', 'lastname', 'email', 'mobile_phone_number', 'userfield', 'username')),
    'contexts': (('name', 'label', 'description'), ('name', 'label', 'type', 'uuid')),
    'extensions': (('exten', 'context'), ('exten', 'context')),
    'endpoints/sip': (('name', 'label'), ('name', 'label', 'uuid')),
    'lines': (('name', 'context', 'provisioning_code', 'caller_id_name', 'caller_id_num', 'protocol'),
              ('name', 'context', 'provisioning_code', 'protocol')),
    'voicemails': (('name', 'number', 'context', 'email'), ('name', 'number', 'context', 'email')),
    'incalls': (('description',), ()),
    'callpermissions': (('name', 'description', 'mode'), ('name', 'mode')),
}
STORE_KIND = {'users': 'users', 'contexts': 'contexts', 'extensions': 'extensions', 'endpoints/sip': 'sip',
              'lines': 'lines', 'voicemails': 'voicemails', 'incalls': 'incalls', 'callpermissions': 'callpermissions'}
RESOURCE = {'users': 'User', 'contexts': 'Context', 'extensions': 'Extension', 'endpoints/sip': 'SIPEndpoint',
            'lines': 'Line', 'voicemails': 'Voicemail', 'incalls': 'Incall', 'callpermissions': 'CallPermission'}
UUID = r'[0-9a-fA-F-]{36}'


class Request:
    """What a route needs: method, path (after /1.1), query params, body, the tenant scope."""

    def __init__(self, method, path, params, body, tenant, tenants, content_type=''):
        self.method, self.path, self.params, self.body = method, path, params, body
        self.tenant, self.tenants, self.content_type = tenant, tenants, content_type
        self.items = 0  # items a list or the export produced (the read cost model)

    def json(self):
        try:
            return json.loads(self.body.decode('utf-8') or 'null')
        except ValueError:
            raise ConfdError('Input Error - invalid JSON')


def acl_of(method, path):
    """The ACL wazo-confd 26.08 asks for a route (None: no such route)."""
    parts = path.strip('/').split('/')
    verb = {'GET': 'read', 'HEAD': 'read', 'POST': 'create', 'PUT': 'update', 'DELETE': 'delete'}.get(method)
    if parts[:2] == ['users', 'import']:
        return 'confd.users.import.%s' % ('create' if method == 'POST' else 'update')
    if parts[:2] == ['users', 'export']:
        return 'confd.users.export.read'
    if parts[:2] == ['endpoints', 'sip']:
        parts = ['endpoints', 'sip'] + parts[2:]
        return 'confd.' + '.'.join(parts) + '.' + verb
    return 'confd.' + '.'.join(parts) + '.' + verb


class Api:
    def __init__(self, server):
        self.srv = server

    @property
    def st(self):
        return self.srv.store

    def views(self):
        return Views(self.st, self.srv.confd_base)

    def route(self, req):
        """(status, body, extra headers)."""
        path, method = req.path, req.method
        m = re.match(r'^/(users|contexts|extensions|endpoints/sip|lines|voicemails|incalls|callpermissions)'
                     r'(?:/([^/]+))?(?:/(.+))?$', path)
        if path == '/infos' and method in ('GET', 'HEAD'):
            return 200, {'uuid': self.srv.uuid, 'wazo_version': self.srv.version}, ()
        if path == '/status' and method in ('GET', 'HEAD'):
            return 200, {name: {'status': 'ok'} for name in ('master_tenant', 'service_token', 'bus_consumer',
                                                             'rest_api')}, ()
        if path == '/users/import':
            if method != 'POST':
                return 405, NOT_ALLOWED, ()
            return self.users_import(req)
        if path == '/users/export' and method in ('GET', 'HEAD'):
            with self.st.lock:
                columns, rows = self.srv.profile.export(self.st, False, tenant=req.tenant)
            req.items = len(rows)
            return 200, {'headers': list(columns), 'content': rows}, ()
        if not m:
            return 404, None, ()
        kind, ident, sub = m.groups()
        with self.st.lock:
            if ident is None:
                if method in ('GET', 'HEAD'):
                    return 200, self.listing(kind, req), ()
                if method == 'POST' and kind == 'contexts':
                    ctx = self.st.create_context(req.tenant, req.json() or {})
                    return 201, self.views().context(ctx), (('Location', '%s/contexts/%d' % (self.srv.confd_base, ctx['id'])),)
                if method == 'POST' and kind == 'callpermissions':
                    cp = self.st.create_callpermission(req.tenant, req.json() or {})
                    return 201, self.views().callpermission(cp), (
                        ('Location', '%s/callpermissions/%d' % (self.srv.confd_base, cp['id'])),)
                return 405, NOT_ALLOWED, ()
            if sub is None:
                return self.one(kind, ident, req)
            if kind == 'users' and sub == 'voicemails' and method == 'DELETE':
                user = self.st.user_by(ident, req.tenants)
                if user['voicemail_id'] is None:
                    raise ConfdError("Resource Error - User is not associated with a Voicemail ('user_id': %d)" % user['id'])
                user['voicemail_id'] = None
                self.srv.saved()
                return 204, None, ()
            if kind == 'lines' and sub.startswith(('endpoints/sip/', 'extensions/')):
                return self.line_association(ident, sub, req)
            if kind == 'users' and sub.startswith('lines/'):
                return self.user_line(ident, sub.split('/')[1], req)
            if kind == 'contexts' and sub == 'contexts' and method == 'PUT':
                ctx = self.st.get('contexts', ident, req.tenants, 'Context')
                ctx['contexts'] = [int(c['id']) for c in (req.json() or {}).get('contexts', [])]
                return 204, None, ()
            return 404, None, ()

    # -- users import
    def users_import(self, req):
        charset = 'utf-8'
        m = re.search(r'charset=([^;\s]+)', req.content_type or '', re.I)
        if m:
            charset = m.group(1).strip('"')
        try:
            text = req.body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            return 400, ['Input Error - the body could not be decoded as %s' % charset], ()
        self.srv.spend_import(len(list(csv.DictReader(text.split('\n')))))  # every data row, failing ones too
        with self.st.lock:
            importer = self.srv.profile.importer(self.st, tenant=req.tenant, auth_users_url=self.srv.auth_users_url)
            status, payload, _rows = importer.run(text)
            if status == 201:
                self.srv.saved()
        return status, payload, ()

    # -- lists and items
    def listing(self, kind, req):
        st, views = self.st, self.views()
        store_kind = STORE_KIND[kind]
        items = [item for item in st.data[store_kind].values() if item['tenant_uuid'] in req.tenants]
        if store_kind == 'extensions':
            items.sort(key=lambda item: (item['exten'], item['id']))  # observed: by exten
        else:
            items.sort(key=lambda item: item.get('id', 0) if store_kind != 'sip' else item['name'])
        render = {'users': views.user, 'contexts': views.context, 'extensions': views.extension,
                  'endpoints/sip': views.sip, 'lines': views.line, 'voicemails': views.voicemail,
                  'incalls': views.incall, 'callpermissions': views.callpermission}[kind]
        rendered = [render(item) for item in items]
        search_columns, filter_columns = LISTS[kind]
        params = req.params
        for column in filter_columns:
            if column in params:
                rendered = [item for item in rendered if str(item.get(column)) == params[column]]
        if kind == 'extensions' and params.get('type'):  # the type of the extension's context
            types = {c['name']: c['type'] for c in st.data['contexts'].values()}
            rendered = [item for item in rendered if types.get(item['context']) == params['type']]
        search = params.get('search')
        if search:
            rendered = [item for item in rendered
                        if any(search.lower() in str(item.get(col) or '').lower() for col in search_columns)]
        total = len(rendered)
        req.items = len(items)  # the server renders every item of the tenants before filtering
        offset = int(params.get('offset') or 0) if str(params.get('offset') or '0').isdigit() else 0
        limit = params.get('limit')
        rendered = rendered[offset:offset + int(limit)] if limit and str(limit).isdigit() else rendered[offset:]
        return {'total': total, 'items': rendered}

    def one(self, kind, ident, req):
        st, views, method = self.st, self.views(), req.method
        if kind == 'users':
            user = st.user_by(ident, req.tenants)
            if method in ('GET', 'HEAD'):
                return 200, views.user(user), ()
            if method == 'PUT':
                return self.put_user(user, req.json() or {})
            if method == 'DELETE':
                return self.delete_user(user)
            return 405, NOT_ALLOWED, ()
        if kind == 'endpoints/sip':
            item = st.sip_by_uuid(ident, req.tenants)
        else:
            item = st.get(STORE_KIND[kind], ident, req.tenants, RESOURCE[kind])
        if method in ('GET', 'HEAD'):
            render = {'contexts': views.context, 'extensions': views.extension, 'endpoints/sip': views.sip,
                      'lines': views.line, 'voicemails': views.voicemail, 'incalls': views.incall,
                      'callpermissions': views.callpermission}[kind]
            return 200, render(item), ()
        if method == 'DELETE':
            getattr(self, 'delete_' + kind.replace('/', '_'))(item)
            self.srv.saved()
            return 204, None, ()
        return 405, NOT_ALLOWED, ()

    # -- associations a removal walks (wazo-confd 26.08's services and validators)
    def line_association(self, line_id, sub, req):
        st = self.st
        line = st.get('lines', line_id, req.tenants, 'Line')
        importer = self.srv.profile.importer(st, tenant=line['tenant_uuid'], auth_users_url=self.srv.auth_users_url)
        if sub.startswith('endpoints/sip/'):
            sip = st.sip_by_uuid(sub.split('/')[2], req.tenants)
            if req.method == 'PUT':
                if line['endpoint_sip_uuid'] != sip['uuid']:
                    importer.associate_sip(line, sip)
            elif line['endpoint_sip_uuid'] == sip['uuid']:  # dissociating what is not there: 204
                if line['user_ids']:
                    raise associated('Line', 'User', line_id=line['id'],
                                     user_ids=','.join(str(i) for i in line['user_ids']))
                if line['extension_ids']:
                    raise associated('Line', 'Extension', line_id=line['id'],
                                     extension_ids=','.join(str(i) for i in line['extension_ids']))
                line['endpoint_sip_uuid'] = line['protocol'] = None
                line['is_webrtc'] = False
        else:
            ext = st.get('extensions', sub.split('/')[1], req.tenants, 'Extension')
            if req.method == 'PUT':
                if ext['id'] not in line['extension_ids']:
                    importer.associate_extension(line, ext)
            elif ext['id'] in line['extension_ids']:
                line['extension_ids'].remove(ext['id'])
        self.srv.saved()
        return 204, None, ()

    def user_line(self, ident, line_id, req):
        user = self.st.user_by(ident, req.tenants)
        line = self.st.get('lines', line_id, req.tenants, 'Line')
        if req.method == 'PUT':
            if user['id'] not in line['user_ids']:
                line['user_ids'].append(user['id'])
        elif user['id'] in line['user_ids']:
            line['user_ids'].remove(user['id'])
        self.srv.saved()
        return 204, None, ()

    # -- PUT /users/<uuid>: only the fields sent change; nothing reaches wazo-auth
    def put_user(self, user, body):
        errors = []
        for key, value in body.items():
            if value is None and key in ('firstname',) + USER_BOOLEANS:
                errors.append("%s: ['Field may not be null.']" % key)
        if body.get('email') and not EMAIL_RE.match(body['email']):
            errors.append("email: ['Not a valid email address.']")
        if body.get('mobile_phone_number') and not MOBILE_RE.match(body['mobile_phone_number']):
            errors.append("mobile_phone_number: ['String does not match expected pattern.']")
        if body.get('username') and not USERNAME_RE.match(body['username']):
            errors.append("username: ['String does not match expected pattern.']")
        if errors:
            raise ConfdError('Input Error - ' + errors[0])
        email = body.get('email')
        if email:
            for other in self.st.data['users'].values():
                if other['id'] != user['id'] and (other.get('email') or '').lower() == email.lower():
                    raise ConfdError("Resource Error - User already exists ('email': %r)" % email)
        for key, value in body.items():
            if key in user and key not in ('id', 'uuid', 'tenant_uuid', 'created_at', 'caller_id'):
                user[key] = value if value != '' or key in ('firstname',) else None
            elif key == 'username':
                user['username'] = value
        self.st.touch(user)
        self.srv.saved()
        return 204, None, ()

    # -- deletes (observed refusals and what is left behind)
    def delete_user(self, user):
        st = self.st
        if user['voicemail_id'] is not None:
            raise associated('User', 'Voicemail', user_id=user['id'], voicemail_id=user['voicemail_id'])
        for line in st.user_lines(user):
            line['user_ids'].remove(user['id'])
        for incall in st.user_incalls(user):
            incall['destination'] = {'type': 'none'}
        del st.data['users'][user['id']]  # the wazo-auth user stays (deleted on wazo-auth)
        self.srv.saved()
        return 204, None, ()

    def delete_voicemails(self, vm):
        users = self.st.users_of_voicemail(vm)
        if users:
            raise associated('Voicemail', 'User', voicemail_id=vm['id'],
                             user_ids=', '.join(str(u['id']) for u in users))
        del self.st.data['voicemails'][vm['id']]

    def delete_incalls(self, incall):
        for ext in self.st.incall_extensions(incall):
            ext['type'], ext['typeval'] = 'user', '0'
        del self.st.data['incalls'][incall['id']]

    def delete_extensions(self, ext):
        if ext['type'] == 'incall':
            raise associated('Extension', 'incall', extension_id=ext['id'], associated_id=ext['typeval'])
        lines = self.st.extension_lines(ext)
        if lines:
            raise associated('Extension', 'line', extension_id=ext['id'], associated_ids=[l['id'] for l in lines])
        del self.st.data['extensions'][ext['id']]

    def delete_lines(self, line):
        st = self.st
        if line['endpoint_sip_uuid']:
            st.data['sip'].pop(line['endpoint_sip_uuid'], None)
        if line['endpoint_sccp_id']:
            st.data['sccp'].pop(line['endpoint_sccp_id'], None)
        del st.data['lines'][line['id']]

    def delete_endpoints_sip(self, sip):
        for line in self.st.data['lines'].values():
            if line['endpoint_sip_uuid'] == sip['uuid']:
                raise associated('Endpoint', 'Line', endpoint_uuid=sip['uuid'], line_id=line['id'])
        del self.st.data['sip'][sip['uuid']]

    def delete_callpermissions(self, cp):
        for user in self.st.data['users'].values():
            if cp['id'] in user['callpermission_ids']:
                user['callpermission_ids'].remove(cp['id'])
        del self.st.data['callpermissions'][cp['id']]

    def delete_contexts(self, ctx):
        del self.st.data['contexts'][ctx['id']]

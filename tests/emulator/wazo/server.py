"""HTTPS layer of the Wazo Platform 26.08 profile: wazo-confd and wazo-auth in one of the two address
layouts (Wazo >= 20.07: one HTTPS port behind nginx, `/api/confd/1.1` and `/api/auth/0.1`; earlier:
confd on 9486 `/1.1` and wazo-auth on 9497 `/0.1`), plus the `/_emulator` control routes."""
import base64
import csv
import io
import json
import random
import re
import ssl
import threading
import time
import uuid as uuidlib

from ..faults import Faults
from ..server import REDIRECT_HTML, TLSEmulator, _Base, _mangled, _TLSServer  # the shared HTTPS plumbing and fault shapes
from ..speed import Speed
from .api import HTML_404, NOT_ALLOWED, Api, Request
from .authsvc import MASTER_TENANT, AuthService, Conflict, acl_matches
from .model import ConfdError, Store
from .profile import Wazo2608

TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
# seconds of wazo-confd 26.08 CPU per item listed, measured with ~235 users in the tenant
READ_COST = {'users': 1.62 / 234, 'lines': 0.71 / 234, 'endpoints/sip': 0.19 / 234, 'extensions': 0.09 / 235,
             'export': 0.02 / 234}
NGINX_502 = ('<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>'
             '</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')
# What a fresh tenant has after Wazo's setup as the recording made it: contexts by label.
DEFAULT_CONTEXTS = [
    {'label': 'default', 'type': 'internal', 'user_ranges': [{'start': '1000', 'end': '1999'}],
     'group_ranges': [{'start': '2000', 'end': '2999'}], 'queue_ranges': [{'start': '3000', 'end': '3999'}],
     'conference_room_ranges': [{'start': '4000', 'end': '4999'}], 'description': 'internal'},
    {'label': 'from-extern', 'type': 'incall', 'incall_ranges': [{'start': '1000', 'end': '9999', 'did_length': 4}],
     'description': 'incall'},
    {'label': 'to-extern', 'type': 'outcall', 'description': 'outcall'},
]
DEFAULT_SEED = {
    'tenants': [{'uuid': TENANT_A, 'name': 'tenanta', 'slug': 'tenanta', 'contexts': DEFAULT_CONTEXTS,
                 'call_permissions': []}],
    'auth_users': [{'username': 'root', 'password': 'secret', 'tenant': 'master', 'acls': ['#']},
                   {'username': 'admin', 'password': 'passadmin', 'tenant': 'master',
                    'acls': ['confd.#', 'auth.#']}],
}


def to_csv(header, rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, restval='', extrasaction='ignore', lineterminator='\r\n')
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


class WazoHandler(_Base):
    def version_string(self):
        return self.emu.profile.server_header

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def read_body(self):
        """Sized or chunked: wazo-confd 26.08 imports a chunked upload (16.15 ignored it)."""
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            return self.read_chunks()
        length = self.headers.get('Content-Length')
        return self.rfile.read(int(length)) if length else b''

    def dispatch(self):
        emu = self.emu
        self._rows = self._items = None
        self._logging = False
        path, params = self.split_path()
        if path.startswith('/_emulator/'):
            return self.handle_control(path)
        role = self.server.role
        if role in ('confd', 'both') and path.startswith(emu.confd_prefix + '/1.1/'):
            return self.confd(path[len(emu.confd_prefix) + 4:], params)
        if role in ('auth', 'both') and path.startswith(emu.auth_prefix + '/0.1/'):
            if emu.faults.auth_down and role == 'both':
                self.read_body()  # wazo-auth down behind nginx: its 502
                return self.send(502, NGINX_502, 'text/html')
            return self.auth(path[len(emu.auth_prefix) + 4:], params)
        body = self.read_body()  # noqa: F841 (drained)
        return self.send(404, HTML_404, 'text/html; charset=utf-8')

    # -- wazo-confd
    def confd(self, path, params):
        emu = self.emu
        body = self.read_body()
        self._logging = True
        if emu.faults.latency:
            time.sleep(emu.faults.latency)
        redirect = emu.faults.should_redirect(self.command, self.path.split('?')[0])
        if redirect:  # a front proxy's answer: before routing, auth and state
            location = redirect['location']
            return self.send(int(redirect['status']), REDIRECT_HTML % (location, location),
                             'text/html; charset=utf-8', [('Location', location)])
        route = emu.profile.match(path)
        if route is None:
            return self.send(404, HTML_404, 'text/html; charset=utf-8')
        if self.command not in route[0]:
            return self.send(405, NOT_ALLOWED)
        injected = emu.faults.should_fail(self.command, self.path.split('?')[0])
        if injected:
            return self.send(injected, ['Injected fault'])
        export_csv = path == '/users/export' and emu.profile.wants_csv(self.headers.get('Accept'))
        # flask-restful renders errors with the representation the Accept header chose
        error_type = 'text/csv; charset=utf-8' if export_csv else 'application/json'
        acl = emu.profile.acl((self.command, path), route[1])
        tenant, refused = emu.auth.check(self.headers.get('X-Auth-Token'), acl, self.headers.get('Wazo-Tenant'))
        if refused:
            return self.send(401, refused, error_type)
        recurse = params.get('recurse', '').lower() == 'true'
        tenants = emu.auth.descendants(tenant) if recurse else [tenant]
        req = Request(self.command, path, params, body, tenant, tenants, self.headers.get('Content-Type') or '')
        try:
            status, payload, headers = emu.api.route(req)
        except ConfdError as exc:
            return self.send(exc.status, [str(exc)], error_type)
        emu.spend_read(path, req.items)
        if status == 404 and payload is None:
            return self.send(404, HTML_404, 'text/html; charset=utf-8')
        if path == '/users/export' and status == 200:
            self._rows = len(payload['content'])
            if export_csv:
                return self.send(200, to_csv(payload['headers'], payload['content']), 'text/csv; charset=utf-8')
        if path == '/users/import':
            self._rows = len(payload.get('created') or payload.get('errors') or [])
            if status == 201:  # the faults of a committed import
                answer, mangle = emu.faults.after_commit()
                if emu.faults.should_drop():
                    emu.log(self.command, self.path, 'dropped', self._rows)
                    self._logging = False
                    self.close_connection = True
                    return None
                if mangle:
                    payload = _mangled(payload, mangle)
                if answer:
                    return self.send(int(answer['status']), answer['body'], answer['content_type'])
        if isinstance(payload, dict) and 'items' in payload:
            self._items = len(payload['items'])
        if status == 204 and self.command == 'PUT' and re.fullmatch(r'/users/[^/]+', path):
            # Wazo's update route (no update by import): a committed write, like an import.
            answer, dummy = emu.faults.after_commit()
            if emu.faults.should_drop():
                emu.log(self.command, self.path, 'dropped', 1)
                self._logging = False
                self.close_connection = True
                return None
            if answer:
                return self.send(int(answer['status']), answer['body'], answer['content_type'])
        if status == 204:
            return self.send(204, b'')
        return self.send(status, payload, headers=headers)

    # -- wazo-auth
    def auth(self, path, params):
        emu, svc = self.emu, self.emu.auth
        body = self.read_body()
        try:
            data = json.loads(body.decode('utf-8')) if body.strip() else {}
        except ValueError:
            data = {}
        method = self.command
        if path == '/token' and method == 'POST':
            login, password = _basic(self.headers.get('Authorization'))
            user = svc.find_login(login, password)
            if user is None:
                return self.send(401, _auth_error(401, 'Authentication Failed'))
            token = svc.new_token(user, data.get('expiration') or 7200)
            return self.send(200, svc.token_body(token, emu.uuid))
        m = re.fullmatch(r'/token/([^/]*)', path)
        if m and method == 'DELETE':
            svc.revoke(m.group(1))
            return self.send(200, {'data': {'message': 'success'}})
        if m and method in ('GET', 'HEAD'):
            token = svc.token(m.group(1))
            scope = params.get('scope')
            if token is None or (scope and not any(acl_matches(p, scope) for p in token['acls'])):
                return self.send(404 if token is None else 403, _auth_error(404 if token is None else 403, 'No such token'))
            return self.send(200, svc.token_body(token, emu.uuid))
        if path == '/users/password/reset' and method == 'POST':
            return self.auth_password_reset(svc, params, data)
        # the rest needs a token with the route's ACL
        token = svc.token(self.headers.get('X-Auth-Token'))
        acl = _auth_acl(method, path)
        if token is None or not any(acl_matches(p, acl) for p in token['acls']):
            return self.send(401, _auth_error(401, 'Unauthorized'))
        scope = self.headers.get('Wazo-Tenant') or token['tenant_uuid']
        if scope not in svc.tenants or not svc.visible(token['tenant_uuid'], scope):
            return self.send(401, _auth_error(401, 'Unauthorized tenant'))
        # wazo-auth lists the scoping tenant and every tenant below it
        in_scope = svc.descendants(scope)
        if path == '/tenants' and method in ('GET', 'HEAD'):
            items = [svc.tenant_item(svc.tenants[t]) for t in in_scope]
            total = len(items)
            for key in ('name', 'slug', 'uuid'):
                if key in params:
                    items = [t for t in items if t[key] == params[key]]
            if params.get('search'):
                items = [t for t in items if params['search'].lower() in (t['name'] + ' ' + t['slug']).lower()]
            return self.send(200, {'items': items, 'total': total, 'filtered': len(items)})
        m = re.fullmatch(r'/tenants/([^/]+)', path)
        if m and method in ('GET', 'HEAD'):
            if m.group(1) not in in_scope:
                return self.send(404, _auth_error(404, 'No such tenant: "%s"' % m.group(1)))
            return self.send(200, svc.tenant_item(svc.tenants[m.group(1)]))
        if path == '/users' and method in ('GET', 'HEAD'):
            tenants = in_scope if params.get('recurse', '').lower() == 'true' else [scope]
            items = [svc.user_item(u) for u in svc.users.values() if u['tenant_uuid'] in tenants]
            total = len(items)
            for key in ('username', 'uuid'):
                if key in params:
                    items = [u for u in items if (u[key] or '').lower() == params[key].lower()]
            if params.get('search'):
                items = [u for u in items if params['search'].lower() in json.dumps(u).lower()]
            return self.send(200, {'items': items, 'total': total, 'filtered': len(items)})
        if path == '/users' and method == 'POST':
            try:
                user = svc.create_user(scope, username=data.get('username'), email=data.get('email_address'),
                                       password=data.get('password'), firstname=data.get('firstname'),
                                       lastname=data.get('lastname'), uuid=data.get('uuid'),
                                       purpose=data.get('purpose', 'user'), enabled=data.get('enabled', True))
            except Conflict as exc:
                return self.send(409, {'message': 'Conflict detected', 'error_id': 'conflict', 'resource': 'users',
                                       'details': {exc.column: {'constraint_id': 'unique', 'message': str(exc)}},
                                       'timestamp': time.time()})
            return self.send(200, svc.user_item(user))
        m = re.fullmatch(r'/users/([^/]+)(/password)?', path)
        if m:
            user = svc.users.get(m.group(1))
            if user is None or user['tenant_uuid'] not in in_scope:
                return self.send(404, {'message': 'No such user: "%s"' % m.group(1), 'error_id': 'unknown_user',
                                       'resource': 'users', 'details': {}, 'timestamp': time.time()})
            if m.group(2) and method == 'PUT':
                # The user's own route: the old password is required (wazo-auth's
                # ChangePasswordSchema); an administrator resets it (/users/password/reset).
                if not data.get('old_password') or not data.get('new_password'):
                    return self.send(400, {'message': 'Invalid value supplied for field: new_password',
                                           'error_id': 'invalid_data', 'resource': 'users',
                                           'details': {}, 'timestamp': time.time()})
                if data['old_password'] != user.get('password'):
                    return self.send(401, _auth_error(401, 'Authentication Failed'))
                svc.edit_user(user['uuid'], password=data['new_password'])
                return self.send(204, b'')
            if method in ('GET', 'HEAD'):
                return self.send(200, svc.user_item(user))
            if method == 'DELETE':
                svc.delete_user(user['uuid'])
                return self.send(204, b'', 'text/html; charset=utf-8')
            if method == 'PUT':
                # wazo-auth's UserPutSchema: every field, a missing one set to its default.
                fields = {'username': data.get('username'), 'firstname': data.get('firstname'),
                          'lastname': data.get('lastname'), 'enabled': data.get('enabled', True),
                          'purpose': data.get('purpose', 'user')}
                try:
                    svc.edit_user(user['uuid'], **fields)
                except Conflict as exc:
                    return self.send(409, {'message': 'Conflict detected', 'error_id': 'conflict',
                                           'resource': 'users', 'timestamp': time.time(),
                                           'details': {exc.column: {'constraint_id': 'unique', 'message': str(exc)}}})
                return self.send(200, svc.user_item(user))
        m = re.fullmatch(r'/admin/users/([^/]+)/emails', path)
        if m and method == 'PUT':
            # The administrator's route: the addresses replace the user's, confirmed as given.
            user = svc.users.get(m.group(1))
            if user is None or user['tenant_uuid'] not in in_scope:
                return self.send(404, {'message': 'No such user: "%s"' % m.group(1), 'error_id': 'unknown-user',
                                       'resource': 'users', 'details': {'uuid': m.group(1)},
                                       'timestamp': time.time()})
            emails = data.get('emails') if isinstance(data.get('emails'), list) else None
            if emails is None or any(not isinstance(e, dict) or not e.get('address') for e in emails) \
                    or (emails and [bool(e.get('main')) for e in emails].count(True) != 1):
                return self.send(400, {'message': 'Invalid value supplied for field: emails',
                                       'error_id': 'invalid_data', 'resource': 'users', 'details': {},
                                       'timestamp': time.time()})
            try:
                svc.edit_user(user['uuid'], email=next((e['address'] for e in emails if e.get('main')), None))
            except Conflict as exc:
                return self.send(409, {'message': 'Conflict detected', 'error_id': 'conflict', 'resource': 'users',
                                       'details': {'email_address': {'constraint_id': 'unique',
                                                                     'message': str(exc)}},
                                       'timestamp': time.time()})
            return self.send(200, [{'address': e['address'], 'main': bool(e.get('main')),
                                    'confirmed': e.get('confirmed')} for e in emails])
        m = re.fullmatch(r'/users/([^/]+)/emails', path)
        if m and method == 'PUT':
            user = svc.users.get(m.group(1))
            if user is None:
                return self.send(404, _auth_error(404, 'No such user'))
            emails = data.get('emails') or []
            try:
                svc.edit_user(user['uuid'], email=(emails[0]['address'] if emails else None))
            except Conflict as exc:
                return self.send(409, {'message': 'Conflict detected', 'error_id': 'conflict', 'resource': 'emails',
                                       'details': {exc.column: {'constraint_id': 'unique', 'message': str(exc)}},
                                       'timestamp': time.time()})
            return self.send(200, {'emails': [{'address': user['email'], 'confirmed': True, 'main': True}]
                                   if user['email'] else []})
        return self.send(404, HTML_404, 'text/html; charset=utf-8')

    def auth_password_reset(self, svc, params, data):
        """POST /0.1/users/password/reset?user_uuid=<uuid> {"password"}: an administrator sets a
        user's password (the token needs auth.users.password.reset.<uuid>.create; no tenant check;
        a null password removes it). 204."""
        token_value = self.headers.get('X-Auth-Token') or params.get('token')
        token = svc.token(token_value)
        uuid = params.get('user_uuid')
        if token is None or not any(acl_matches(p, 'auth.users.password.reset.%s.create' % uuid)
                                    for p in token['acls']):
            return self.send(401, _auth_error(401, 'Unauthorized'))
        if uuid not in svc.users:
            return self.send(404, {'message': 'No such user: "%s"' % uuid, 'error_id': 'unknown-user',
                                   'resource': 'users', 'details': {'uuid': uuid}, 'timestamp': time.time()})
        if 'password' not in data or (data['password'] is not None and not data['password']):
            return self.send(400, {'message': 'Invalid value supplied for field: password',
                                   'error_id': 'invalid_data', 'resource': 'users', 'details': {},
                                   'timestamp': time.time()})
        svc.edit_user(uuid, password=data['password'])
        return self.send(204, b'')


def _basic(header):
    if not header or not header.lower().startswith('basic '):
        return None, None
    try:
        login, _sep, password = base64.b64decode(header[6:].strip()).decode('utf-8').partition(':')
    except (ValueError, UnicodeDecodeError):
        return None, None
    return login, password


def _auth_error(code, message):
    return {'reason': [message], 'timestamp': [time.time()], 'status_code': code}


def _auth_acl(method, path):
    verb = {'GET': 'read', 'HEAD': 'read', 'POST': 'create', 'PUT': 'update', 'DELETE': 'delete'}[method]
    return 'auth.' + '.'.join(p for p in path.strip('/').split('/')) + '.' + verb


class WazoServer(TLSEmulator):
    """One emulated Wazo Platform 26.08 (wazo-confd + wazo-auth).

    layout 'api' (the default, Wazo >= 20.07): one HTTPS port (`port`, default 443) serving
    `/api/confd/1.1` and `/api/auth/0.1`; layout 'ports' (Wazo 17.01-20.06): confd HTTPS on `port`
    (default 9486, `/1.1`) and wazo-auth HTTPS on `auth_port` (default 9497, `/0.1`)."""

    profile = 'wazo-26.08'
    cert_prefix = 'wazo-emulator-'

    def __init__(self, address='127.0.0.2', port=None, auth_port=None, layout='api', version='26.08',
                 certfile=None, keyfile=None, ca=None, seed=None, row_cost=0.0, request_cost=0.0,
                 rng_seed=None, profile=None, read_scale=0.0):
        if layout not in ('api', 'ports'):
            raise ValueError("layout must be 'api' (Wazo >= 20.07) or 'ports' (earlier)")
        self.profile = profile or Wazo2608()
        self.address, self.layout, self.version = address, layout, str(version)
        if layout == 'api':
            self._requested = (443 if port is None else port, None)
            self.confd_prefix, self.auth_prefix = '/api/confd', '/api/auth'
        else:
            self._requested = (9486 if port is None else port, 9497 if auth_port is None else auth_port)
            self.confd_prefix = self.auth_prefix = ''
        if isinstance(seed, str):
            with open(seed) as fh:
                seed = json.load(fh)
        self.start_seed = seed if seed is not None else DEFAULT_SEED
        self.rng = random.Random(rng_seed)
        self.uuid = str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))
        self.speed = Speed(row_cost, request_cost)
        self.read_scale = float(read_scale or 0)
        self.auth = None
        self.faults = Faults(on_change=self._faults_changed)
        self._import_lock = threading.Lock()
        self._log_lock = threading.Lock()
        self.request_log = []
        self.api = Api(self)
        self.reset()
        self._tmpdir = self.ca_path = None
        if certfile is None:
            certfile, keyfile = self._make_cert(ca)
        self.certfile, self.keyfile = certfile, keyfile
        self._servers = []
        self.port, self.auth_port = self._requested

    # -- state
    def speed_state(self):
        return dict(self.speed.as_dict(), read_scale=self.read_scale)

    def set_speed(self, data):
        data = dict(data)
        if 'read_scale' in data:
            self.read_scale = float(data.pop('read_scale') or 0)
        self.speed.set(**data)

    def reset(self):
        self.auth = AuthService()
        self.store = Store(self.auth, self.rng)
        self.speed.reset()
        self.faults.reset()
        self.apply_seed(self.start_seed)

    def _tenant_ref(self, ref):
        if ref in (None, 'master'):
            return MASTER_TENANT
        if ref in self.auth.tenants:
            return ref
        for tenant in self.auth.tenants.values():
            if ref in (tenant['name'], tenant['slug']):
                return tenant['uuid']
        raise ValueError('unknown tenant %r' % ref)

    def apply_seed(self, seed):
        """Seed keys: `tenants` [{uuid?, name, slug?, parent?, contexts?, call_permissions?}]
        (contexts as POST /1.1/contexts takes them, call permissions as POST /1.1/callpermissions),
        `auth_users` [{username, password, tenant (uuid, name, slug or "master"), acls, email?, uuid?}],
        `users` [{tenant, csv}] imported at once."""
        with self.store.lock:
            for spec in seed.get('tenants') or []:
                uuid = spec.get('uuid') or str(uuidlib.uuid4())
                if uuid not in self.auth.tenants:
                    self.auth.add_tenant(uuid, spec['name'], slug=spec.get('slug'),
                                         parent=self._tenant_ref(spec.get('parent')))
                for ctx in spec.get('contexts') or []:
                    self.store.create_context(uuid, ctx)
                for cp in spec.get('call_permissions') or []:
                    self.store.create_callpermission(uuid, cp)
            for spec in seed.get('auth_users') or []:
                self.auth.create_user(self._tenant_ref(spec.get('tenant')), username=spec['username'],
                                      email=spec.get('email'), password=spec['password'], uuid=spec.get('uuid'),
                                      acls=spec.get('acls') or [], purpose=spec.get('purpose', 'user'))
            for spec in seed.get('users') or []:
                tenant = self._tenant_ref(spec.get('tenant'))
                importer = self.profile.importer(self.store, tenant=tenant, auth_users_url=self.auth_users_url)
                status, payload, _rows = importer.run(spec['csv'])
                if status != 201:
                    raise ValueError('seed users refused: %s' % json.dumps(payload))

    def state(self):
        with self.store.lock:
            counts = {kind: len(items) for kind, items in self.store.data.items()}
            counts['auth_users'] = len(self.auth.users)
            return {'profile': self.profile.name, 'version': self.version, 'uuid': self.uuid, 'url': self.url,
                    'auth_url': self.auth_url, 'counts': counts, 'speed': self.speed.as_dict(),
                    'faults': self.faults.as_dict(),
                    'tenants': [self.auth.tenant_item(t) for t in self.auth.tenants.values()],
                    'request_log': self.request_log[-200:]}

    def users(self, tenant=None):
        """Export rows of a tenant (default: every tenant but the master), as the JSON export gives them."""
        tenants = [tenant] if tenant else [t for t in self.auth.tenants if t != MASTER_TENANT]
        with self.store.lock:
            return [row for t in tenants for row in self.profile.export(self.store, False, tenant=t)[1]]

    # -- used by the handler
    def saved(self):
        pass

    def spend_read(self, path, items):
        """The cost of a list or the export: the CPU 26.08 was measured to spend per item
        (READ_COST) times read_scale (0: off, 1: the real server, 0.01: 100x faster), spent after
        the store is released (other requests go on)."""
        kind = 'export' if path == '/users/export' else path.strip('/')
        cost = self.read_scale * READ_COST.get(kind, 0.0) * items
        if cost > 0:
            time.sleep(cost)

    def spend_import(self, rows):
        """The speed model (26.08 measured ~0.1 s of confd CPU, ~0.2 s wall per row, linear): spent before the
        import touches the store, one import at a time."""
        cost = self.speed.cost(rows)
        if cost > 0:
            with self._import_lock:
                time.sleep(cost)

    def log(self, method, path, status, rows, items=None):
        with self._log_lock:
            self.request_log.append({'time': time.time(), 'method': method, 'path': path, 'status': status,
                                     'rows': rows, 'items': items})
            del self.request_log[:-1000]

    @property
    def url(self):
        """confd's base URL (up to and without /1.1)."""
        return 'https://%s:%d%s' % (_host(self.address), self.port, self.confd_prefix)

    @property
    def auth_url(self):
        port = self.port if self.layout == 'api' else self.auth_port
        return 'https://%s:%d%s' % (_host(self.address), port, self.auth_prefix)

    @property
    def confd_base(self):
        return self.url + '/1.1'

    @property
    def auth_users_url(self):
        """The URL confd's own wazo-auth client calls (it shows in the import's opaque 409 message)."""
        if self.layout == 'api':
            return 'http://localhost:9497/0.1/users'
        return 'https://%s:%d/0.1/users' % (_host(self.address), self.auth_port)

    def start(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certfile, self.keyfile)
        refused = {'both': lambda: self.faults.refuse, 'confd': lambda: self.faults.refuse,
                   'auth': lambda: self.faults.auth_down}
        roles = [('both', self._requested[0])] if self.layout == 'api' else \
            [('confd', self._requested[0]), ('auth', self._requested[1])]
        try:
            for role, port in roles:
                srv = _TLSServer((self.address, port), WazoHandler, ctx, self, refused[role])
                srv.role = role
                threading.Thread(target=srv.serve_forever, daemon=True, name='wazo-%s-%s' % (role, port)).start()
                self._servers.append(srv)
        except Exception:
            self.stop()
            raise
        self.port = self._servers[0].server_address[1]
        if self.layout == 'ports':
            self.auth_port = self._servers[1].server_address[1]
        return self

    def banner(self):
        """The line the command line prints once the server listens."""
        return 'listening %s (auth %s) %s' % (self.url, self.auth_url, self.profile.name)


def _host(address):
    return '[%s]' % address if ':' in address else address

"""HTTPS layer: the confd port (routes, auth, import/export, the configuration routes of api.py,
/_emulator control) and the xivo-auth port, plus EmulatorServer, the Python API tests use."""
import concurrent.futures
import ipaddress
import json
import os
import socket
import shutil
import ssl
import struct
import tempfile
import threading
import time
import urllib.parse
import uuid as uuidlib
import weakref
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import seed as seedmod
from .api import BadJSON, json_body
from .auth import Auth
from .csvparse import Unexpected, parse
from .export import to_csv
from .faults import Faults
from .listing import ListError
from .profiles import profile_named
from .rules import NotFoundError, RowError
from .speed import Speed
from .store import Store
from .writes import SchemaError

HTML_404 = (b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n'
            b'<h1>Not Found</h1>\n<p>The requested URL was not found on the server.  If you entered the URL '
            b'manually please check your spelling and try again.</p>\n')
FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')
REDIRECT_HTML = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>Redirecting...</title>\n'
                 '<h1>Redirecting...</h1>\n<p>You should be redirected automatically to target URL: '
                 '<a href="%s">%s</a>.  If not click the link.')
BAD_REQUEST = 'The browser (or proxy) sent a request that this server could not understand.'


class Raw:
    """An answer that is not confd's JSON (the answer_after_commit fault)."""

    def __init__(self, body, content_type):
        self.body, self.content_type = body, content_type


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, ssl_context, emulator, refused):
        self.ssl_context = ssl_context
        self.emulator = emulator
        self.refused = refused  # callable: reset connections while it says so
        super().__init__(addr, handler)

    def verify_request(self, request, client_address):
        if self.refused():
            # RST rather than FIN: the client sees "connection reset"
            request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            return False
        return True

    def finish_request(self, request, client_address):
        request.settimeout(120)
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass  # client went away: nothing to report


class _Base(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add 40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True
    sys_version = ''

    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return self.emu.profile.server_header

    @property
    def emu(self):
        return self.server.emulator

    def send(self, status, body=b'', content_type='application/json', headers=()):
        if isinstance(body, (dict, list)):
            body = (json.dumps(body) + '\n').encode('utf-8')
        elif isinstance(body, str):
            body = body.encode('utf-8')
        self._status = status
        if getattr(self, '_logging', False):
            # Logged before the answer leaves, so a client that got it also finds it in the log.
            self.emu.log(self.command, self.path, status, self._rows, self._items)
            self._logging = False
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        if status != 204:  # werkzeug sends no body (and no length) with a 204
            self.send_header('Content-Length', str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD' and status != 204:
            self.wfile.write(body)

    def read_body(self):
        """Sized bodies only: werkzeug reads nothing without Content-Length
        (docs/server-behaviour.md#request-body)."""
        length = self.headers.get('Content-Length')
        if length is None:
            if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
                self.read_chunks()  # read, then thrown away: the app sees an empty body
            return b''
        return self.rfile.read(int(length))

    def read_chunks(self):
        """A chunked request body, trailers read and dropped."""
        chunks = []
        while True:
            line = self.rfile.readline(65537)
            if not line:
                break
            size = int(line.split(b';')[0].strip() or b'0', 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                    pass  # trailers
                break
            chunks.append(self.rfile.read(size))
            self.rfile.read(2)
        return b''.join(chunks)

    def split_path(self):
        """Path and query; a repeated parameter keeps its first value (werkzeug's args[key])."""
        parts = urllib.parse.urlsplit(self.path)
        params = {}
        for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            params.setdefault(key, value)
        return parts.path, params

    def handle_control(self, path):
        emu = self.emu
        try:
            body = self.read_body()
            data = json.loads(body.decode('utf-8')) if body.strip() else {}
            if path == '/_emulator/state' and self.command == 'GET':
                return self.send(200, emu.state())
            if path == '/_emulator/faults' and self.command == 'GET':
                return self.send(200, emu.faults.as_dict())
            if path == '/_emulator/faults' and self.command == 'POST':
                if data.get('reset'):
                    emu.faults.reset()
                    data = {k: v for k, v in data.items() if k != 'reset'}
                emu.faults.set(**data)
                return self.send(200, emu.faults.as_dict())
            if path == '/_emulator/faults' and self.command == 'DELETE':
                emu.faults.reset()
                return self.send(200, emu.faults.as_dict())
            if path == '/_emulator/reset' and self.command == 'POST':
                emu.reset()
                return self.send(200, emu.state())
            if path == '/_emulator/seed' and self.command == 'POST':
                emu.apply_seed(data)
                return self.send(200, emu.state())
            if path == '/_emulator/speed' and self.command == 'GET':
                return self.send(200, emu.speed_state())
            if path == '/_emulator/speed' and self.command == 'POST':
                emu.set_speed(data)
                return self.send(200, emu.speed_state())
        except (ValueError, TypeError, KeyError) as exc:
            return self.send(400, {'error': str(exc)})
        return self.send(404, {'error': 'unknown control path'})


class ConfdHandler(_Base):
    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def route(self, path):
        """({method: (handler, ACL template)}, path ids) or None. Routes answer before auth
        (docs/server-behaviour.md#routes-before-authentication)."""
        return self.emu.profile.match(path)

    def dispatch(self):
        self._status = None
        self._rows = self._items = None
        self._logging = True
        path, params = self.split_path()
        if path.startswith('/_emulator/'):
            return self.handle_control(path)
        emu = self.emu
        try:
            if emu.faults.latency:
                time.sleep(emu.faults.latency)
            redirect = emu.faults.should_redirect(self.command, path)
            if redirect:  # a front proxy's answer: before routing, auth and state
                self.read_body()
                location = redirect['location']
                return self.send(int(redirect['status']), REDIRECT_HTML % (location, location),
                                 'text/html; charset=utf-8', [('Location', location)])
            route = self.route(path)
            if route is None:
                self.read_body()
                return self.send(404, HTML_404, 'text/html')
            methods, ids = route
            method = 'GET' if self.command == 'HEAD' else self.command  # HEAD: the GET, no body
            if method not in methods:
                self.read_body()
                return self.send(405, ['The method is not allowed for the requested URL.'])
            status = emu.faults.should_fail(self.command, path)
            if status:
                self.read_body()
                return self.send(status, ['Injected fault'])
            handler, acl = methods[method]
            if not self.authenticated(emu.profile.acl(acl, ids)):
                self.read_body()
                header, cookie = emu.auth.challenge()
                return self.send(401, 'Unauthorized Access', 'text/html; charset=utf-8',
                                 [('WWW-Authenticate', header), ('Set-Cookie', cookie)])
            if isinstance(handler, str):
                return getattr(self, 'do_' + handler)(path, params)
            self.call_api(handler, ids, params)
        finally:
            # What was not answered (a dropped connection) is logged here.
            if self._logging and (self._status is not None or self._rows is not None):
                emu.log(self.command, self.path, self._status, self._rows, self._items)
            self._logging = False

    def authenticated(self, acl):
        auth = self.emu.auth
        token = self.headers.get('X-Auth-Token', '')
        if token and auth.token_ok(token, acl):
            return True
        cookies = {}
        if self.headers.get('Cookie'):
            jar = SimpleCookie()
            try:
                jar.load(self.headers['Cookie'])
            except Exception:
                pass
            cookies = {k: m.value for k, m in jar.items()}
        return auth.digest_ok(self.command, self.headers.get('Authorization', ''), cookies)

    def call_api(self, handler, ids, params):
        """An api.py handler; confd's handle_error turns the exceptions into JSON lists."""
        body = self.read_body()
        try:
            if self.command in ('POST', 'PUT'):
                body = json_body(body, self.headers.get('Content-Type'))
            answer = handler(self.emu, ids, params, body)
        except BadJSON:
            return self.send(400, [BAD_REQUEST])
        except ListError as exc:
            return self.send(400, [str(exc)])
        except SchemaError as exc:
            return self.send(400, exc.messages)
        except NotFoundError as exc:
            return self.send(404, [str(exc)])
        except RowError as exc:
            return self.send(400, [str(exc)])
        except Exception as exc:  # Unexpected, or a bug here: it must still look like confd's 500
            return self.send(500, ['Unexpected error: %s' % exc])
        self._rows, self._items = answer.rows, answer.items
        self.send(answer.status, answer.body, headers=answer.headers)

    # -- routes
    def do_import(self, path, params):
        emu = self.emu
        body = self.read_body()
        ctype = self.headers.get('Content-Type', '') or ''
        mimetype, ctparams = _options(ctype)
        if mimetype in FORM_TYPES:
            # werkzeug parses it as a form: request.data is empty (docs/server-behaviour.md#request-body)
            body = b''
        charset = ctparams.get('charset', 'utf-8')
        status, payload, rows = emu.do_import(body, charset, update=(self.command == 'PUT'))
        self._rows = rows
        if status == 'drop':
            self._status = 'dropped'
            self.close_connection = True
            return
        if isinstance(payload, Raw):
            return self.send(status, payload.body, payload.content_type)
        self.send(status, payload)

    def do_export(self, path, params):
        cols, rows = self.emu.export_rows()
        self._rows = len(rows)
        if self.emu.profile.wants_csv(self.headers.get('Accept')):
            return self.send(200, to_csv(cols, rows), 'text/csv; charset=utf-8')
        self.send(200, {'headers': cols, 'content': rows})


class AuthHandler(_Base):
    def do_POST(self):
        self._status = None
        path, dummy = self.split_path()
        if path.startswith('/_emulator/'):
            return self.handle_control(path)
        if path != '/0.1/token':
            self.read_body()
            return self.send(404, HTML_404, 'text/html')
        body = self.read_body()
        import base64
        header = self.headers.get('Authorization', '')
        login = password = None
        if header.lower().startswith('basic '):
            try:
                login, dummy, password = base64.b64decode(header[6:]).decode('utf-8').partition(':')
            except Exception:
                pass
        try:
            data = json.loads(body.decode('utf-8')) if body.strip() else {}
        except ValueError:
            data = {}
        expiration = data.get('expiration', 7200)
        if not isinstance(expiration, int) or isinstance(expiration, bool) or expiration <= 0:
            return self.send(400, {'reason': ['Invalid expiration'], 'timestamp': [time.time()], 'status_code': 400})
        token = self.emu.auth.create_token(login, password, data.get('backend', 'xivo_service'), expiration) \
            if login is not None else None
        if token is None:
            return self.send(401, {'reason': ['Authentication Failed'], 'timestamp': [time.time()], 'status_code': 401})
        self.send(200, {'data': token})

    def do_DELETE(self):
        path, dummy = self.split_path()
        if path.startswith('/_emulator/'):
            return self.handle_control(path)
        if path.startswith('/0.1/token/'):
            self.emu.auth.revoke(path.rsplit('/', 1)[1])
            return self.send(200, {'data': {'message': 'success'}})
        self.send(404, HTML_404, 'text/html')

    def do_GET(self):
        path, dummy = self.split_path()
        if path.startswith('/_emulator/'):
            return self.handle_control(path)
        self.send(404, HTML_404, 'text/html')


def _options(value):
    """werkzeug parse_options_header, enough of it: (mimetype lower, {param lower: value})."""
    parts = value.split(';')
    params = {}
    for part in parts[1:]:
        key, sep, val = part.partition('=')
        if sep:
            params[key.strip().lower()] = val.strip().strip('"')
    return parts[0].strip().lower(), params


class TLSEmulator:
    """What the XiVO and the Wazo emulators share: their certificate, the token lifetime fault,
    the speed control route, stopping. A subclass sets `address`, `speed`, `auth`, `_servers`."""

    cert_prefix = 'confd-emulator-'

    def _make_cert(self, ca):
        import trustme
        self._tmpdir = tempfile.mkdtemp(prefix=self.cert_prefix)
        # The key goes when the emulator does (or the interpreter ends): a stopped emulator
        # may be started again with the same certificate.
        weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        if ca is None:
            ca = trustme.CA()
            self.ca_path = os.path.join(self._tmpdir, 'ca.pem')
            ca.cert_pem.write_to_path(self.ca_path)
        cert = ca.issue_cert(self.address)
        certfile = os.path.join(self._tmpdir, 'server.pem')
        keyfile = os.path.join(self._tmpdir, 'server.key')
        for blob in cert.cert_chain_pems:
            blob.write_to_path(certfile, append=True)
        cert.private_key_pem.write_to_path(keyfile)
        return certfile, keyfile

    def _faults_changed(self, faults):
        if self.auth is not None:
            self.auth.token_ttl = faults.token_ttl

    def speed_state(self):
        """What GET /_emulator/speed answers."""
        return self.speed.as_dict()

    def set_speed(self, data):
        """POST /_emulator/speed."""
        self.speed.set(**data)

    def stop(self):
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class EmulatorServer(TLSEmulator):
    """One emulated XiVO: confd on `port`, xivo-auth on `auth_port`, both HTTPS."""

    def __init__(self, address='127.0.0.2', port=9486, auth_port=9497, version='16.15', certfile=None,
                 keyfile=None, ws_user='admin', ws_password='passadmin', state_file=None, seed=None,
                 ca=None, shuffle_export=True, row_cost=0.0, request_cost=0.0):
        self.address = address
        self.profile = profile_named(version)  # every version-specific answer (profiles.py)
        self.version_text = self.profile.name
        self.version = self.profile.version
        self.state_file = state_file
        self.shuffle_export = shuffle_export
        self.request_log = []
        self._log_lock = threading.Lock()
        if isinstance(seed, str):
            with open(seed) as fh:
                seed = json.load(fh)
        base = seedmod.merged({'ws_users': [{'login': ws_user, 'password': ws_password, 'acls': ['confd.#']}]})
        self.start_seed = seedmod.merged(seed, base)
        self.store = Store()
        self.store.meta['uuid'] = str(uuidlib.uuid4())  # GET /1.1/infos: kept by reset and --state
        self.auth = None
        self.faults = Faults(on_change=self._faults_changed)
        self.speed = Speed(row_cost, request_cost)
        self._import_lock = threading.Lock()  # one import at a time (speed.py)
        self.reset(save=False)
        if state_file and os.path.exists(state_file) and os.path.getsize(state_file):
            with open(state_file) as fh:
                self.store.load(json.load(fh))
            self._upgrade_loaded()
        self._tmpdir = None
        self.ca_path = None
        if certfile is None:
            certfile, keyfile = self._make_cert(ca)
        self.certfile, self.keyfile = certfile, keyfile
        self._requested = (port, auth_port)
        self._servers = []
        self.port, self.auth_port = port, auth_port

    # -- setup
    def _upgrade_loaded(self):
        """A state file of an older emulator: contexts with only "ranges", extensions without
        "commented", endpoints without "callerid"."""
        for ctx in self.store.contexts.rows.values():
            if 'user_ranges' not in ctx:
                ctx.update(seedmod.context_record(ctx))
                ctx.pop('ranges', None)
        for ext in self.store.extensions.rows.values():
            ext.setdefault('commented', False)
        for table in (self.store.sip, self.store.sccp):
            for rec in table.rows.values():
                rec.setdefault('callerid', None)

    @property
    def uuid(self):
        return self.store.meta['uuid']

    def reset(self, save=True):
        with self.store.lock:
            fresh = Store()
            self.store.tables, self.store.sequences = fresh.tables, fresh.sequences
            for table in self.store.tables.values():
                table.store = self.store
            self.seed = seedmod.merged(base=self.start_seed)
            seedmod.apply_reference(self.store, self.seed)
            seedmod.apply_features(self.store)
            seedmod.apply_extensions(self.store, self.seed['extensions'])
            seedmod.apply_sip_endpoints(self.store, self.seed['sip_endpoints'])
            self.auth = Auth(self.seed['ws_users'], self.seed['admins'])
            self.faults.reset()
            self.speed.reset()
            if self.seed.get('users'):
                self._seed_users(self.seed['users'])
        if save:
            self._save()

    def apply_seed(self, data):
        with self.store.lock:
            self.seed = seedmod.merged(data, self.seed)
            seedmod.apply_reference(self.store, self.seed)
            self.auth.ws_users = {u['login']: u for u in self.seed['ws_users']}
            self.auth.admins = {u['login']: u for u in self.seed['admins']}
            seedmod.apply_extensions(self.store, data.get('extensions') or [])
            seedmod.apply_sip_endpoints(self.store, data.get('sip_endpoints') or [])
            if data.get('users'):
                self._seed_users(data['users'])
        self._save()

    def _seed_users(self, text):
        """Imported at once: no speed cost, no import lock (the store lock is held already)."""
        dummy, rows = parse(text.encode('utf-8'), 'utf-8')
        status, payload = self._run_import(rows, update=False, save=False)
        if status != 201:
            raise ValueError('seed users rejected: %s' % json.dumps(payload))

    # -- behaviour used by the handler
    def do_import(self, body, charset, update=False, save=True):
        """Return (status, payload, row_count); status 'drop' means close without answering, a
        Raw payload is an answer that is not confd's (faults)."""
        with self._import_lock:
            try:
                dummy, rows = parse(body, charset)
            except Unexpected as exc:
                self._spend(0)
                return 500, ['Unexpected error: %s' % exc], None
            self._spend(len(rows))
            status, payload = self._run_import(rows, update, save)
            if status != 201 or not save:
                return status, payload, len(rows)
            answer, mangle = self.faults.after_commit()
            if self.faults.should_drop():
                return 'drop', payload, len(rows)
            if mangle:
                payload = _mangled(payload, mangle)
            if answer:
                return int(answer['status']), Raw(answer['body'], answer['content_type']), len(rows)
            return 201, payload, len(rows)

    def _spend(self, rows):
        """The server time of an import (speed.py), outside the store lock: reads go on."""
        cost = self.speed.cost(rows)
        if cost > 0:
            time.sleep(cost)

    def _run_import(self, rows, update, save):
        """One transaction: (201, payload) committed, or (400|500, body) rolled back."""
        with self.store.lock:
            self.store.begin()
            try:
                entries, errors = self.profile.importer(self.store, self.faults.slow_rows).run(rows, update)
            except Exception as exc:  # Unexpected, or a bug here: it must still look like confd's 500
                self.store.rollback()
                return 500, ['Unexpected error: %s' % exc]
            if errors:
                self.store.rollback()
                return 400, {'errors': errors}
            self.store.commit()
            if save:
                self._save()
        return 201, {('updated' if update else 'created'): [e.ids() for e in entries]}

    def transaction(self, work):
        """Run work(store) as one all-or-nothing transaction, saved to --state when it commits."""
        with self.store.lock:
            self.store.begin()
            try:
                result = work(self.store)
            except BaseException:
                self.store.rollback()
                raise
            self.store.commit()
            self._save()
        return result

    def export_rows(self, shuffle=None):
        with self.store.lock:
            return self.profile.export(self.store, self.shuffle_export if shuffle is None else shuffle)

    def log(self, method, path, status, rows, items=None):
        """rows: CSV rows of an import, rows of an export, items of GET /1.1/users (as before);
        items: how many items any list answered (docs/server-behaviour.md#read-cost: costs are per item)."""
        with self._log_lock:
            self.request_log.append({'time': time.time(), 'method': method, 'path': path,
                                     'status': status, 'rows': rows, 'items': items})
            if len(self.request_log) > 5000:
                del self.request_log[:1000]

    def users(self):
        return self.export_rows(shuffle=False)[1]

    def state(self):
        with self.store.lock:
            counts = {name: len(t.rows) for name, t in self.store.tables.items()}
            users = self.users()
        return {'version': self.version_text, 'url': self.url, 'uuid': self.uuid, 'users': users, 'counts': counts,
                'faults': self.faults.as_dict(), 'speed': self.speed.as_dict(), 'request_log': self.request_log[-200:]}

    def _save(self):
        if self.state_file:
            self.store.save(self.state_file)

    # -- lifecycle
    @property
    def url(self):
        return 'https://%s:%s' % (_host(self.address), self.port)

    @property
    def auth_url(self):
        return 'https://%s:%s' % (_host(self.address), self.auth_port)

    def start(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certfile, self.keyfile)
        confd = _TLSServer((self.address, self._requested[0]), ConfdHandler, ctx, self, lambda: self.faults.refuse)
        auth = _TLSServer((self.address, self._requested[1]), AuthHandler, ctx, self, lambda: self.faults.auth_down)
        self._servers = [confd, auth]
        self.port, self.auth_port = confd.server_address[1], auth.server_address[1]
        for srv in self._servers:
            threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True).start()
        return self


def stop_all(servers):
    """Stop many emulators at once: each waits up to a poll interval of its serving threads,
    so 200 servers stopped one by one took longer than a supervisor waits before SIGKILL
    (which leaves their key directories behind)."""
    servers = list(servers)
    if servers:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(64, len(servers))) as pool:
            list(pool.map(lambda server: server.stop(), servers))


def _mangled(payload, rule):
    """mangle_created: the created/updated list without row numbers and/or reversed."""
    (key, entries), = payload.items()
    if rule.get('drop_row_number'):
        entries = [{k: v for k, v in e.items() if k != 'row_number'} for e in entries]
    if rule.get('reverse'):
        entries = entries[::-1]
    return {key: entries}


def _host(address):
    try:
        if ipaddress.ip_address(address).version == 6:
            return '[%s]' % address
    except ValueError:
        pass
    return address

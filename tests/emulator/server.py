"""HTTPS layer: the confd port (routes, auth, import/export/list, /_emulator control) and the
xivo-auth port, plus EmulatorServer, the Python API tests use."""
import ipaddress
import json
import os
import socket
import ssl
import struct
import tempfile
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import seed as seedmod
from .auth import Auth, required_acl
from .csvparse import Unexpected, parse
from .export import ListError, export, list_users, to_csv
from .faults import Faults
from .importer import Importer
from .store import Store

HTML_404 = (b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n'
            b'<h1>Not Found</h1>\n<p>The requested URL was not found on the server.  If you entered the URL '
            b'manually please check your spelling and try again.</p>\n')
FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data')


def parse_version(text):
    major, minor = str(text).split('.')[:2]
    return int(major), int(minor)


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
    server_version = 'CherryPy/3.2.2'  # what confd 16.x answers with
    sys_version = ''

    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return self.server_version

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
            self.emu.log(self.command, self.path, status, self._rows)
            self._logging = False
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def read_body(self):
        """Sized bodies only: werkzeug reads nothing without Content-Length (§12.11)."""
        length = self.headers.get('Content-Length')
        if length is None:
            if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
                self._discard_chunks()  # read, then thrown away: the app sees an empty body
            return b''
        return self.rfile.read(int(length))

    def _discard_chunks(self):
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            size = int(line.split(b';')[0].strip() or b'0', 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                    pass  # trailers
                return
            self.rfile.read(size + 2)

    def split_path(self):
        parts = urllib.parse.urlsplit(self.path)
        return parts.path, dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))

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
        except (ValueError, TypeError, KeyError) as exc:
            return self.send(400, {'error': str(exc)})
        return self.send(404, {'error': 'unknown control path'})


class ConfdHandler(_Base):
    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def route(self, path):
        """Return (name, allowed methods) or None. Routes answer before auth (§12.21)."""
        if path == '/1.1/users/import':
            return 'import', ('POST', 'PUT')
        if path == '/1.1/users/export':
            return 'export', ('GET',)
        if path == '/1.1/users':
            return 'list', ('GET',)
        if path.startswith('/1.1/users/'):
            ident = path[len('/1.1/users/'):]
            if ident.isdigit() or _is_uuid(ident):
                return 'get', ('GET',)
        return None

    def dispatch(self):
        self._status = None
        self._rows = None
        self._logging = True
        path, params = self.split_path()
        if path.startswith('/_emulator/'):
            return self.handle_control(path)
        emu = self.emu
        try:
            if emu.faults.latency:
                time.sleep(emu.faults.latency)
            route = self.route(path)
            if route is None:
                self.read_body()
                return self.send(404, HTML_404, 'text/html')
            name, methods = route
            if self.command not in methods:
                self.read_body()
                return self.send(405, ['The method is not allowed for the requested URL.'])
            status = emu.faults.should_fail(self.command, path)
            if status:
                self.read_body()
                return self.send(status, ['Injected fault'])
            if not self.authenticated(path):
                self.read_body()
                header, cookie = emu.auth.challenge()
                return self.send(401, 'Unauthorized Access', 'text/html; charset=utf-8',
                                 [('WWW-Authenticate', header), ('Set-Cookie', cookie)])
            getattr(self, 'do_' + name)(path, params)
        finally:
            # What was not answered (a dropped connection) is logged here.
            if self._logging and (self._status is not None or self._rows is not None):
                emu.log(self.command, self.path, self._status, self._rows)
            self._logging = False

    def authenticated(self, path):
        auth = self.emu.auth
        token = self.headers.get('X-Auth-Token', '')
        if token and auth.token_ok(token, required_acl(self.command, path)):
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

    # -- routes
    def do_import(self, path, params):
        emu = self.emu
        body = self.read_body()
        ctype = self.headers.get('Content-Type', '') or ''
        mimetype, ctparams = _options(ctype)
        if mimetype in FORM_TYPES:
            body = b''  # werkzeug parses it as a form: request.data is empty (§1.7)
        charset = ctparams.get('charset', 'utf-8')
        status, payload, rows = emu.do_import(body, charset, update=(self.command == 'PUT'))
        self._rows = rows
        if status == 'drop':
            self._status = 'dropped'
            self.close_connection = True
            return
        self.send(status, payload)

    def do_export(self, path, params):
        cols, rows = self.emu.export_rows()
        self._rows = len(rows)
        if self.emu.wants_csv(self.headers.get('Accept')):
            return self.send(200, to_csv(cols, rows), 'text/csv; charset=utf-8')
        self.send(200, {'headers': cols, 'content': rows})

    def do_list(self, path, params):
        emu = self.emu
        try:
            with emu.store.lock:
                result = list_users(emu.store, emu.version, params, emu.url)
        except ListError as exc:
            return self.send(400, [str(exc)])
        self._rows = len(result['items'])
        self.send(200, result)

    def do_get(self, path, params):
        emu = self.emu
        ident = path.rsplit('/', 1)[1]
        with emu.store.lock:
            if ident.isdigit():
                user = emu.store.users.get(int(ident))
                meta = "('id': %s)" % ident
            else:
                user = emu.store.users.find_one('uuid', ident)
                meta = "('id': UUID('%s'))" % ident
            if user is None:
                return self.send(404, ['Resource Not Found - User was not found %s' % meta])
            from .export import user_item
            item = user_item(emu.store, user, emu.url)
        self.send(200, item)


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


def _is_uuid(text):
    import uuid
    try:
        uuid.UUID(text)
        return len(text) in (32, 36)
    except ValueError:
        return False


def _options(value):
    """werkzeug parse_options_header, enough of it: (mimetype lower, {param lower: value})."""
    parts = value.split(';')
    params = {}
    for part in parts[1:]:
        key, sep, val = part.partition('=')
        if sep:
            params[key.strip().lower()] = val.strip().strip('"')
    return parts[0].strip().lower(), params


def accept_items(header):
    items = []
    for raw in header.split(','):
        raw = raw.strip()
        if not raw:
            continue
        quality = 1.0
        pieces = raw.split(';')
        kept = [pieces[0]]
        for piece in pieces[1:]:
            key, dummy, val = piece.strip().partition('=')
            if key.strip().lower() == 'q':
                try:
                    quality = float(val)
                except ValueError:
                    quality = 0.0
            else:
                kept.append(piece)
        items.append((';'.join(kept).strip(), quality))
    return items


class EmulatorServer:
    """One emulated XiVO: confd on `port`, xivo-auth on `auth_port`, both HTTPS."""

    def __init__(self, address='127.0.0.2', port=9486, auth_port=9497, version='16.15', certfile=None,
                 keyfile=None, ws_user='admin', ws_password='passadmin', state_file=None, seed=None,
                 ca=None, shuffle_export=True):
        self.address = address
        self.version_text = str(version)
        self.version = parse_version(version)
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
        self.auth = None
        self.faults = Faults(on_change=self._faults_changed)
        self.reset(save=False)
        if state_file and os.path.exists(state_file) and os.path.getsize(state_file):
            with open(state_file) as fh:
                self.store.load(json.load(fh))
        self._tmpdir = None
        self.ca_path = None
        if certfile is None:
            certfile, keyfile = self._make_cert(ca)
        self.certfile, self.keyfile = certfile, keyfile
        self._requested = (port, auth_port)
        self._servers = []
        self.port, self.auth_port = port, auth_port

    # -- setup
    def _make_cert(self, ca):
        import trustme
        self._tmpdir = tempfile.mkdtemp(prefix='confd-emulator-')
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

    def reset(self, save=True):
        with self.store.lock:
            fresh = Store()
            self.store.tables, self.store.sequences = fresh.tables, fresh.sequences
            for table in self.store.tables.values():
                table.store = self.store
            self.seed = seedmod.merged(base=self.start_seed)
            seedmod.apply_reference(self.store, self.seed)
            self.auth = Auth(self.seed['ws_users'], self.seed['admins'])
            self.faults.reset()
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
            if data.get('users'):
                self._seed_users(data['users'])
        self._save()

    def _seed_users(self, text):
        status, payload, dummy = self.do_import(text.encode('utf-8'), 'utf-8', update=False, save=False)
        if status != 201:
            raise ValueError('seed users rejected: %s' % json.dumps(payload))

    # -- behaviour used by the handler
    def do_import(self, body, charset, update=False, save=True):
        """Return (status, payload, row_count); status 'drop' means close without answering."""
        rows_count = None
        with self.store.lock:
            self.store.begin()
            try:
                dummy, rows = parse(body, charset)
                rows_count = len(rows)
                entries, errors = Importer(self.store, self.version, self.faults.slow_rows).run(rows, update)
            except Unexpected as exc:
                self.store.rollback()
                return 500, ['Unexpected error: %s' % exc], rows_count
            except Exception as exc:  # a bug here must still look like confd's 500
                self.store.rollback()
                return 500, ['Unexpected error: %s' % exc], rows_count
            if errors:
                self.store.rollback()
                return 400, {'errors': errors}, rows_count
            self.store.commit()
            if save:
                self._save()
        payload = {('updated' if update else 'created'): [e.ids() for e in entries]}
        if save and self.faults.should_drop():
            return 'drop', payload, rows_count
        return 201, payload, rows_count

    def export_rows(self, shuffle=None):
        with self.store.lock:
            return export(self.store, self.version, self.shuffle_export if shuffle is None else shuffle)

    def wants_csv(self, accept):
        """flask-restful + werkzeug negotiation for the export (§1.5, §12.19)."""
        if not accept:
            return False
        for value, quality in accept_items(accept):
            if quality <= 0:
                continue
            value = value.lower()
            if value == '*':
                return True
            kind, dummy, sub = value.partition('/')
            if kind == '*' and sub == '*':
                return True
            if kind == 'text' and sub == '*':
                return True
            # werkzeug 0.11.11 compares the subtype with its parameters, spaces included
            if self.version >= (16, 9) and kind == 'text' and sub == 'csv; charset=utf-8':
                return True
        return False

    def log(self, method, path, status, rows):
        with self._log_lock:
            self.request_log.append({'time': time.time(), 'method': method, 'path': path,
                                     'status': status, 'rows': rows})
            if len(self.request_log) > 5000:
                del self.request_log[:1000]

    def users(self):
        return self.export_rows(shuffle=False)[1]

    def state(self):
        with self.store.lock:
            counts = {name: len(t.rows) for name, t in self.store.tables.items()}
            users = self.users()
        return {'version': self.version_text, 'url': self.url, 'users': users, 'counts': counts,
                'faults': self.faults.as_dict(), 'request_log': self.request_log[-200:]}

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

    def stop(self):
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _host(address):
    try:
        if ipaddress.ip_address(address).version == 6:
            return '[%s]' % address
    except ValueError:
        pass
    return address

"""xivo-auth tokens and confd's auth chain (docs/server-behaviour.md#authentication): token with ACL → Digest
(cookie-bound nonce). Each route's ACL is in api.py (IMPORT_EXPORT_ROUTES in profiles.py for
import/export)."""
import base64
import datetime
import hashlib
import os
import re
import threading
import time
import uuid

REALM = 'Authentication Required'


def acl_matches(pattern, acl):
    """xivo-auth ACL patterns: '*' one dotted segment, '#' any number of them."""
    parts = []
    for seg in pattern.split('.'):
        parts.append('.*' if seg == '#' else '[^.]*' if seg == '*' else re.escape(seg))
    return re.fullmatch(r'\.'.join(parts), acl) is not None


def _md5(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()


def _iso(ts):
    return datetime.datetime.fromtimestamp(ts).isoformat()


class Auth:
    def __init__(self, ws_users, admins):
        self.lock = threading.Lock()
        self.ws_users = {u['login']: u for u in ws_users}
        self.admins = {u['login']: u for u in admins}
        self.tokens = {}
        self.sessions = {}  # session cookie → (nonce, opaque)
        self.token_ttl = None  # fault: forced lifetime

    # ---- xivo-auth
    def create_token(self, login, password, backend, expiration):
        if backend == 'xivo_admin':
            user = self.admins.get(login)
            acls = ['confd.#']
        else:  # xivo_service (and anything else: same table, like a web-services user)
            user = self.ws_users.get(login)
            acls = list(user.get('acls', ['confd.#'])) if user else []
        if user is None or user['password'] != password or backend not in ('xivo_admin', 'xivo_service'):
            return None
        if self.token_ttl is not None:
            expiration = self.token_ttl
        now = time.time()
        token = str(uuid.uuid4())
        data = {'token': token, 'auth_id': login, 'xivo_user_uuid': None, 'issued_at': _iso(now),
                'expires_at': _iso(now + expiration), 'acls': acls}
        with self.lock:
            self.tokens[token] = (now + expiration, acls, data)
        return data

    def revoke(self, token):
        with self.lock:
            self.tokens.pop(token, None)

    def token_ok(self, token, acl):
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None or entry[0] < time.time():
            return False
        return any(acl_matches(p, acl) for p in entry[1])

    # ---- Digest (flask-httpauth 2.2.1 style)
    def challenge(self):
        session = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip('=')
        nonce, opaque = os.urandom(16).hex(), os.urandom(16).hex()
        with self.lock:
            self.sessions[session] = (nonce, opaque)
            if len(self.sessions) > 10000:
                self.sessions.pop(next(iter(self.sessions)))
        header = 'Digest realm="%s",nonce="%s",opaque="%s"' % (REALM, nonce, opaque)
        cookie = 'session=%s; HttpOnly; Path=/' % session
        return header, cookie

    def digest_ok(self, method, authorization, cookies):
        if not authorization or not authorization.lower().startswith('digest '):
            return False
        params = dict((k.lower(), v.strip('"')) for k, v in
                      re.findall(r'(\w+)=("[^"]*"|[^,\s]*)', authorization[7:]))
        session = self.sessions.get(cookies.get('session', ''))
        if session is None or params.get('nonce') != session[0] or params.get('opaque') != session[1]:
            return False  # the nonce must be the one bound to the session cookie
        user = self.ws_users.get(params.get('username'))
        if user is None or params.get('realm') != REALM:
            return False
        ha1 = _md5('%s:%s:%s' % (user['login'], REALM, user['password']))
        ha2 = _md5('%s:%s' % (method, params.get('uri', '')))
        if params.get('qop') == 'auth':
            expected = _md5(':'.join([ha1, params['nonce'], params.get('nc', ''), params.get('cnonce', ''), 'auth', ha2]))
        else:
            expected = _md5('%s:%s:%s' % (ha1, params['nonce'], ha2))
        return expected == params.get('response')

"""wazo-auth as wazo-confd 26.08 meets it: tenants (a master and its children), users whose login
is unique ignoring case (a username may not equal another user's email either), tokens carrying
their user's tenant and ACLs, and the 401 bodies confd builds from a refused token."""
import re
import threading
import time
import uuid as uuidlib

MASTER_TENANT = '7ce3fb6b-0000-4000-8000-00000000aaaa'
UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


class Conflict(Exception):
    """wazo-auth's 409 (POST /0.1/users): what confd's import turns into its opaque message."""

    def __init__(self, column, value):
        super().__init__('The %s "%s" is already used' % (column, value))
        self.column = column


def acl_matches(pattern, acl):
    """wazo-auth ACL patterns: `*` one dotted segment, `#` any number of them."""
    regex = '^' + re.escape(pattern).replace(r'\*', '[^.]*').replace(r'\#', '.*') + '$'
    return re.match(regex, acl) is not None


def slug_of(name):
    return re.sub(r'[^a-z0-9]', '', name.lower())[:10] or 'tenant'


class AuthService:
    def __init__(self):
        self._lock = threading.RLock()
        self.tenants = {}   # uuid -> {uuid, name, slug, parent_uuid}
        self.users = {}     # uuid -> {uuid, tenant_uuid, username, email, password, firstname, lastname, acls, purpose}
        self.tokens = {}    # token -> {token, user_uuid, tenant_uuid, acls, expires}
        self.token_ttl = None
        self.add_tenant(MASTER_TENANT, 'master', slug='master', parent=None)

    # -- tenants
    def add_tenant(self, uuid, name, slug=None, parent=MASTER_TENANT):
        with self._lock:
            self.tenants[uuid] = {'uuid': uuid, 'name': name, 'slug': slug or slug_of(name),
                                  'parent_uuid': parent or uuid}
            return self.tenants[uuid]

    def descendants(self, tenant_uuid):
        """The tenant and every tenant below it."""
        found, todo = [], [tenant_uuid]
        while todo:
            current = todo.pop(0)
            found.append(current)
            todo.extend(t['uuid'] for t in self.tenants.values()
                        if t['parent_uuid'] == current and t['uuid'] != current)
        return found

    def visible(self, token_tenant, tenant_uuid):
        return tenant_uuid in self.descendants(token_tenant)

    # -- users
    def _taken(self, login, email, exclude=None):
        for user in self.users.values():
            if user['uuid'] == exclude:
                continue
            names = {(user.get('username') or '').lower(), (user.get('email') or '').lower()} - {''}
            if login and login.lower() in names:
                return 'username', login
            if email and email.lower() in names:
                return 'email_address', email
        return None

    def create_user(self, tenant_uuid, username=None, email=None, password=None, firstname=None,
                    lastname=None, uuid=None, acls=(), purpose='user', enabled=True):
        with self._lock:
            uuid = uuid or str(uuidlib.uuid4())
            # the login is the username, else the email, else the uuid (wazo-auth's rule)
            login = username or email or uuid
            clash = self._taken(login, email)
            if clash:
                raise Conflict(*clash)
            self.users[uuid] = {'uuid': uuid, 'tenant_uuid': tenant_uuid, 'username': login, 'email': email,
                                'password': password, 'firstname': firstname, 'lastname': lastname,
                                'acls': list(acls), 'purpose': purpose, 'enabled': enabled}
            return self.users[uuid]

    def edit_user(self, uuid, **fields):
        with self._lock:
            user = self.users[uuid]
            login, email = fields.get('username', user['username']), fields.get('email', user['email'])
            clash = self._taken(login, email, exclude=uuid)
            if clash:
                raise Conflict(*clash)
            user.update(fields)
            return user

    def delete_user(self, uuid):
        with self._lock:
            return self.users.pop(uuid, None) is not None

    def find_login(self, login, password):
        for user in self.users.values():
            if (user.get('username') or '').lower() == (login or '').lower() or \
                    (user.get('email') or '').lower() == (login or '').lower():
                return user if user.get('password') == password and user.get('enabled', True) else None
        return None

    # -- tokens
    def new_token(self, user, expiration):
        with self._lock:
            token = str(uuidlib.uuid4())
            ttl = self.token_ttl if self.token_ttl is not None else expiration
            now = time.time()
            self.tokens[token] = {'token': token, 'user_uuid': user['uuid'], 'tenant_uuid': user['tenant_uuid'],
                                  'acls': list(user['acls']), 'issued': now, 'expires': now + float(ttl)}
            return self.tokens[token]

    def add_token(self, token, user_uuid, expiration=3600):
        """A token with a value of the caller's choice (tests replaying recorded exchanges)."""
        with self._lock:
            user = self.users[user_uuid]
            now = time.time()
            self.tokens[token] = {'token': token, 'user_uuid': user_uuid, 'tenant_uuid': user['tenant_uuid'],
                                  'acls': list(user['acls']), 'issued': now, 'expires': now + expiration}

    def token(self, value):
        data = self.tokens.get(value or '')
        if data and data['expires'] < time.time():
            return None
        return data

    def revoke(self, value):
        with self._lock:
            return self.tokens.pop(value, None) is not None

    def token_body(self, data, xivo_uuid):
        user = self.users.get(data['user_uuid'], {})
        issued = time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(data['issued']))
        expires = time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(data['expires']))
        utc_issued = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(data['issued']))
        utc_expires = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(data['expires']))
        return {'data': {
            'token': data['token'], 'auth_id': data['user_uuid'], 'pbx_user_uuid': None,
            'xivo_uuid': xivo_uuid, 'issued_at': issued, 'expires_at': expires,
            'utc_issued_at': utc_issued, 'utc_expires_at': utc_expires, 'acl': data['acls'],
            'session_uuid': str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, data['token'])),
            'metadata': {'uuid': data['user_uuid'], 'tenant_uuid': data['tenant_uuid'],
                         'auth_id': data['user_uuid'], 'pbx_user_uuid': None, 'xivo_uuid': xivo_uuid,
                         'purpose': user.get('purpose', 'user')}}}

    def check(self, token_value, acl, tenant_header):
        """confd's token check. Returns (tenant_uuid, None) or (None, 401 body): the body echoes the
        token as wazo-confd 26.08 does: ('<token>', '<acl>') for an unknown token, and
        ('<token>', '<acl>', '<tenant>'|None) for a known one lacking the ACL or the tenant."""
        data = self.token(token_value)
        if data is None:
            return None, ["('%s', '%s')" % (token_value or '', acl)]
        shown = "'%s'" % tenant_header if tenant_header is not None else 'None'
        refused = ["('%s', '%s', %s)" % (token_value, acl, shown)]
        if not any(acl_matches(pattern, acl) for pattern in data['acls']):
            return None, refused
        if tenant_header is None:
            return data['tenant_uuid'], None
        if not UUID_RE.match(tenant_header) or tenant_header not in self.tenants \
                or not self.visible(data['tenant_uuid'], tenant_header):
            return None, refused
        return tenant_header, None

    def snapshot(self):
        with self._lock:
            return {uuid: dict(user) for uuid, user in self.users.items()}

    def restore(self, users):
        with self._lock:
            self.users = users

    def tenant_item(self, tenant):
        return {'uuid': tenant['uuid'], 'name': tenant['name'], 'slug': tenant['slug'],
                'parent_uuid': tenant['parent_uuid'], 'contact': None, 'phone': None,
                'domain_names': [], 'default_authentication_method': 'native',
                'address': {'line_1': None, 'line_2': None, 'city': None, 'state': None,
                            'country': None, 'zip_code': None}}

    def user_item(self, user):
        return {'uuid': user['uuid'], 'tenant_uuid': user['tenant_uuid'], 'username': user['username'],
                'firstname': user.get('firstname'), 'lastname': user.get('lastname'),
                'emails': [{'address': user['email'], 'confirmed': True, 'main': True}] if user.get('email') else [],
                'enabled': user.get('enabled', True), 'purpose': user.get('purpose', 'user'),
                'authentication_method': 'default'}

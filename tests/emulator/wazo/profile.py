"""The Wazo Platform 26.08 profile: its answers to the questions of profiles.Profile (routes and
their ACLs, the Server header, the import, the export and its Accept rule), and the server it
runs on (server.WazoServer: tenants, wazo-auth, the two address layouts)."""
import re

from ..profiles import Profile
from .api import acl_of
from .model import EXPORT_COLUMNS, Importer, export_rows

# confd routes (after /1.1): pattern -> allowed methods; anything else is werkzeug's HTML 404
ROUTES = [
    (r'/infos', ('GET', 'HEAD')), (r'/status', ('GET', 'HEAD')),
    (r'/users/import', ('POST', 'PUT')), (r'/users/export', ('GET', 'HEAD')),
    (r'/users', ('GET', 'HEAD', 'POST')), (r'/users/[^/]+', ('GET', 'HEAD', 'PUT', 'DELETE')),
    (r'/users/[^/]+/voicemails', ('DELETE', 'GET', 'HEAD')),
    (r'/contexts', ('GET', 'HEAD', 'POST')), (r'/contexts/\d+', ('GET', 'HEAD', 'DELETE')),
    (r'/contexts/\d+/contexts', ('PUT',)),
    (r'/callpermissions', ('GET', 'HEAD', 'POST')), (r'/callpermissions/\d+', ('GET', 'HEAD', 'DELETE')),
    (r'/(extensions|lines|voicemails|incalls)', ('GET', 'HEAD')),
    (r'/(extensions|lines|voicemails|incalls)/\d+', ('GET', 'HEAD', 'DELETE')),
    (r'/endpoints/sip', ('GET', 'HEAD')), (r'/endpoints/sip/[^/]+', ('GET', 'HEAD', 'DELETE')),
    (r'/lines/\d+/endpoints/sip/[^/]+', ('PUT', 'DELETE')), (r'/lines/\d+/extensions/\d+', ('PUT', 'DELETE')),
    (r'/users/[^/]+/lines/\d+', ('PUT', 'DELETE')),
]


class Wazo2608(Profile):
    """wazo-confd 26.08 behind nginx, wazo-auth beside it, tenants."""

    server_header = 'nginx'

    def __init__(self, text='wazo-26.08'):
        self.name = str(text)
        self.version = (26, 8)
        self.title = 'Wazo Platform 26.08 (wazo-confd)'

    def match(self, path):
        """(allowed methods, ()) of a confd path after /1.1, or None (werkzeug's HTML 404). PUT
        /users/import was disabled in 19.06: it stays a route, whose PUT answers 405 before auth."""
        for pattern, methods in ROUTES:
            if re.fullmatch(pattern, path):
                if path == '/users/import':
                    methods = ('POST',)
                return methods, ()
        return None

    def acl(self, template, ids):
        method, path = template
        return acl_of(method, path)

    def importer(self, store, slow_rows=0.0, tenant=None, auth_users_url=None):
        return Importer(store, tenant, auth_users_url)

    def export(self, store, shuffle, tenant=None):
        return EXPORT_COLUMNS, export_rows(store, tenant)

    def wants_csv(self, accept):
        """CSV when an Accept item with q > 0 is `text/csv; charset=utf-8` (any case), `text/*` or
        `*/*`; `text/csv` without the charset, `text/plain`, `application/json` or no Accept header
        at all get JSON (observed on 26.08)."""
        if not accept:
            return False
        for item in accept.split(','):
            parts = [p.strip().lower() for p in item.split(';')]
            media, params = parts[0], dict(p.split('=', 1) for p in parts[1:] if '=' in p)
            try:
                if float(params.get('q', '1')) <= 0:
                    continue
            except ValueError:
                continue
            if media in ('*/*', 'text/*'):
                return True
            if media == 'text/csv' and params.get('charset', '').strip('"') == 'utf-8':
                return True
        return False

    def make_server(self, **kwargs):
        from ..profiles import options_of
        from .server import WazoServer
        kwargs['seed'] = kwargs.pop('wazo_seed', None)  # `seed` is the 16.x seed: not ours
        return WazoServer(profile=self, **options_of(WazoServer, kwargs))

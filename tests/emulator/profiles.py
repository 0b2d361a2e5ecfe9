"""Server profiles: what one emulated server kind and version does its own way.

An EmulatorServer holds one Profile (`profile_named(version)`). The HTTP layer, the routes, the
import, the lists and the export ask it; no other module compares version numbers or server
kinds. A rule that differs gets a member here, named for what it does, with an answer in every
profile. Today: confd 16.x as XiVO shipped it (16.08 … 16.15, one class: the rules that changed
between those releases are members whose answer follows the version). Another server kind
(Wazo) is a subclass of Profile registered in PROFILES.
"""
from . import api
from .export import COLUMNS_1608, COLUMNS_1609, export
from .importer import Importer

# the two routes served by the HTTP layer itself rather than by api.py: method -> (handler name, ACL)
IMPORT_EXPORT_ROUTES = {'/1.1/users/import': {'POST': ('import', 'confd.users.import.create'),
                                              'PUT': ('import', 'confd.users.import.update')},
                        '/1.1/users/export': {'GET': ('export', 'confd.users.export.read')}}


class Profile:
    """The questions the server asks. Subclasses answer them all."""

    name = None             # what --version / EmulatorServer(version=) takes
    title = None            # for messages
    version = None          # (major, minor): the state files and the README's version column
    server_header = None    # the Server header of every answer

    def match(self, path):
        """({method: (handler, ACL template)}, path ids) of the route for `path`, or None."""
        raise NotImplementedError

    def acl(self, template, ids):
        """The ACL a token needs for a route, its path ids filled in."""
        raise NotImplementedError

    def importer(self, store, slow_rows=0.0):
        """An object whose run(rows, update) gives (entries, errors) in one transaction."""
        raise NotImplementedError

    def export(self, store, shuffle):
        """(columns, rows) of GET …/users/export."""
        raise NotImplementedError

    def wants_csv(self, accept):
        """Whether the export answers CSV for that Accept header."""
        raise NotImplementedError

    def make_server(self, **kwargs):
        """A server of this kind (EmulatorServer for confd 16.x, wazo.WazoServer for Wazo). A fleet
        or the command line hands every server the same options: each kind takes those its server
        has (`seed` is the 16.x seed, `wazo_seed` the Wazo one)."""
        raise NotImplementedError


class Confd16(Profile):
    """XiVO confd 16.x (flask-restful on CherryPy, xivo-auth beside it, no tenants)."""

    server_header = 'CherryPy/3.2.2'

    def __init__(self, text):
        major, minor = str(text).split('.')[:2]
        self.name = str(text)
        self.version = (int(major), int(minor))
        self.title = 'XiVO confd %s' % self.name
        v = self.version
        # -- import: parsing and validation texts
        self.dtmf_hangup_column = v >= (16, 9)         # the column exists (ignored before)
        self.entity_step = v >= (16, 12)               # entity_id is its own step after the user's
        self.unique_username = v >= (16, 12)           # "User already exists ('username': …)"
        self.association_clashes = v >= (16, 12)       # "User is associated with a Line", a SIP name on another line
        self.sip_schema = v >= (16, 13)                # marshmallow texts for sip_username/sip_secret
        self.user_schema = v >= (16, 14)               # marshmallow texts for the user fields
        self.post_keeps_uuid = v < (16, 14)            # a uuid column on POST is used (later: ignored)
        self.voicemail_schema = v >= (16, 15)          # marshmallow texts for the voicemail fields
        self.exten_pattern = v >= (16, 15)             # exten checked against the extension regex
        # -- lists
        self.limit_zero_refused = v >= (16, 15)        # limit=0 → 400
        self.users_search_enabled = v < (16, 15)       # search also looks in users.enabled
        # -- export
        self.export_columns = COLUMNS_1609 if v >= (16, 9) else COLUMNS_1608
        self.accept_csv_parameters = v >= (16, 9)      # werkzeug 0.11.11 matches 'text/csv; charset=utf-8'

    def make_server(self, **kwargs):
        from .server import EmulatorServer
        return EmulatorServer(version=self, **options_of(EmulatorServer, kwargs))

    def match(self, path):
        if path in IMPORT_EXPORT_ROUTES:
            return IMPORT_EXPORT_ROUTES[path], ()
        return api.match(path)

    def acl(self, template, ids):
        return api.acl(template, ids)

    def importer(self, store, slow_rows=0.0):
        return Importer(store, self, slow_rows)

    def export(self, store, shuffle):
        return export(store, self, shuffle)

    def wants_csv(self, accept):
        """flask-restful + werkzeug 0.11.11 (16.09+) or 0.9.6 negotiation for the export."""
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
            if self.accept_csv_parameters and kind == 'text' and sub == 'csv; charset=utf-8':
                return True
        return False


def accept_items(header):
    """[(media range without q, q)] of an Accept header, as werkzeug splits it."""
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


def options_of(server_class, options):
    """The options a server class's constructor takes."""
    import inspect
    accepted = inspect.signature(server_class.__init__).parameters
    return {key: value for key, value in options.items() if key in accepted}


def _wazo(text):
    from .wazo.profile import Wazo2608  # its own package: tenants, wazo-auth, another URL layout
    return Wazo2608(text)


# name prefix -> profile class; the first whose prefix the name starts with makes the profile
PROFILES = [('16.', Confd16), ('wazo-26.08', _wazo)]


def profile_named(text):
    """The Profile for --version TEXT ('16.15', '16.08', …)."""
    if isinstance(text, Profile):
        return text
    for prefix, cls in PROFILES:
        if str(text).startswith(prefix):
            return cls(text)
    raise ValueError('no emulator profile for version %r (known: %s)'
                     % (text, ', '.join(prefix + '*' for prefix, dummy in PROFILES)))

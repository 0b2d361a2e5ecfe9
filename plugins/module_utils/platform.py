# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform seam: what is specific to one kind of server, behind one interface.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

A ``Platform`` answers where and how to talk to a server (addresses, authentication, headers,
ACLs), what its users import reads and answers (columns, row rules, created entries, the order
that undoes a created user), and what the preflight needs to predict its refusals (the part of
the interface in ``PreflightFacts``). It is stateless and does no network I/O: the one API
client (``confd_client.ConfdClient``) takes a Platform and asks it. One module per implementation:
``platform_xivo`` (XiVO confd 16.15) and ``platform_wazo`` (Wazo Platform). Code elsewhere asks
the host's Platform; it never tests the platform's name.
"""

from __future__ import annotations

import re
from collections import namedtuple

# Where a server's APIs are: the confd API root (the URL its routes such as /users/import are
# appended to), the authentication API root (where /token is), and the two ports.
Endpoints = namedtuple('Endpoints', ('confd', 'auth', 'port', 'auth_port'))

# The users CSV columns of a platform: ``import_`` (what POST /users/import reads, in the
# order the rows are written), ``update`` (what an update by import reads; () when the
# platform has none), ``export`` (GET /users/export), and the sets of boolean, integer and
# secret columns.
Columns = namedtuple('Columns', ('import_', 'update', 'export', 'boolean', 'integer', 'secret'))

# One request that undoes part of a created user: ``api`` is 'confd' or 'auth' (the path is
# relative to that API's root); ``kind`` says what the step removes or detaches ('voicemail',
# 'incall', 'incall_extension', 'extension', 'line', 'sip' (an endpoint on no line), 'user',
# 'auth_user', or
# '<kind>.dissociate' for a link; 'sip.before_dissociate' for a link the server wants gone
# before a SIP endpoint is detached, done only when it is), ``ident`` the id of that object; ``removes``: True when the
# step deletes an object (it is then reported as removed), False for a link; ``parent``: the
# id of the incall or line the step belongs to (None for the others).
RemovalStep = namedtuple('RemovalStep', ('method', 'path', 'what', 'kind', 'ident', 'removes',
                                         'api', 'parent'))

# One request that changes part of an existing user, on a platform that has no update by
# import: ``api`` 'confd' or 'auth' (``path`` relative to that API's root), ``body`` (JSON,
# None for none), ``params`` (query string, None for none), ``columns`` (the CSV columns it
# changes), ``what`` (for messages), ``acl`` (what a refusal names), ``keep`` (fields of GET
# ``check`` copied into the body first: a route that replaces every field), ``check`` (the
# path read back to see whether the change is there when an answer was lost; None: it cannot
# be read back), ``expect`` ({field: value} the read-back shows once the change is made).
UpdateRequest = namedtuple('UpdateRequest', ('api', 'method', 'path', 'body', 'params', 'columns',
                                             'what', 'acl', 'keep', 'check', 'expect'))

# A problem adapting rows (Platform.adapt_rows): ``line`` of the row (None for the whole file),
# the column, a reason that quotes no secret, 'error' (the row fails) or 'warning'.
RowProblem = namedtuple('RowProblem', ('line', 'column', 'reason', 'severity'))

NAMES = ('xivo', 'wazo')
CHOICES = ('auto',) + NAMES
UUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
# The path Wazo 20.07 and later serve the APIs under (nginx on 443): /api/confd, /api/auth.
PROXY_PREFIX = '/api'


class PreflightFacts:
    """The part of the interface the preflight asks (preflight, preflight_view,
    preflight_reads): the fields of the server's lists, which protocols make a line or a SIP
    endpoint, how its messages quote a string, its tenants, and what it does in the cases the
    preflight predicts. Each platform's answers are a subclass of its own, mixed into its
    Platform."""

    line_protocols = ()         # the line_protocol values that make a line
    sip_protocols = ()          # those of them that make a SIP endpoint
    sip_name_field = None       # the field of a /endpoints/sip item holding the SIP name
    # Fields of a /extensions and of a /endpoints/sip list item that name no holder: any other
    # field with a value names what holds the object (a group, an incall, a trunk...).
    extension_fields = frozenset()
    endpoint_fields = frozenset()
    incall_number_taken = ''    # what the server does with an incall number already in use
    # Lists whose keys the server keeps unique across its tenants, with the query that lists
    # every tenant the credentials see (read in their own tenant); {} without tenants.
    tenant_wide_reads = {}
    # A row whose protocol makes a SIP endpoint gets one even when it has no line (no context).
    endpoint_without_line = False
    # A call permission named twice in a row is refused (else associated once).
    repeated_call_permission_refused = False

    def quote(self, value):
        """A CSV string as the server's messages quote it."""
        raise NotImplementedError

    def tenant_scope(self, tenants):
        """(the credentials' own tenant, whether they see every tenant of the server), from
        the authentication service's tenants list as they read it (a platform with
        tenant_wide_reads)."""
        raise NotImplementedError

    def foreign_refusal(self, item, tenant):
        """The server's refusal of a row in ``tenant`` naming ``item`` (a tenant-wide list item,
        e.g. a SIP endpoint) of another tenant, or None."""
        raise NotImplementedError


class Platform(PreflightFacts):
    """The interface every platform implements (see the module's docstring); what the
    preflight asks is in :class:`PreflightFacts`."""

    name = None                 # the value of the ``platform`` option: 'xivo' | 'wazo'
    title = None                # for messages: 'XiVO confd 16.15'
    auth_methods = ('token',)   # the values of ``auth_method`` the platform accepts
    has_tenants = False         # requests act in a tenant (the ``tenant`` option applies)
    auth_name = 'auth'          # the authentication service, for messages
    credentials_hint = ''       # what to check when the token request is refused
    ports_hint = ''             # where the services listen, for a message on a wrong port
    export_accept = 'application/json'  # the exact Accept value of the JSON export
    update_by_import = False    # PUT /users/import updates users (else update_requests)
    # Secret columns the server never shows (so never compared): with update_password, a
    # row that holds one sets it again on every run.
    unreadable_secrets = ()
    # The export's columns whose 0 it writes as an empty cell (compared as 0).
    zero_exported_empty = frozenset()
    # {column: {value sent: value the export shows}}: a value the export writes otherwise is
    # compared as the export writes it (else every update run would change it again).
    exported_as = {}
    # What an update that changes a name leaves as it was, for a warning ('' when nothing).
    name_not_refreshed = ''
    columns = None              # a Columns
    renames_shared_voicemail = True     # a voicemail an import shares is renamed after the user
    # The identity columns GET /users/<uuid> shows as the import wrote them (a rollback
    # compares them with what the run created).
    item_identity = ('firstname', 'lastname', 'username', 'email')
    adapt_reads = ()            # the lists (e.g. 'contexts') adapt_rows needs in server_facts
    reads_accounts = False      # identity_view wants the authentication service's users

    # -- where and how ----------------------------------------------------------------------

    def endpoints(self, host, port=None, auth_port=None, prefix=None):
        """The Endpoints of ``host``; None for a value means the platform's default for it.
        ``prefix``: the path a reverse proxy serves the APIs under (e.g. '/api': confd under
        '/api/confd', auth under '/api/auth'), '' for the services' own ports."""
        raise NotImplementedError

    def token_request(self, backend, expiration):
        """The JSON body of POST <auth>/token (sent with HTTP Basic credentials)."""
        raise NotImplementedError

    def headers(self, token, tenant=None):
        """The headers that authenticate a request with ``token`` (None: no token, as with
        Digest) in ``tenant`` (a uuid; None: the token's own)."""
        raise NotImplementedError

    def acl(self, purpose, **ids):
        """The ACL a request needs, for messages: ``purpose`` is 'export', 'import', 'update',
        'infos', 'users.read', 'callpermission.create', 'callpermission.read',
        'callpermission.delete' (id=), 'tenants.read', 'auth_user.delete' (uuid=), or a
        method ('GET', 'DELETE', ...) with path= (a route, relative to the API root) and
        service= ('confd' by default; 'auth' for the authentication service)."""
        raise NotImplementedError

    def find_tenant(self, tenants, wanted):
        """The tenants of an authentication service's tenant list (``items``) that
        ``wanted`` (a name or a slug) names; only for a platform that has tenants."""
        raise NotImplementedError

    def access_hint(self):
        """What to check when a token is refused: the ACLs an import needs, in a sentence."""
        raise NotImplementedError

    # -- users import and export ------------------------------------------------------------

    def validate_row(self, row):
        """The confd_rules.Problem list of one row (a dict of column -> text), in the order
        the server checks them."""
        raise NotImplementedError

    def created_ids(self, entry):
        """One entry of the import's ``created`` list, normalised: the server's keys but
        ``row_number``, plus ``endpoint_kind`` ('sip' | 'sccp' | None) and ``endpoint_id``."""
        raise NotImplementedError

    def removal_steps(self, user, ids=None):
        """The RemovalStep list that undoes ``user`` (its GET /users/<uuid> body), in the
        order the server accepts; ``ids``: what the import answered when it created it (None
        when unknown). Every step of what the user holds is listed: the caller keeps what is
        shared or existed before."""
        raise NotImplementedError

    def update_refusals(self, changes):
        """[(column, reason)]: the columns of ``changes`` (CSV columns whose value differs
        from the server's) that this platform cannot change on an existing user."""
        raise NotImplementedError

    def update_requests(self, uuid, values, changes):
        """The UpdateRequest list that changes the ``changes`` columns of user ``uuid`` to
        ``values`` (the row), in the order they are sent; [] when update_by_import (the
        users import route takes the rows)."""
        raise NotImplementedError

    def update_applied(self, request, current):
        """Whether ``current`` (the JSON body of GET ``request.check``) shows the change of
        ``request`` made: True, False, or None when it cannot tell."""
        raise NotImplementedError

    def adapt_rows(self, header, rows, server_facts):
        """(header, rows, problems): the platform-neutral confd 16.x rows made into what this
        server reads, per host; problems name line, column and reason."""
        raise NotImplementedError

    # -- identity: what makes a row another person's on this server ---------------------------

    def identity_view(self, users, accounts=None):
        """What identity_conflicts compares rows with, made once per plan: ``users`` (the
        export's rows) and ``accounts`` (the authentication service's users of every tenant,
        when they could be read; None otherwise)."""
        raise NotImplementedError

    def accounts(self, items):
        """The authentication service's users list items (GET <auth>/users) as the accounts
        identity_view takes."""
        raise NotImplementedError

    def identity_conflicts(self, values, user, view):
        """[(reason, server users)]: why a row (``values``) matched to ``user`` (None: a new
        user) is another person's, beyond the keys every platform compares
        (user_identity.match_row)."""
        raise NotImplementedError

    def identity_warnings(self, view):
        """What the identity checks could not see, for warnings ([] when nothing)."""
        raise NotImplementedError

    def __repr__(self):
        return '<Platform %s>' % self.name


# -- helpers of adapt_rows: rows are dicts, or SourceRow-like objects (values, line, problem) -----

def row_values(row):
    """The cells of a row given as a dict or as a SourceRow-like object."""
    return row.values if hasattr(row, 'values') and not isinstance(row, dict) else row


def line_of(row, position):
    """The line a row is named by: its own, else its position."""
    return getattr(row, 'line', None) or position


def with_values(row, values, problem=None, column=None):
    """A copy of ``row`` (a SourceRow-like object or a dict) with these values, never the row
    itself (a fleet shares the rows); a SourceRow-like row that cannot be adapted carries the
    problem and its column (the plan fails it)."""
    if isinstance(row, dict):
        return values
    copy = type(row).__new__(type(row))
    for slot in getattr(type(row), '__slots__', ()):
        setattr(copy, slot, getattr(row, slot, None))
    copy.values = values
    if problem is not None and not getattr(copy, 'problem', None):
        copy.problem = problem
        if hasattr(copy, 'problem_column'):
            copy.problem_column = column
    return copy


def drop_columns(header, rows, columns, why):
    """(header, rows, warnings) without ``columns``: each one present is said once, with how
    many rows had a value in it (``why``: the column -> why the server does not read it)."""
    present = [c for c in header if c in columns]
    if not present:
        return header, rows, []
    counts = dict((column, 0) for column in present)
    adapted = []
    for row in rows:
        values = row_values(row)
        for column in present:
            if values.get(column):
                counts[column] += 1
        adapted.append(with_values(row, dict(
            (c, v) for c, v in values.items() if c not in columns)))
    warnings = [RowProblem(None, column, '%s: %d rows had a value, not imported: %s' % (
        column, counts[column], why(column)), 'warning') for column in present if counts[column]]
    return [c for c in header if c not in columns], adapted, warnings


def platform_named(name):
    """The Platform called ``name`` ('xivo' or 'wazo'; a Platform is returned as it is)."""
    if isinstance(name, Platform):
        return name
    # Imported here: the implementations import modules that import this one.
    if name == 'xivo':
        from ansible_collections.xivo.confd.plugins.module_utils.platform_xivo import XIVO
        return XIVO
    if name == 'wazo':
        from ansible_collections.xivo.confd.plugins.module_utils.platform_wazo import WAZO
        return WAZO
    raise ValueError('unknown platform %r: expected one of %s' % (name, ', '.join(CHOICES)))


def normal_prefix(prefix):
    """An api_prefix as '/a/b', '' for none ('' and '/' both mean none), None when unset."""
    if prefix is None:
        return None
    prefix = prefix.strip().strip('/')
    return '/' + prefix if prefix else ''


def probe_layouts(port=None, prefix=None):
    """Where platform ``auto`` looks for confd, in order, as (platform, port, prefix): the
    port and prefix given first, each with both layouts when only one of them is given;
    without either, XiVO's and early Wazo's HTTPS 9486 (no prefix), then nginx on 443 under
    /api (Wazo 20.07 and later). ``platform`` is what the layout says before the server
    answers (None: it cannot tell)."""
    prefix = normal_prefix(prefix)
    if prefix is not None:
        return [(None if not prefix else 'wazo', port, prefix)]
    if port is not None:
        return [(None, port, ''), ('wazo', port, PROXY_PREFIX)]
    return [(None, 9486, ''), ('wazo', 443, PROXY_PREFIX)]


def guess_from_refusal(layout_platform, headers):
    """The platform that refused a request without credentials (before /infos can be read):
    confd 16.x falls back to HTTP Digest, so its 401 carries a Digest challenge; Wazo's confd
    takes tokens only (it dropped Digest in 18.14-19.07)."""
    challenge = str((headers or {}).get('WWW-Authenticate') or '').lower()
    if 'digest' in challenge:
        return 'xivo'
    return layout_platform or 'wazo'


def probe(infos_body):
    """The platform a GET <confd>/infos answer (its JSON body) comes from: Wazo answers a
    ``wazo_version`` (every Wazo release since 17.01 does); XiVO 16.x answers its uuid only."""
    if isinstance(infos_body, dict) and infos_body.get('wazo_version'):
        return 'wazo'
    return 'xivo'

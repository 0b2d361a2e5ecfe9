"""GET /1.1/<collection>: the shared list code path of confd 16.15 (docs/server-behaviour.md#list-routes),
i.e. flask ListResource.search_params + xivo-dao SearchSystem, and the per-route columns
(docs/server-behaviour.md#list-route-fields, xivo-dao resources/*/search.py @ xivo-16.15).

Order of the checks, as the source runs them: limit/skip/offset must be digits (in query order),
the users view, limit >= 1, direction, then the order column. `search` is ILIKE '%term%' over the
route's search columns (so % and _ in the term are wildcards); a parameter named like a column is
an exact filter (SQL =); any other parameter is ignored.
"""
import re

from . import items as it
from .csvparse import Unexpected
from .py2 import py2_repr


class ListError(Exception):
    """400 ["<message>"]."""


class Config:
    """columns: name -> function(db, rec) giving the SQL value; search: names ILIKE looks in
    (default: all); insensitive: columns compared case-insensitively (users' email); typed:
    name -> (INTEGER or BOOLEAN, its SQL expression) for the columns that are not text, whose
    filter value PostgreSQL must cast (sql_table names the table in the statement of that error)."""

    def __init__(self, table, columns, default_sort, item, search=None, insensitive=(), typed=None, sql_table=None):
        self.table, self.columns, self.default_sort, self.item = table, columns, default_sort, item
        self.search = search or list(columns)
        self.insensitive = set(insensitive)
        self.typed = typed or {}
        self.sql_table = sql_table or table


def _field(name):
    return lambda db, rec: rec.get(name)


def _fields(*names):
    return {n: _field(n) for n in names}


def wrong_type(key):
    return "Input Error - field '%s': wrong type. Should be a positive number" % key


def numbers(params):
    """ListResource.search_params: the first non-digit limit/skip/offset fails."""
    for key, value in params.items():
        if key in ('limit', 'skip', 'offset') and not value.isdigit():
            raise ListError(wrong_type(key))


def _sql_text(value):
    """CAST(column AS VARCHAR) in PostgreSQL."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def like(term):
    """A compiled ILIKE '%term%' (backslash escapes, % any run, _ one character)."""
    out, i = [], 0
    while i < len(term):
        ch = term[i]
        if ch == '\\' and i + 1 < len(term):
            out.append(re.escape(term[i + 1]))
            i += 2
            continue
        out.append('.*' if ch == '%' else '.' if ch == '_' else re.escape(ch))
        i += 1
    return re.compile('.*%s.*' % ''.join(out), re.S | re.I)


INTEGER, BOOLEAN = 'integer', 'boolean'
INT4_RANGE = (-2 ** 31, 2 ** 31 - 1)


def pg_integer(text):
    """int4in: blanks around, a sign, ASCII digits; None when PostgreSQL refuses it, or
    OverflowError outside int4."""
    found = re.fullmatch(r'[ \t\n\r\f\v]*([+-]?[0-9]+)[ \t\n\r\f\v]*', text)
    if not found:
        return None
    value = int(found.group(1))
    if not INT4_RANGE[0] <= value <= INT4_RANGE[1]:
        raise OverflowError(text)
    return value


def pg_boolean(text):
    """boolin: blanks around; any prefix of true/false/yes/no, on, of/off, 1, 0; any case."""
    word = text.strip(' \t\n\r\f\v').lower()
    if word in ('1', '0'):
        return word == '1'
    for full, value, shortest in (('true', True, 1), ('false', False, 1), ('yes', True, 1), ('no', False, 1),
                                  ('on', True, 2), ('off', False, 2)):
        if len(word) >= shortest and full.startswith(word):
            return value
    return None


def cast_filters(config, filters):
    """{column: value as PostgreSQL reads the literal} for the typed columns filtered on. A value
    it cannot cast fails the query before any row is read: confd's 500 with SQLAlchemy's DataError
    (observed on 16.15 with PostgreSQL 15: `contexts?id=abc`). The message's first line is the
    observed one; the statement and parameters after it are an approximation."""
    cast = {}
    for name, wanted in filters:
        if name not in config.typed:
            continue
        kind, sql = config.typed[name]
        try:
            value = pg_integer(wanted) if kind == INTEGER else pg_boolean(wanted)
        except OverflowError:
            problem = '(NumericValueOutOfRange) value "%s" is out of range for type integer' % wanted
        else:
            if value is not None:
                cast[name] = value
                continue
            problem = '(InvalidTextRepresentation) invalid input syntax for type %s: "%s"' % (kind, wanted)
        raise Unexpected("%s\n 'SELECT %s.* FROM %s WHERE %s = %%(param_1)s' {'param_1': %s}"
                         % (problem, config.sql_table, config.sql_table, sql, py2_repr(wanted)))
    return cast


def _ilike(pattern, value):
    text = _sql_text(value)
    return text is not None and pattern.fullmatch(text) is not None


def _equal(have, wanted, insensitive, cast):
    """column = 'value' (NULL matches nothing); `cast`: the value of a typed column, read."""
    if have is None:
        return False
    if cast is not None:
        return (have if isinstance(have, bool) else int(have)) == cast
    if insensitive:
        return str(have).lower() == wanted.lower()
    return str(have) == wanted


def _sort_key(value):
    # PostgreSQL: NULLs last ascending (first descending); collation roughly ignores case
    if value is None:
        return (1, 0, '')
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, '')
    return (0, 0, _sql_text(value).lower())


def search(db, config, params, profile=None, rows=None, check_view=None):
    """Return (total, [records]) for the page asked, or raise ListError."""
    numbers(params)
    if check_view:
        check_view()
    limit = int(params['limit']) if 'limit' in params else None
    offset = int(params['skip']) if 'skip' in params else int(params.get('offset', 0))
    if limit is not None and limit <= 0 and (profile is None or profile.limit_zero_refused):
        raise ListError(wrong_type('limit'))
    direction = params.get('direction', 'asc')
    if direction not in ('asc', 'desc'):
        raise ListError("Input Error - direction: must be 'asc' or 'desc'")
    order = params.get('order') or config.default_sort
    if order not in config.columns:
        raise ListError("Input Error - order: column '%s' was not found" % order)
    term = params.get('search')
    pattern = like(term) if term else None
    filters = [(k, v) for k, v in params.items() if k in config.columns]
    cast = cast_filters(config, filters)
    matched = []
    for rec in (rows if rows is not None else db.tables[config.table].rows.values()):
        if not all(_equal(config.columns[k](db, rec), v, k in config.insensitive, cast.get(k)) for k, v in filters):
            continue
        if pattern and not any(_ilike(pattern, config.columns[c](db, rec)) for c in config.search):
            continue
        matched.append(rec)
    matched.sort(key=lambda rec: _sort_key(config.columns[order](db, rec)), reverse=(direction == 'desc'))
    page = matched[offset:offset + limit] if limit is not None else matched[offset:]
    return len(matched), page


def answer(db, config, params, base, profile=None, **kw):
    """profile None: the 16.15 rules (routes that are the same in every profile)."""
    total, page = search(db, config, params, profile, **kw)
    return {'items': [config.item(db, rec, base) for rec in page], 'total': total}


# ---------------------------------------------------------------------------- per route
CONTEXTS = Config('contexts', _fields('id', 'description', 'name', 'type'), 'id', it.context_item,
                  typed={'id': (INTEGER, 'context.id')}, sql_table='context')
ENTITIES = Config('entities', _fields('id', 'name', 'display_name', 'description'), 'name', it.entity_item,
                  typed={'id': (INTEGER, 'entity.id')}, sql_table='entity')
CALL_PERMISSIONS = Config('call_permissions', _fields('id', 'name', 'description', 'enabled', 'mode'), 'name',
                          it.call_permission_item, sql_table='rightcall',
                          typed={'id': (INTEGER, 'rightcall.id'),
                                 'enabled': (BOOLEAN, 'NOT CAST(rightcall.commented AS BOOLEAN)')})
EXTENSIONS = Config('extensions', _fields('exten', 'context'), 'exten', it.extension_item)
INCALLS = Config('incalls', dict(_fields('id', 'user_id'), preprocess_subroutine=lambda db, rec: None,
                                 description=lambda db, rec: None), 'id', it.incall_item, sql_table='incall',
                 typed={'id': (INTEGER, 'incall.id'),
                        'user_id': (INTEGER, '(SELECT CAST(dialaction.actionarg1 AS INTEGER) FROM dialaction '
                                             "WHERE dialaction.action = 'user' AND dialaction.category = 'incall' "
                                             'AND dialaction.categoryval = CAST(incall.id AS VARCHAR))')})
VOICEMAILS = Config('voicemails', dict(_fields('name', 'number', 'email', 'context', 'language', 'pager'),
                                       timezone=_field('timezone')),
                    'number', it.voicemail_item, search=['name', 'number', 'email', 'pager'])
ENDPOINTS_SIP = Config('sip', {'username': _field('username'), 'type': lambda db, rec: 'friend',
                               'host': lambda db, rec: 'dynamic'}, 'username', it.sip_item)
LINES = Config('lines', {'context': _field('context'), 'provisioning_code': _field('provisioning_code'),
                         'provisioning_extension': _field('provisioning_code'), 'position': lambda db, rec: 1,
                         'device_slot': lambda db, rec: 1, 'protocol': _field('protocol'),
                         'device_id': lambda db, rec: None, 'name': it.line_name},
               'name', it.line_item, sql_table='linefeatures',
               typed={'provisioning_code': (INTEGER, 'linefeatures.provisioningid'),
                      'provisioning_extension': (INTEGER, 'linefeatures.provisioningid'),
                      'position': (INTEGER, 'linefeatures.num'), 'device_slot': (INTEGER, 'linefeatures.num')})


def cti_profiles(db, params, base):
    """CtiProfileService.search ignores the parameters (after the digit check of limit/offset)."""
    numbers(params)
    rows = sorted(db.cti_profiles.rows.values(), key=lambda r: r['id'])
    return {'items': [it.cti_profile_item(db, r, base) for r in rows], 'total': len(rows)}


def extensions(db, params, base):
    """type=<context type> joins the contexts (so an extension of no context never matches)."""
    rows = None
    if 'type' in params:
        rows = [e for e in db.extensions.rows.values()
                if (db.contexts.find_one('name', e['context']) or {}).get('type') == params['type']]
    return answer(db, EXTENSIONS, params, base, rows=rows)


# users: the main line, its main extension, voicemail and entity are outer-joined (user/search.py)
def _main_ext(db, user):
    line = it.main_line(db, user)
    return it.line_extension(db, line) if line else None


def _via_main_ext(key):
    return lambda db, user: (_main_ext(db, user) or {}).get(key)


def _lastname(db, user):
    """UserFeatures.lastname is NULLIF(lastname, ''): no last name is NULL (sorted last ascending)."""
    return user.get('lastname') or None


def _fullname(db, user):
    """firstname || ' ' || NULLIF(lastname, ''): NULL without a last name."""
    lastname = _lastname(db, user)
    return '%s %s' % (user.get('firstname') or '', lastname) if lastname else None


USER_COLUMNS = dict(
    _fields('id', 'uuid', 'firstname', 'description', 'userfield', 'email', 'mobile_phone_number', 'music_on_hold',
            'outgoing_caller_id', 'preprocess_subroutine', 'enabled'),
    lastname=_lastname, fullname=_fullname, caller_id=_field('caller_id'),
    entity=lambda db, user: (db.entities.get(user.get('entity_id')) or {}).get('name'),
    voicemail_number=lambda db, user: (db.voicemails.get(user.get('voicemail_id')) or {}).get('number'),
    provisioning_code=lambda db, user: (it.main_line(db, user) or {}).get('provisioning_code'),
    exten=_via_main_ext('exten'), extension=_via_main_ext('exten'), context=_via_main_ext('context'))
USER_TYPED = {'id': (INTEGER, 'userfeatures.id'),
              'enabled': (BOOLEAN, 'NOT CAST(userfeatures.commented AS BOOLEAN)'),
              'provisioning_code': (INTEGER, 'linefeatures.provisioningid')}
USER_SEARCH = ['fullname', 'caller_id', 'description', 'userfield', 'email', 'mobile_phone_number',
               'music_on_hold', 'preprocess_subroutine', 'outgoing_caller_id', 'exten', 'provisioning_code']


def users(db, profile, params, base):
    view = params.get('view')

    def check_view():
        if view is not None and view not in ('directory', 'summary'):
            raise ListError("Input Error - view '%s' does not exist" % view)
    search_cols = USER_SEARCH + (['enabled'] if profile.users_search_enabled else [])
    config = Config('users', USER_COLUMNS, 'lastname', it.USER_VIEWS.get(view, it.user_item),
                    search=search_cols, insensitive=['email'], typed=USER_TYPED, sql_table='userfeatures')
    return answer(db, config, params, base, profile, check_view=check_view)

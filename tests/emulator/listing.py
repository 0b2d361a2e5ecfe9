"""GET /1.1/<collection>: the shared list code path of confd 16.15 (§13.1), i.e. flask
ListResource.search_params + xivo-dao SearchSystem, and the per-route columns (§13.2, xivo-dao
resources/*/search.py @ xivo-16.15).

Order of the checks, as the source runs them: limit/skip/offset must be digits (in query order),
the users view, limit >= 1, direction, then the order column. `search` is ILIKE '%term%' over the
route's search columns (so % and _ in the term are wildcards); a parameter named like a column is
an exact filter (SQL =); any other parameter is ignored.
"""
import re

from . import items as it


class ListError(Exception):
    """400 ["<message>"]."""


class Config:
    """columns: name -> function(db, rec) giving the SQL value; search: names ILIKE looks in
    (default: all); insensitive: columns compared case-insensitively (users' email)."""

    def __init__(self, table, columns, default_sort, item, search=None, insensitive=()):
        self.table, self.columns, self.default_sort, self.item = table, columns, default_sort, item
        self.search = search or list(columns)
        self.insensitive = set(insensitive)


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


BOOL_WORDS = {'true': True, 't': True, 'yes': True, 'y': True, 'on': True, '1': True,
              'false': False, 'f': False, 'no': False, 'n': False, 'off': False, '0': False}


def _ilike(pattern, value):
    text = _sql_text(value)
    return text is not None and pattern.fullmatch(text) is not None


def _equal(have, wanted, insensitive):
    """column = 'value' (NULL matches nothing; a value the column type cannot take, nothing)."""
    if have is None:
        return False
    if isinstance(have, bool):
        return BOOL_WORDS.get(wanted.strip().lower()) is have
    if isinstance(have, int):
        return wanted.strip().lstrip('+-').isdigit() and int(wanted) == have
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
    matched = []
    for rec in (rows if rows is not None else db.tables[config.table].rows.values()):
        if not all(_equal(config.columns[k](db, rec), v, k in config.insensitive) for k, v in filters):
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
CONTEXTS = Config('contexts', _fields('id', 'description', 'name', 'type'), 'id', it.context_item)
ENTITIES = Config('entities', _fields('id', 'name', 'display_name', 'description'), 'name', it.entity_item)
CALL_PERMISSIONS = Config('call_permissions', _fields('id', 'name', 'description', 'enabled', 'mode'), 'name',
                          it.call_permission_item)
EXTENSIONS = Config('extensions', _fields('exten', 'context'), 'exten', it.extension_item)
INCALLS = Config('incalls', dict(_fields('id', 'user_id'), preprocess_subroutine=lambda db, rec: None,
                                 description=lambda db, rec: None), 'id', it.incall_item)
VOICEMAILS = Config('voicemails', dict(_fields('name', 'number', 'email', 'context', 'language', 'pager'),
                                       timezone=_field('timezone')),
                    'number', it.voicemail_item, search=['name', 'number', 'email', 'pager'])
ENDPOINTS_SIP = Config('sip', {'username': _field('username'), 'type': lambda db, rec: 'friend',
                               'host': lambda db, rec: 'dynamic'}, 'username', it.sip_item)
LINES = Config('lines', {'context': _field('context'), 'provisioning_code': _field('provisioning_code'),
                         'provisioning_extension': _field('provisioning_code'), 'position': lambda db, rec: 1,
                         'device_slot': lambda db, rec: 1, 'protocol': _field('protocol'),
                         'device_id': lambda db, rec: None, 'name': it.line_name},
               'name', it.line_item)


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


def _fullname(db, user):
    return ' '.join(p for p in (user.get('firstname'), user.get('lastname')) if p)


USER_COLUMNS = dict(
    _fields('id', 'uuid', 'firstname', 'description', 'userfield', 'email', 'mobile_phone_number', 'music_on_hold',
            'outgoing_caller_id', 'preprocess_subroutine', 'enabled'),
    lastname=lambda db, user: user.get('lastname') or '',  # stored '' when empty: sorts first
    fullname=_fullname, caller_id=_field('caller_id'),
    entity=lambda db, user: (db.entities.get(user.get('entity_id')) or {}).get('name'),
    voicemail_number=lambda db, user: (db.voicemails.get(user.get('voicemail_id')) or {}).get('number'),
    provisioning_code=lambda db, user: (it.main_line(db, user) or {}).get('provisioning_code'),
    exten=_via_main_ext('exten'), extension=_via_main_ext('exten'), context=_via_main_ext('context'))
USER_SEARCH = ['fullname', 'caller_id', 'description', 'userfield', 'email', 'mobile_phone_number',
               'music_on_hold', 'preprocess_subroutine', 'outgoing_caller_id', 'exten', 'provisioning_code']


def users(db, profile, params, base):
    view = params.get('view')

    def check_view():
        if view is not None and view not in ('directory', 'summary'):
            raise ListError("Input Error - view '%s' does not exist" % view)
    search_cols = USER_SEARCH + (['enabled'] if profile.users_search_enabled else [])
    config = Config('users', USER_COLUMNS, 'lastname', it.USER_VIEWS.get(view, it.user_item),
                    search=search_cols, insensitive=['email'])
    return answer(db, config, params, base, profile, check_view=check_view)

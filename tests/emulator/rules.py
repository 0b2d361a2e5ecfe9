"""CSV columns → typed entry groups, and the field validations with their per-version texts.

The profile (profiles.Confd16) says which texts apply: 16.14+ user fields (and 16.13+ SIP,
16.15 voicemail and exten) use marshmallow-style messages `{'field': [u'...']}`; 16.08 uses xivo-dao `Input Error`
texts. Where the reference gives no 16.08 text the emulator uses a plausible one (README).
"""
import re

from .csvparse import Unexpected
from .py2 import B, marshmallow, metadata, py2_repr


class RowError(Exception):
    """A ServiceError: one entry in the 400 body for this row (a 400 on the other routes)."""


class NotFoundError(RowError):
    """xivo-dao's NotFoundError: a row error in an import, a 404 on the other routes."""


STR, BOOL, INT, LIST = 'str', 'bool', 'int', 'list'

# (column, group, field, kind) in the order the row is parsed
COLUMNS = [
    ('uuid', 'user', 'uuid', STR),
    ('firstname', 'user', 'firstname', STR),
    ('lastname', 'user', 'lastname', STR),
    ('email', 'user', 'email', STR),
    ('username', 'user', 'username', STR),
    ('password', 'user', 'password', STR),
    ('language', 'user', 'language', STR),
    ('outgoing_caller_id', 'user', 'outgoing_caller_id', STR),
    ('mobile_phone_number', 'user', 'mobile_phone_number', STR),
    ('call_permission_password', 'user', 'call_permission_password', STR),
    ('userfield', 'user', 'userfield', STR),
    ('enabled', 'user', 'enabled', BOOL),
    ('supervision_enabled', 'user', 'supervision_enabled', BOOL),
    ('call_transfer_enabled', 'user', 'call_transfer_enabled', BOOL),
    ('dtmf_hangup_enabled', 'user', 'dtmf_hangup_enabled', BOOL),
    ('call_record_enabled', 'user', 'call_record_enabled', BOOL),
    ('online_call_record_enabled', 'user', 'online_call_record_enabled', BOOL),
    ('ring_seconds', 'user', 'ring_seconds', INT),
    ('simultaneous_calls', 'user', 'simultaneous_calls', INT),
    ('entity_id', 'entity', 'entity_id', INT),
    ('voicemail_name', 'voicemail', 'name', STR),
    ('voicemail_number', 'voicemail', 'number', STR),
    ('voicemail_context', 'voicemail', 'context', STR),
    ('voicemail_password', 'voicemail', 'password', STR),
    ('voicemail_email', 'voicemail', 'email', STR),
    ('voicemail_attach_audio', 'voicemail', 'attach_audio', BOOL),
    ('voicemail_delete_messages', 'voicemail', 'delete_messages', BOOL),
    ('voicemail_ask_password', 'voicemail', 'ask_password', BOOL),
    ('line_protocol', 'line', 'endpoint', STR),
    ('context', 'line', 'context', STR),
    ('sip_username', 'sip', 'username', STR),
    ('sip_secret', 'sip', 'secret', STR),
    ('exten', 'extension', 'exten', STR),
    ('incall_exten', 'incall', 'exten', STR),
    ('incall_context', 'incall', 'context', STR),
    ('incall_ring_seconds', 'incall', 'ring_seconds', INT),
    ('cti_profile_name', 'cti_profile', 'name', STR),
    ('cti_profile_enabled', 'cti_profile', 'enabled', BOOL),
    ('call_permissions', 'call_permissions', 'names', LIST),
]


def parse_row(row, profile):
    """Typed groups from a raw row; only columns of the header appear (absent = untouched)."""
    groups = {g: {} for g in ('user', 'entity', 'voicemail', 'line', 'sip', 'extension',
                              'incall', 'cti_profile', 'call_permissions')}
    for column, group, field, kind in COLUMNS:
        if column not in row:
            continue
        if column == 'dtmf_hangup_enabled' and not profile.dtmf_hangup_column:
            continue
        value = row[column]
        if kind == STR:
            parsed = value if value else None
        elif kind == BOOL:
            if value == '':
                parsed = None
            elif value in ('0', '1'):
                parsed = value == '1'
            else:  # also None (short row): the rule raises
                raise RowError("Input Error - '%s' must be one of (0, 1)" % column)
        elif kind == INT:
            if value is None:
                raise Unexpected("'NoneType' object has no attribute 'isdigit'")
            if value == '':
                parsed = None
            elif value.isdigit():
                parsed = int(value)
            else:
                raise RowError("Input Error - field '%s': wrong type. Should be a integer" % column)
        else:
            if value is None:
                raise Unexpected("'NoneType' object has no attribute 'split'")
            parsed = value.split(';') if value else []
        groups[group][field] = parsed
    if not profile.entity_step and 'entity_id' in groups['entity']:
        groups['user']['entity_id'] = groups['entity'].pop('entity_id')
    return groups


USER_REGEX_1415 = {
    'mobile_phone_number': r'^\+?[0-9\*#]+$',
    'username': r"^[a-zA-Z0-9-\._~\!\$&\'\(\)\*\+,;=%@]{2,254}$",
    'password': r"^[a-zA-Z0-9-\._~\!\$&\'\(\)\*\+,;=%]{4,64}$",
    'language': r'^[a-z]{2}_[A-Z]{2}$',
    'call_permission_password': r'^[0-9#\*]{1,16}$',
}
USER_REGEX_1608 = dict(USER_REGEX_1415, username=r"^[a-zA-Z0-9-\._~\!\$&\'\(\)\*\+,;=%]+$",
                       password=r"^[a-zA-Z0-9-\._~\!\$&\'\(\)\*\+,;=%]+$")
USER_MAXLEN = {'firstname': 128, 'lastname': 128, 'userfield': 128, 'email': 254,
               'outgoing_caller_id': 80, 'mobile_phone_number': 80}
USER_FIELDS_ORDER = ['firstname', 'lastname', 'email', 'timezone', 'language', 'description',
                     'outgoing_caller_id', 'mobile_phone_number', 'username', 'password',
                     'music_on_hold', 'preprocess_subroutine', 'userfield',
                     'call_transfer_enabled', 'dtmf_hangup_enabled', 'call_record_enabled',
                     'online_call_record_enabled', 'supervision_enabled', 'ring_seconds',
                     'simultaneous_calls', 'call_permission_password', 'enabled']
RANGES = {'ring_seconds': (0, 60), 'simultaneous_calls': (1, 20)}
BOOL_FIELDS = {'enabled', 'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
               'call_record_enabled', 'online_call_record_enabled'}


def _match(regex, value):
    return re.match(regex, value) is not None


def validate_user(fields, profile, update=False):
    """Raise RowError for the first failing rule of the user group."""
    if profile.user_schema:
        errors = {}
        if 'firstname' not in fields and not update:
            errors['firstname'] = ['Missing data for required field.']
        for name in USER_FIELDS_ORDER:
            if name not in fields:
                continue
            value = fields[name]
            if value is None:
                if name == 'firstname' or (update and name in BOOL_FIELDS):
                    errors[name] = ['Field may not be null.']
                elif update and name in RANGES:
                    errors[name] = ['Must be between %d and %d.' % RANGES[name]]
                continue
            if name in USER_MAXLEN and len(value) > USER_MAXLEN[name]:
                errors[name] = ['Longer than maximum length %d.' % USER_MAXLEN[name]]
            elif name in USER_REGEX_1415 and not _match(USER_REGEX_1415[name], value):
                errors[name] = ['String does not match expected pattern.']
            elif name in RANGES and not RANGES[name][0] <= value <= RANGES[name][1]:
                errors[name] = ['Must be between %d and %d.' % RANGES[name]]
        if errors:
            raise RowError(marshmallow(errors))
        return
    if fields.get('firstname') is None and ('firstname' in fields or not update):
        raise RowError('Input Error - missing parameters: firstname')
    for name in USER_FIELDS_ORDER:
        value = fields.get(name)
        if value is None:
            continue
        if name in USER_REGEX_1608 and not _match(USER_REGEX_1608[name], value):
            raise RowError("Input Error - field '%s': wrong type. Should be a string matching regex '%s'"
                           % (name, USER_REGEX_1608[name]))
        if name == 'ring_seconds' and (value > 60 or value % 5):
            raise RowError('Input Error - ring_seconds is outside of range %s'
                           % metadata([('min', 0), ('max', 60), ('step', 5)]))
        if name == 'simultaneous_calls' and not 1 <= value <= 20:
            raise RowError('Input Error - simultaneous_calls is outside of range %s'
                           % metadata([('min', 1), ('max', 20)]))


def validate_voicemail(fields, profile, update=False):
    if profile.voicemail_schema:
        errors = {}
        for name in ('name', 'number', 'context'):
            if name not in fields:
                if not update:
                    errors[name] = ['Missing data for required field.']
            elif fields[name] is None:
                errors[name] = ['Field may not be null.']
        for name in ('delete_messages', 'ask_password'):
            if name in fields and fields[name] is None:
                errors[name] = ['Field may not be null.']
        for name in ('name', 'email'):
            if fields.get(name) and len(fields[name]) > 80:
                errors[name] = ['Longer than maximum length 80.']
        if fields.get('number') and not _match(r'^[0-9]{1,40}$', fields['number']):
            errors['number'] = ['String does not match expected pattern.']
        if fields.get('password') and not _match(r'^[0-9]{1,80}$', fields['password']):
            errors['password'] = ['String does not match expected pattern.']
        if errors:
            raise RowError(marshmallow(errors))
        return
    missing = [n for n in ('name', 'number', 'context') if fields.get(n) is None and (n in fields or not update)]
    if missing:
        raise RowError('Input Error - missing parameters: %s' % ','.join(missing))
    if not _match(r'^[0-9]{1,40}$', fields['number'] or ''):
        raise RowError("Input Error - field 'number': wrong type. Should be a numeric string (max length: 40)")
    if fields.get('password') and not _match(r'^[0-9]{1,80}$', fields['password']):
        raise RowError("Input Error - field 'password': wrong type. Should be a numeric string (max length: 80)")


EXTEN_REGEX = r'^_[*#0-9_XxZzNn\[\].!-]{1,39}$|^[*#0-9]{1,40}$'


def validate_exten(exten, profile):
    if profile.exten_pattern and not _match(EXTEN_REGEX, exten):
        raise RowError(marshmallow({'exten': ['String does not match expected pattern.']}))


def validate_sip(fields, profile, update=False):
    if profile.sip_schema:
        errors = {}
        for name, regex in (('username', r'^[a-zA-Z0-9_-]{1,40}$'), ('secret', r'^[ -~]{1,80}$')):
            if name not in fields:
                continue
            if fields[name] is None:
                if update:
                    errors[name] = ['Field may not be null.']
            elif not _match(regex, fields[name]):
                errors[name] = ['String does not match expected pattern.']
        if errors:
            raise RowError(marshmallow(errors))
        return
    if fields.get('username') and not _match(r'^[a-zA-Z0-9_-]{1,40}$', fields['username']):
        raise RowError("Input Error - field 'username': username must only use alphanumeric characters")
    if fields.get('secret') and not _match(r'^[ -~]{1,80}$', fields['secret']):
        raise RowError("Input Error - field 'secret': secret must only use printable characters")


def associated(resource, other, *pairs):
    """xivo-dao resource_associated: '<resource> is associated with a <other> (<metadata>)'."""
    return RowError('Resource Error - %s is associated with a %s %s' % (resource, other, metadata(pairs)))


def not_found(resource, *pairs):
    return NotFoundError('Resource Not Found - %s was not found %s' % (resource, metadata(pairs)))


def check_context_type(db, ext, wanted):
    """unhandled_context_type: the extension's context must be of the type the association wants."""
    ctx = db.contexts.find_one('name', ext['context'])
    if ctx and ctx['type'] != wanted:
        raise RowError("Resource Error - ContextType '%s' cannot be associated %s"
                       % (ctx['type'], metadata([('id', ext['id']), ('context', ext['context'])])))


RANGE_KINDS = ('user_ranges', 'group_ranges', 'queue_ranges', 'conference_room_ranges', 'incall_ranges')


def find_context(db, name):
    ctx = db.contexts.find_one('name', name)
    if ctx is None:
        raise RowError("Input Error - field 'context': Context was not found %s" % metadata([('context', name)]))
    return ctx


def _in_range(exten, rng):
    """ContextNumbers.in_range: int() of the exten (a '*123' is a 500), limits cut to did_length."""
    try:
        number = int(exten)
    except ValueError:
        raise Unexpected("invalid literal for int() with base 10: %s" % py2_repr(B(exten)))
    did = rng.get('did_length', 0)
    return int(rng['start'][-did:]) <= number <= int(rng['end'][-did:])


def check_range(exten, ctx):
    """ExtensionRangeValidator: every range kind counts; patterns and outcall contexts pass
    (docs/server-behaviour.md#field-rules)."""
    if exten.startswith('_') or ctx['type'] == 'outcall':
        return
    for kind in RANGE_KINDS:
        if any(_in_range(exten, rng) for rng in ctx[kind]):
            return
    raise RowError("Input Error - Extension '%s' is outside of range for context '%s'" % (exten, ctx['name']))

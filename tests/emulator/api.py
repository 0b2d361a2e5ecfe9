"""The configuration routes (reads: docs/server-behaviour.md#list-route-fields; writes:
docs/server-behaviour.md#deleting-users; GET /1.1/infos): the route table with each method's 16.15 ACL
(`required_acl` of the handler; {0}, {1} are the path's ids), and handlers.

A handler gets (emulator, path ids, query parameters, body bytes) and returns an Answer. Reads run
under the store lock; writes run in one transaction (all or nothing, saved to --state).
"""
import json
import re
import uuid as uuidlib

from . import items as it
from . import listing
from .rules import not_found
from .writes import Writer

UUID_RE = '[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}'  # werkzeug's
ID, USER = r'(\d+)', r'(\d+|%s)' % UUID_RE


class Answer:
    """items: how many items a list answered (request_log "items"); rows: request_log "rows"."""

    def __init__(self, status, body='', headers=(), items=None, rows=None):
        self.status, self.body, self.headers, self.items, self.rows = status, body, list(headers), items, rows


class BadJSON(Exception):
    """werkzeug BadRequest from request.get_json()."""


def ok(body):
    items = body.get('items') if isinstance(body, dict) else None
    return Answer(200, body, items=len(items) if isinstance(items, list) else None)


def json_body(body, content_type):
    """request.get_json() of Flask 0.10: None unless application/json (then {} via ensure_dict)."""
    if (content_type or '').split(';')[0].strip().lower() != 'application/json' or not body.strip():
        return {}
    try:
        data = json.loads(body.decode('utf-8'))
    except ValueError:
        raise BadJSON()
    return data if data is not None else {}


# ---------------------------------------------------------------------------- reads
def _list(config):
    def handler(emu, args, params, body):
        with emu.store.lock:
            return ok(listing.answer(emu.store, config, params, emu.url, emu.profile))
    return handler


def _item(table, resource, serialize):
    def handler(emu, args, params, body):
        with emu.store.lock:
            rec = Writer(emu.store).get(table, resource, args[0])
            return ok(serialize(emu.store, rec, emu.url))
    return handler


def list_users(emu, args, params, body):
    with emu.store.lock:
        answer = ok(listing.users(emu.store, emu.profile, params, emu.url))
    answer.rows = answer.items  # what request_log said before "items" existed
    return answer


def get_user(emu, args, params, body):
    with emu.store.lock:
        return ok(it.user_item(emu.store, Writer(emu.store).user(args[0]), emu.url))


def list_extensions(emu, args, params, body):
    with emu.store.lock:
        return ok(listing.extensions(emu.store, params, emu.url))


def list_cti_profiles(emu, args, params, body):
    with emu.store.lock:
        return ok(listing.cti_profiles(emu.store, params, emu.url))


def user_lines(emu, args, params, body):
    with emu.store.lock:
        db = emu.store
        user = Writer(db).user(args[0])
        found = [it.user_line_item(db, user, db.lines.get(i), emu.url) for i in user['line_ids']]
        return ok({'total': len(found), 'items': found})


def user_voicemail(emu, args, params, body):
    """UserVoicemailLegacy.get (and UserVoicemailList.get): the association, or its 404."""
    with emu.store.lock:
        user = Writer(emu.store).user(args[0])
        if not user['voicemail_id']:
            raise not_found('UserVoicemail', ('user_id', user['id']))
        return ok(it.user_voicemail_item(emu.store, user, emu.url))


def user_call_permissions(emu, args, params, body):
    with emu.store.lock:
        user = Writer(emu.store).user(args[0])
        found = [it.user_call_permission_item(emu.store, user, i, emu.url) for i in user['call_permission_ids']]
        return ok({'total': len(found), 'items': found})


def call_permission_users(emu, args, params, body):
    with emu.store.lock:
        db = emu.store
        perm = Writer(db).get('call_permissions', 'CallPermission', args[0])
        users = sorted((u for u in db.users.rows.values() if perm['id'] in u['call_permission_ids']),
                       key=lambda u: u['id'])
        found = [it.user_call_permission_item(db, u, perm['id'], emu.url) for u in users]
        return ok({'total': len(found), 'items': found})


def infos(emu, args, params, body):
    return ok({'uuid': emu.uuid})


# ---------------------------------------------------------------------------- writes
def _delete(method):
    def handler(emu, args, params, body):
        emu.transaction(lambda db: getattr(Writer(db), method)(*args))
        return Answer(204)
    return handler


def _create(method, path, serialize):
    def handler(emu, args, params, body):
        def run(db):
            rec = getattr(Writer(db), method)(body)
            return serialize(db, rec, emu.url), rec['id']
        item, rec_id = emu.transaction(run)
        return Answer(201, item, [('Location', '%s/1.1/%s/%s' % (emu.url, path, rec_id))])
    return handler


# ---------------------------------------------------------------------------- route table
ROUTES = [(re.compile(pattern), methods) for pattern, methods in [
    ('/1.1/infos', {'GET': (infos, 'confd.infos.read')}),
    ('/1.1/users', {'GET': (list_users, 'confd.users.read')}),
    ('/1.1/users/%s' % USER, {'GET': (get_user, 'confd.users.{0}.read'),
                              'DELETE': (_delete('delete_user'), 'confd.users.{0}.delete')}),
    ('/1.1/users/%s/voicemail' % USER,
     {'GET': (user_voicemail, 'confd.users.{0}.voicemail.read'),
      'DELETE': (_delete('delete_user_voicemail'), 'confd.users.{0}.voicemail.delete')}),
    ('/1.1/users/%s/voicemails' % USER,
     {'GET': (user_voicemail, 'confd.users.{0}.voicemails.read'),
      'DELETE': (_delete('delete_user_voicemail'), 'confd.users.{0}.voicemails.delete')}),
    ('/1.1/users/%s/lines' % USER, {'GET': (user_lines, 'confd.users.{0}.lines.read')}),
    ('/1.1/users/%s/lines/%s' % (USER, ID),
     {'DELETE': (_delete('delete_user_line'), 'confd.users.{0}.lines.{1}.delete')}),
    ('/1.1/users/%s/callpermissions' % USER,
     {'GET': (user_call_permissions, 'confd.users.{0}.callpermissions.read')}),
    ('/1.1/contexts', {'GET': (_list(listing.CONTEXTS), 'confd.contexts.read')}),
    ('/1.1/contexts/%s' % ID, {'GET': (_item('contexts', 'Context', it.context_item), 'confd.contexts.{0}.read')}),
    ('/1.1/entities', {'GET': (_list(listing.ENTITIES), 'confd.entities.read')}),
    ('/1.1/entities/%s' % ID, {'GET': (_item('entities', 'Entity', it.entity_item), 'confd.entities.{0}.read')}),
    ('/1.1/cti_profiles', {'GET': (list_cti_profiles, 'confd.cti_profiles.read')}),
    ('/1.1/cti_profiles/%s' % ID,
     {'GET': (_item('cti_profiles', 'CtiProfile', it.cti_profile_item), 'confd.cti_profiles.{0}.read')}),
    ('/1.1/callpermissions', {
        'GET': (_list(listing.CALL_PERMISSIONS), 'confd.callpermissions.read'),
        'POST': (_create('create_call_permission', 'callpermissions', it.call_permission_item),
                 'confd.callpermissions.create')}),
    ('/1.1/callpermissions/%s' % ID, {
        'GET': (_item('call_permissions', 'CallPermission', it.call_permission_item),
                'confd.callpermissions.{0}.read'),
        'DELETE': (_delete('delete_call_permission'), 'confd.callpermissions.{0}.delete')}),
    ('/1.1/callpermissions/%s/users' % ID,
     {'GET': (call_permission_users, 'confd.callpermissions.{0}.users.read')}),
    ('/1.1/extensions', {
        'GET': (list_extensions, 'confd.extensions.read'),
        'POST': (_create('create_extension', 'extensions', it.extension_item), 'confd.extensions.create')}),
    ('/1.1/extensions/%s' % ID, {
        'GET': (_item('extensions', 'Extension', it.extension_item), 'confd.extensions.{0}.read'),
        'DELETE': (_delete('delete_extension'), 'confd.extensions.{0}.delete')}),
    ('/1.1/incalls', {'GET': (_list(listing.INCALLS), 'confd.incalls.read')}),
    ('/1.1/incalls/%s' % ID, {
        'GET': (_item('incalls', 'Incall', it.incall_item), 'confd.incalls.{0}.read'),
        'DELETE': (_delete('delete_incall'), 'confd.incalls.{0}.delete')}),
    ('/1.1/incalls/%s/extensions/%s' % (ID, ID),
     {'DELETE': (_delete('delete_incall_extension'), 'confd.incalls.{0}.extensions.{1}.delete')}),
    ('/1.1/voicemails', {'GET': (_list(listing.VOICEMAILS), 'confd.voicemails.read')}),
    ('/1.1/voicemails/%s' % ID, {
        'GET': (_item('voicemails', 'Voicemail', it.voicemail_item), 'confd.voicemails.{0}.read'),
        'DELETE': (_delete('delete_voicemail'), 'confd.voicemails.{0}.delete')}),
    ('/1.1/endpoints/sip', {'GET': (_list(listing.ENDPOINTS_SIP), 'confd.endpoints.sip.read')}),
    ('/1.1/endpoints/sip/%s' % ID, {
        'GET': (_item('sip', 'SIPEndpoint', it.sip_item), 'confd.endpoints.sip.{0}.read'),
        'DELETE': (_delete('delete_sip'), 'confd.endpoints.sip.{0}.delete')}),
    ('/1.1/lines', {'GET': (_list(listing.LINES), 'confd.lines.read')}),
    ('/1.1/lines/%s' % ID, {
        'GET': (_item('lines', 'Line', it.line_item), 'confd.lines.{0}.read'),
        'DELETE': (_delete('delete_line'), 'confd.lines.{0}.delete')}),
    ('/1.1/lines/%s/extensions/%s' % (ID, ID),
     {'DELETE': (_delete('delete_line_extension'), 'confd.lines.{0}.extensions.{1}.delete')}),
    ('/1.1/lines/%s/endpoints/sip/%s' % (ID, ID),
     {'DELETE': (_delete('delete_line_sip'), 'confd.lines.{0}.endpoints.sip.{1}.delete')}),
]]


def _acl_value(value):
    """Flask's converters hand the handler an int or a uuid.UUID: the ACL holds their str()."""
    return str(int(value)) if value.isdigit() else str(uuidlib.UUID(value))


def match(path):
    """(methods, ids) of the route for `path`, or None. Flask adds HEAD to every GET route."""
    for pattern, methods in ROUTES:
        found = pattern.fullmatch(path)
        if found:
            return methods, found.groups()
    return None


def acl(template, ids):
    return template.format(*[_acl_value(v) for v in ids])

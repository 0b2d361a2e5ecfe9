"""What a fresh XiVO 16.15 holds after its wizard (docs/server-behaviour.md#fresh-install-seed), and how to
load another seed.

Seed shape (JSON or dict; every key optional, a given key replaces the default list):
  {"entities": [{"id": 1, "name": "xivotest", "display_name"?: "xivotest"}],
   "contexts": [{"name": "default", "type": "internal", "label"?: "Default", "id"?: 3,
                 "user_ranges": [["1000", "1999"]], "group_ranges": [], "queue_ranges": [],
                 "conference_room_ranges": [],
                 "incall_ranges": [{"start": "2000", "end": "2999", "did_length": 4}]}, ...],
       (a range is ["start", "end"], ["start"] or {"start", "end"?, "did_length"?}; the old key
        "ranges" still works: incall ranges for an incall context, user ranges otherwise)
   "cti_profiles": [{"id": 1, "name": "Supervisor"}, ...],
   "call_permissions": [{"id": 1, "name": "perm1"}],
   "extensions": [{"exten": "1500", "context": "default", "owner"?: "group", "owner_id"?: 1,
                   "owner_name"?: "sales"}],
       (extensions owned by what the emulator does not model: group, queue, outcall, meetme…;
        without "owner" the extension is free, like one made with POST /1.1/extensions)
   "sip_endpoints": [{"username": "trunksip", "trunk_id"?: 1, "secret"?: "..."}],
       (SIP endpoints on no line: with "trunk_id", held by that trunk, as after
        PUT /1.1/trunks/1/endpoints/sip/N on 16.15; without, a free endpoint)
   "ws_users": [{"login": "admin", "password": "passadmin", "acls": ["confd.#"]}],
   "admins": [{"login": "root", "password": "secret"}],
   "users": "<CSV text imported with POST rules at seed time>"}

The 33 feature-code extensions of context xivo-features are always there (ids 1-33, as
xivo-manage-db's populate.sql makes them), so the first imported extension gets id 34.
"""
import copy

DEFAULT_SEED = {
    'entities': [{'id': 1, 'name': 'xivotest'}],
    # ids and labels as the real fresh install lists them (samples/real-16.15/contexts.json)
    'contexts': [
        {'id': 1, 'name': '__switchboard_directory', 'label': 'Switchboard', 'type': 'others'},
        {'id': 2, 'name': 'from-extern', 'label': 'Incalls', 'type': 'incall',
         'incall_ranges': [{'start': '2000', 'end': '2999', 'did_length': 4}]},
        {'id': 3, 'name': 'default', 'label': 'Default', 'type': 'internal', 'user_ranges': [['1000', '1999']]},
        {'id': 4, 'name': 'to-extern', 'label': 'Outcalls', 'type': 'outcall'},
    ],
    'cti_profiles': [{'id': 1, 'name': 'Supervisor'}, {'id': 2, 'name': 'Agent'},
                     {'id': 3, 'name': 'Client'}, {'id': 4, 'name': 'Switchboard'}],
    'call_permissions': [],
    'extensions': [],
    'sip_endpoints': [],
    'ws_users': [{'login': 'admin', 'password': 'passadmin', 'acls': ['confd.#']}],
    'admins': [{'login': 'root', 'password': 'secret'}],
    'users': '',
}

# (exten, feature, commented) in xivo-manage-db@xivo-16.15 populate/populate.sql order
FEATURE_EXTENSIONS = [
    ('_*31.', 'agentstaticlogin', 0), ('_*32.', 'agentstaticlogoff', 0), ('_*30.', 'agentstaticlogtoggle', 0),
    ('_*37.', 'bsfilter', 0), ('_*664.', 'callgroup', 0), ('*34', 'calllistening', 1),
    ('_*667.', 'callmeetme', 0), ('_*665.', 'callqueue', 0), ('*26', 'callrecord', 1),
    ('_*666.', 'calluser', 0), ('*36', 'directoryaccess', 0), ('*25', 'enablednd', 0),
    ('*90', 'enablevm', 0), ('_*90.', 'enablevmslt', 0), ('_*23.', 'fwdbusy', 0),
    ('_*22.', 'fwdrna', 0), ('_*21.', 'fwdunc', 0), ('*20', 'fwdundoall', 0),
    ('*48378', 'autoprov', 0), ('*27', 'incallfilter', 0), ('*10', 'phonestatus', 0),
    ('_*735.', 'phoneprogfunckey', 0), ('_*8.', 'pickup', 0), ('*9', 'recsnd', 0),
    ('_*99.', 'vmboxmsgslt', 0), ('_*93.', 'vmboxpurgeslt', 1), ('_*97.', 'vmboxslt', 0),
    ('*98', 'vmusermsg', 0), ('*92', 'vmuserpurge', 1), ('_*92.', 'vmuserpurgeslt', 1),
    ('_*96.', 'vmuserslt', 0), ('_*11.', 'paging', 0), ('*40', 'cctoggle', 0),
]
FEATURE_CONTEXT = 'xivo-features'  # not a context row: /1.1/contexts does not list it

REFERENCE_TABLES = ('entities', 'contexts', 'cti_profiles', 'call_permissions')
RANGE_KINDS = ('user_ranges', 'group_ranges', 'queue_ranges', 'conference_room_ranges', 'incall_ranges')
# the modelled owners; any other owner type is an opaque label on the extension
MODELLED_OWNERS = ('user', 'incall')


def merged(seed=None, base=None):
    result = copy.deepcopy(base if base is not None else DEFAULT_SEED)
    for key, value in (seed or {}).items():
        if key not in DEFAULT_SEED:
            raise ValueError('unknown seed key: %s' % key)
        result[key] = copy.deepcopy(value)
    return result


def _range(spec, with_did):
    """A context range as confd lists it: end defaults to start (ContextNumbers.end)."""
    if isinstance(spec, dict):
        start, end, did = spec['start'], spec.get('end'), spec.get('did_length', 0)
    else:
        start, end, did = spec[0], (spec[1] if len(spec) > 1 else None), 0
    rec = {'start': str(start), 'end': str(end if end not in (None, '') else start)}
    if with_did:
        rec['did_length'] = int(did)
    return rec


def context_record(rec):
    rec = dict(rec)
    rec.setdefault('type', 'internal')
    legacy = rec.pop('ranges', None)
    if legacy is not None:
        rec.setdefault('incall_ranges' if rec['type'] == 'incall' else 'user_ranges', legacy)
    for kind in RANGE_KINDS:
        rec[kind] = [_range(r, kind == 'incall_ranges') for r in rec.get(kind) or []]
    rec.setdefault('label', rec['name'])
    rec.setdefault('description', '')
    rec.setdefault('enabled', True)
    return rec


def _record(table, rec):
    if table == 'contexts':
        return context_record(rec)
    rec = dict(rec)
    if table == 'entities':
        rec.setdefault('display_name', rec['name'])
    elif table == 'call_permissions':
        for key, value in (('password', None), ('mode', 'deny'), ('extensions', []), ('enabled', True),
                           ('description', None)):
            rec.setdefault(key, value)
    return rec


def apply_reference(store, seed):
    """Load entities/contexts/profiles/permissions (outside any transaction)."""
    for name in REFERENCE_TABLES:
        table = store.tables[name]
        for rec_id in list(table.rows):
            table._raw_delete(rec_id)
        for i, rec in enumerate(seed.get(name, []), 1):
            rec = _record(name, rec)
            rec.setdefault('id', i)
            table._raw_put(rec)
            store.sequences[name] = max(store.sequences.get(name, 0), rec['id'])


def extension_record(exten, context, kind='user', typeval='0', commented=False, **extra):
    rec = {'exten': exten, 'context': context, 'type': kind, 'typeval': typeval, 'commented': commented}
    rec.update(extra)
    return rec


def apply_features(store):
    for exten, feature, commented in FEATURE_EXTENSIONS:
        store.extensions.insert(extension_record(exten, FEATURE_CONTEXT, 'extenfeatures', feature, bool(commented)))


def apply_sip_endpoints(store, specs):
    """The seed's SIP endpoints that are on no line; one already there (username) is left."""
    for spec in specs:
        if store.sip.find_one('username', spec['username']):
            continue
        trunk = spec.get('trunk_id')
        store.sip.insert({'username': spec['username'], 'secret': spec.get('secret') or 'trunkpw1',
                          'line_id': None, 'callerid': None,
                          'trunk_id': int(trunk) if trunk is not None else None})


def apply_extensions(store, specs):
    """The seed's extensions; one already there (exten@context) is left as it is."""
    for spec in specs:
        exten, context = str(spec['exten']), spec['context']
        if store.extensions.find_one('exten_context', (exten, context)):
            continue
        owner = spec.get('owner') or 'user'
        if owner in MODELLED_OWNERS and owner != 'user':
            raise ValueError('seed extensions cannot be owned by a %s (import one instead)' % owner)
        if owner == 'user':
            store.extensions.insert(extension_record(exten, context))
            continue
        taken = [e for e in store.extensions.rows.values() if e['type'] == owner]
        owner_id = int(spec.get('owner_id', len(taken) + 1))
        store.extensions.insert(extension_record(exten, context, owner, str(owner_id),
                                                 owner_name=spec.get('owner_name', '%s%d' % (owner, owner_id))))

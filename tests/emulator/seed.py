"""What a fresh XiVO holds after its wizard (§12 seed), and how to load another seed.

Seed shape (JSON or dict; every key optional, a given key replaces the default list):
  {"entities": [{"id": 1, "name": "xivotest"}],
   "contexts": [{"name": "default", "type": "internal", "ranges": [["1000", "1999"]]}, ...],
   "cti_profiles": [{"id": 1, "name": "Supervisor"}, ...],
   "call_permissions": [{"id": 1, "name": "perm1"}],
   "ws_users": [{"login": "admin", "password": "passadmin", "acls": ["confd.#"]}],
   "admins": [{"login": "root", "password": "secret"}],
   "users": "<CSV text imported with POST rules at seed time>"}
"""
import copy

DEFAULT_SEED = {
    'entities': [{'id': 1, 'name': 'xivotest'}],
    'contexts': [
        {'name': 'default', 'type': 'internal', 'ranges': [['1000', '1999']]},
        {'name': 'from-extern', 'type': 'incall', 'ranges': [['2000', '2999']]},
        {'name': 'to-extern', 'type': 'outcall', 'ranges': []},
    ],
    'cti_profiles': [{'id': 1, 'name': 'Supervisor'}, {'id': 2, 'name': 'Agent'},
                     {'id': 3, 'name': 'Client'}, {'id': 4, 'name': 'Switchboard'}],
    'call_permissions': [],
    'ws_users': [{'login': 'admin', 'password': 'passadmin', 'acls': ['confd.#']}],
    'admins': [{'login': 'root', 'password': 'secret'}],
    'users': '',
}

REFERENCE_TABLES = ('entities', 'contexts', 'cti_profiles', 'call_permissions')


def merged(seed=None, base=None):
    result = copy.deepcopy(base if base is not None else DEFAULT_SEED)
    for key, value in (seed or {}).items():
        if key not in DEFAULT_SEED:
            raise ValueError('unknown seed key: %s' % key)
        result[key] = copy.deepcopy(value)
    return result


def apply_reference(store, seed):
    """Load entities/contexts/profiles/permissions (outside any transaction)."""
    for name in REFERENCE_TABLES:
        table = store.tables[name]
        for rec_id in list(table.rows):
            table._raw_delete(rec_id)
        for i, rec in enumerate(seed.get(name, []), 1):
            rec = dict(rec)
            rec.setdefault('id', i)
            if name == 'contexts':
                rec['ranges'] = [[str(a), str(b)] for a, b in rec.get('ranges', [])]
                rec.setdefault('type', 'internal')
            table._raw_put(rec)
            store.sequences[name] = max(store.sequences.get(name, 0), rec['id'])

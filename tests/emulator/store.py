"""In-memory database: tables with dict indexes, id sequences, an undo journal.

All-or-nothing imports: every mutation inside a transaction records its inverse, and a
rollback replays them backwards. Id sequences are never rolled back (like PostgreSQL
sequences), so ids jump after a failed import (docs/server-behaviour.md#import-all-or-nothing).
"""
import copy
import json
import os
import tempfile
import threading


class Table:
    def __init__(self, store, name, indexes=None):
        self.store = store
        self.name = name
        self.rows = {}
        self.index_funcs = indexes or {}
        self.indexes = {k: {} for k in self.index_funcs}

    def _index_add(self, rec):
        for iname, func in self.index_funcs.items():
            key = func(rec)
            if key is not None:
                self.indexes[iname].setdefault(key, {})[rec['id']] = None

    def _index_remove(self, rec):
        for iname, func in self.index_funcs.items():
            key = func(rec)
            if key is not None:
                bucket = self.indexes[iname].get(key)
                if bucket is not None:
                    bucket.pop(rec['id'], None)
                    if not bucket:
                        del self.indexes[iname][key]

    def insert(self, rec, rec_id=None):
        rec = dict(rec)
        rec['id'] = rec_id if rec_id is not None else self.store.next_id(self.name)
        self.rows[rec['id']] = rec
        self._index_add(rec)
        self.store._journal(lambda: self._raw_delete(rec['id']))
        return rec

    def _raw_delete(self, rec_id):
        rec = self.rows.pop(rec_id)
        self._index_remove(rec)

    def _raw_put(self, rec):
        self.rows[rec['id']] = rec
        self._index_add(rec)

    def update(self, rec_id, **changes):
        rec = self.rows[rec_id]
        old = {k: rec.get(k) for k in changes}
        missing = [k for k in changes if k not in rec]
        self._index_remove(rec)
        rec.update(changes)
        self._index_add(rec)

        def undo():
            self._index_remove(rec)
            rec.update(old)
            for k in missing:
                rec.pop(k, None)
            self._index_add(rec)
        self.store._journal(undo)
        return rec

    def delete(self, rec_id):
        rec = self.rows.get(rec_id)
        if rec is None:
            return
        self._raw_delete(rec_id)
        self.store._journal(lambda: self._raw_put(rec))

    def get(self, rec_id):
        return self.rows.get(rec_id)

    def find(self, iname, key):
        bucket = self.indexes[iname].get(key)
        if not bucket:
            return []
        return [self.rows[i] for i in bucket]

    def find_one(self, iname, key):
        bucket = self.indexes[iname].get(key)
        if not bucket:
            return None
        return self.rows[next(iter(bucket))]


def _lower(v):
    return v.lower() if isinstance(v, str) else None


class Store:
    TABLES = {
        'entities': {'name': lambda r: r['name']},
        'contexts': {'name': lambda r: r['name']},
        'cti_profiles': {'name': lambda r: r['name']},
        'call_permissions': {'name': lambda r: r['name']},
        'users': {'uuid': lambda r: r['uuid'], 'email': lambda r: _lower(r.get('email')) or None,
                  'username': lambda r: r.get('username') or None,
                  'voicemail_id': lambda r: r.get('voicemail_id')},
        'voicemails': {'number_context': lambda r: (r['number'], r['context']) if r.get('number') else None},
        # an extension may sit on several lines (confd's line_extension table,
        # docs/server-behaviour.md#reimport-over-orphans): the line holds it, and this index answers "which
        # lines hold extension N"
        'lines': {'extension_id': lambda r: r.get('extension_id')},
        'sip': {'username': lambda r: r.get('username')},
        'sccp': {},
        'extensions': {'exten_context': lambda r: (r['exten'], r['context']) if r.get('exten') else None},
        'incalls': {},
    }

    def __init__(self):
        self.lock = threading.RLock()
        self.sequences = {}
        self.journal = None
        self.tables = {name: Table(self, name, idx) for name, idx in self.TABLES.items()}
        self.meta = {}  # what outlives a reset (the server uuid of GET /1.1/infos)

    def __getattr__(self, name):
        tables = self.__dict__.get('tables')
        if tables and name in tables:
            return tables[name]
        raise AttributeError(name)

    def next_id(self, table):
        self.sequences[table] = self.sequences.get(table, 0) + 1
        return self.sequences[table]

    # -- transactions
    def _journal(self, undo):
        if self.journal is not None:
            self.journal.append(undo)

    def begin(self):
        self.journal = []

    def commit(self):
        self.journal = None

    def rollback(self):
        journal, self.journal = self.journal or [], None
        for undo in reversed(journal):
            undo()

    # -- persistence
    def dump(self):
        return {'sequences': self.sequences, 'meta': self.meta,
                'tables': {name: list(t.rows.values()) for name, t in self.tables.items()}}

    def load(self, data):
        self.sequences = dict(data.get('sequences', {}))
        self.meta.update(data.get('meta', {}))
        for name, rows in data.get('tables', {}).items():
            table = self.tables[name]
            table.rows.clear()
            table.indexes = {k: {} for k in table.index_funcs}
            for rec in rows:
                rec = copy.deepcopy(rec)
                table._raw_put(rec)

    def save(self, path):
        data = json.dumps(_jsonable(self.dump()))
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix='.emulator-state-')
        with os.fdopen(fd, 'w') as fh:
            fh.write(data)
        os.replace(tmp, path)  # atomic: readers never see a half-written file


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [_jsonable(v) for v in obj]
    return obj

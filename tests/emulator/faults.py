"""Per-server fault injection (test-only). Every fault is off by default.

  latency            seconds added before each confd request is handled
  fail_nth           {"n": N, "status": 500|502|503, "method": "POST"?, "path": "/1.1/users/import"?}
                     the Nth matching confd request (counted from when the fault is set) gets that
                     status with body ["Injected fault"], before touching state; fires once
  drop_after_commit  N: the Nth import (POST/PUT) commits, then the socket closes with no response
  token_ttl          seconds: tokens issued from now on expire after that long
  auth_down          true: the xivo-auth port resets every connection
  refuse             true: the confd port resets every connection (control stays on the auth port)
  slow_rows          seconds slept per imported row (alias: latency_per_row)
"""
import threading

KNOWN = ('latency', 'fail_nth', 'drop_after_commit', 'token_ttl', 'auth_down', 'refuse', 'slow_rows',
         'latency_per_row')


class Faults:
    def __init__(self, on_change=None):
        self._lock = threading.Lock()
        self._on_change = on_change
        self.reset()

    def reset(self):
        with self._lock:
            self.latency = 0.0
            self.fail_nth = None
            self.drop_after_commit = None
            self.token_ttl = None
            self.auth_down = False
            self.refuse = False
            self.slow_rows = 0.0
            self._fail_seen = 0
            self._imports_seen = 0
        if self._on_change:
            self._on_change(self)

    def set(self, **settings):
        for key in settings:
            if key not in KNOWN:
                raise ValueError('unknown fault: %s' % key)
        with self._lock:
            for key, value in settings.items():
                if key == 'latency_per_row':
                    key = 'slow_rows'
                if key == 'fail_nth':
                    if isinstance(value, int) and not isinstance(value, bool):
                        value = {'n': value}
                    if value is not None:
                        value = dict({'status': 500}, **value)
                    self._fail_seen = 0
                if key == 'drop_after_commit':
                    self._imports_seen = 0
                if key in ('latency', 'slow_rows'):
                    value = float(value or 0)
                setattr(self, key, value)
        if self._on_change:
            self._on_change(self)

    def as_dict(self):
        return {'latency': self.latency, 'fail_nth': self.fail_nth, 'drop_after_commit': self.drop_after_commit,
                'token_ttl': self.token_ttl, 'auth_down': self.auth_down, 'refuse': self.refuse,
                'slow_rows': self.slow_rows}

    def should_fail(self, method, path):
        """Return the status to answer with, or None."""
        with self._lock:
            rule = self.fail_nth
            if not rule:
                return None
            if rule.get('method') and rule['method'].upper() != method:
                return None
            if rule.get('path') and rule['path'] != path:
                return None
            self._fail_seen += 1
            if self._fail_seen == int(rule['n']):
                self.fail_nth = None
                return int(rule.get('status', 500))
            return None

    def should_drop(self):
        """Called for each committed import."""
        with self._lock:
            if not self.drop_after_commit:
                return False
            self._imports_seen += 1
            if self._imports_seen == int(self.drop_after_commit):
                self.drop_after_commit = None
                return True
            return False

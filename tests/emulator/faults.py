"""Per-server fault injection (test-only). Every fault is off by default.

  latency            seconds added before each confd request is handled
  fail_nth           {"n": N, "status": 500|502|503, "method": "POST"?, "path": "/1.1/users/import"?}
                     the Nth matching confd request (counted from when the fault is set) gets that
                     status with body ["Injected fault"], before touching state; fires once
  drop_after_commit  N: the Nth committed import (POST/PUT) closes the socket with no response
  answer_after_commit {"n": N, "status": 504, "body": "...", "content_type": "text/html"}: the Nth
                     committed import is answered with that instead of confd's answer (a proxy's
                     504 page, an HTML 200, a 201 whose body is not JSON…); fires once
  mangle_created     {"n": N, "drop_row_number": true, "reverse": true}: the Nth committed import's
                     created (or updated) list loses its row numbers and/or comes reversed; once
  redirect           {"status": 301|302|307|308, "location": URL, "n"?: N, "method"?, "path"?}: a
                     matching confd request is redirected before anything else (routing, auth,
                     state); every matching request, or with "n" only the Nth one
  token_ttl          seconds: tokens issued from now on expire after that long
  auth_down          true: the xivo-auth port resets every connection
  refuse             true: the confd port resets every connection (control stays on the auth port)
  slow_rows          seconds slept per imported row while the import holds the store, so reads
                     wait for it (alias: latency_per_row); the faithful model is the speed setting
                     (--row-cost), which leaves reads free
A number N alone stands for {"n": N} in fail_nth, answer_after_commit and mangle_created.
"""
import threading

KNOWN = ('latency', 'fail_nth', 'drop_after_commit', 'answer_after_commit', 'mangle_created', 'redirect',
         'token_ttl', 'auth_down', 'refuse', 'slow_rows', 'latency_per_row')
PROXY_504 = ('<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n'
             '<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')
DEFAULTS = {
    'fail_nth': {'status': 500},
    'answer_after_commit': {'n': 1, 'status': 504, 'body': PROXY_504, 'content_type': 'text/html'},
    'mangle_created': {'n': 1, 'drop_row_number': False, 'reverse': False},
    'redirect': {'status': 302},
}
COUNTED = ('fail_nth', 'drop_after_commit', 'answer_after_commit', 'mangle_created', 'redirect')


def _rule(key, value):
    """The stored form of a dict-valued fault: defaults filled, a bare N meaning {"n": N}."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = {'n': value}
    if not isinstance(value, dict):
        raise ValueError('%s takes an object' % key)
    rule = dict(DEFAULTS[key], **value)
    if key == 'redirect' and not rule.get('location'):
        raise ValueError('redirect needs a location')
    return rule


def _matches(rule, method, path):
    return not ((rule.get('method') and rule['method'].upper() != method)
                or (rule.get('path') and rule['path'] != path))


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
            self.answer_after_commit = None
            self.mangle_created = None
            self.redirect = None
            self.token_ttl = None
            self.auth_down = False
            self.refuse = False
            self.slow_rows = 0.0
            self._seen = dict.fromkeys(COUNTED, 0)
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
                if key in DEFAULTS:
                    value = _rule(key, value)
                if key in COUNTED:
                    self._seen[key] = 0  # counted from when the fault is set
                if key in ('latency', 'slow_rows'):
                    value = float(value or 0)
                setattr(self, key, value)
        if self._on_change:
            self._on_change(self)

    def as_dict(self):
        return {'latency': self.latency, 'fail_nth': self.fail_nth, 'drop_after_commit': self.drop_after_commit,
                'token_ttl': self.token_ttl, 'auth_down': self.auth_down, 'refuse': self.refuse,
                'slow_rows': self.slow_rows, 'answer_after_commit': self.answer_after_commit,
                'mangle_created': self.mangle_created, 'redirect': self.redirect}

    def _fires(self, key, n):
        """Count one more event for `key`; True (and the fault disarmed) at the Nth. Lock held."""
        self._seen[key] += 1
        if self._seen[key] == int(n):
            setattr(self, key, None)
            return True
        return False

    def should_fail(self, method, path):
        """Return the status to answer with, or None."""
        with self._lock:
            rule = self.fail_nth
            if not rule or not _matches(rule, method, path):
                return None
            return int(rule.get('status', 500)) if self._fires('fail_nth', rule['n']) else None

    def should_redirect(self, method, path):
        """Return the redirect rule that applies to this request, or None."""
        with self._lock:
            rule = self.redirect
            if not rule or not _matches(rule, method, path):
                return None
            if rule.get('n') is None:
                return rule
            return rule if self._fires('redirect', rule['n']) else None

    def should_drop(self):
        """Called for each committed import."""
        with self._lock:
            return bool(self.drop_after_commit) and self._fires('drop_after_commit', self.drop_after_commit)

    def after_commit(self):
        """Called for each committed import: (answer rule or None, mangle rule or None)."""
        with self._lock:
            answer, mangle = self.answer_after_commit, self.mangle_created
            answer = answer if answer and self._fires('answer_after_commit', answer['n']) else None
            mangle = mangle if mangle and self._fires('mangle_created', mangle['n']) else None
            return answer, mangle

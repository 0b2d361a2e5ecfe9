"""Server-speed model (default off), calibrated on the real 16.15 (docs/server-behaviour.md#request-cost): an
import costs request_cost + rows × row_cost seconds of server time (the real 16.15: 0.2 s per row, failing
rows included, fixed part ≈ 0, flat in the users already there). Scale it: --row-cost 0.002 is the real server
100× faster.

The server spends the cost while holding its import lock (one import at a time) but not the
store lock, before the import touches the store: reads and other writes are answered meanwhile
and see nothing of the import until it commits, and a client that gave up still finds the
import committed afterwards (docs/server-behaviour.md#client-timeout-commit).
"""
import threading

FIELDS = ('row_cost', 'request_cost')


class Speed:
    def __init__(self, row_cost=0.0, request_cost=0.0):
        self._lock = threading.Lock()
        self.row_cost = self.request_cost = 0.0
        self.set(row_cost=row_cost, request_cost=request_cost)
        self._start = self.as_dict()

    def set(self, **settings):
        for key, value in settings.items():
            if key not in FIELDS:
                raise ValueError('unknown speed setting: %s' % key)
            value = float(value or 0)
            if value < 0:
                raise ValueError('%s must be >= 0' % key)
            settings[key] = value
        with self._lock:
            for key, value in settings.items():
                setattr(self, key, value)

    def reset(self):
        self.set(**self._start)

    def cost(self, rows):
        with self._lock:
            return self.request_cost + rows * self.row_cost

    def as_dict(self):
        return {'row_cost': self.row_cost, 'request_cost': self.request_cost}

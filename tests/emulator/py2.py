"""Python 2 look-alikes: confd 16.x ran on Python 2.7, and its messages show it.

Error texts embed Python 2 reprs (u'...') and Python 2 dict iteration order; both are
reproduced exactly here (2.7's string hash and open-addressing probe, no hash randomisation),
which matches every ordering observed on the real 16.15 (docs/server-behaviour.md#association-refusals).
"""
import uuid as _uuid

_M = 2 ** 64


def _hash(text):
    if not text:
        return 0
    x = (ord(text[0]) << 7) % _M
    for ch in text:
        x = ((1000003 * x) % _M) ^ ord(ch)
    x ^= len(text)
    if x == _M - 1:  # -1 is reserved in CPython: becomes -2
        x = _M - 2
    return x


def dict_order(keys):
    """Iteration order of a Python 2.7 dict built by inserting `keys` in this order."""
    keys = list(dict.fromkeys(keys))
    size = 8
    while len(keys) * 3 >= size * 2:
        size *= 2
    mask = size - 1
    slots = {}
    for key in keys:
        hv = _hash(key)
        i = hv & mask
        perturb = hv
        while (i & mask) in slots:
            i = ((i << 2) + i + perturb + 1) % _M
            perturb >>= 5
        slots[i & mask] = key
    return [slots[i] for i in sorted(slots)]


class B(str):
    """A Python 2 byte string: repr without the u prefix."""


def py2_repr(value):
    if value is None:
        return 'None'
    if isinstance(value, bool):
        return 'True' if value else 'False'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _uuid.UUID):
        return "UUID('%s')" % value
    if isinstance(value, B):
        return ascii(str(value))
    if isinstance(value, str):
        return 'u' + ascii(value)  # ascii() escapes like Python 2's unicode repr
    if isinstance(value, tuple):
        inner = ', '.join(py2_repr(v) for v in value)
        return '(%s,)' % inner if len(value) == 1 else '(%s)' % inner
    if isinstance(value, list):
        return '[%s]' % ', '.join(py2_repr(v) for v in value)
    return repr(value)


def metadata(pairs):
    """`('k': v, ...)` as xivo-dao formats error metadata, in Python 2 dict order."""
    pairs = dict(pairs)
    return '(%s)' % ', '.join("'%s': %s" % (k, py2_repr(pairs[k])) for k in dict_order(list(pairs)))


def marshmallow(errors):
    """unicode(ValidationError) for {field: [messages]}: `{'f': [u'...']}`."""
    return '{%s}' % ', '.join(
        "'%s': [%s]" % (k, ', '.join(py2_repr(m) for m in errors[k])) for k in dict_order(list(errors)))

# -*- coding: utf-8 -*-
"""Messages are bounded and printable whatever their source."""

from ansible_collections.xivo.confd.plugins.module_utils import text


def test_printable_escapes_binary_and_invisible_characters():
    assert text.printable('a\x00b\x1f\x7f') == 'a\\x00b\\x1f\\x7f'
    assert text.printable('gzip \x1f\x8b\x08') == 'gzip \\x1f\\x8b\\x08'
    assert text.printable('bidi\u202eevil\u200b') == 'bidi\\u202eevil\\u200b'
    assert text.printable('H\xe9l\xe8ne\ttab\nline') == 'H\xe9l\xe8ne\ttab\nline'


def test_bounded_says_how_much_was_cut():
    assert text.bounded('x' * 10, 20) == 'x' * 10
    assert text.bounded('x' * 30, 20) == 'x' * 20 + '... (10 more characters)'


def test_sanitize_message_bounds_after_escaping():
    message = text.sanitize_message('\x00' * 5000, limit=100)
    assert len(message) < 150 and message.startswith('\\x00')


def test_summarize_items():
    assert text.summarize_items(['a', 'b'], 5) == "'a', 'b'"
    assert text.summarize_items(range(25), 3, str) == '0, 1, 2 and 22 more'

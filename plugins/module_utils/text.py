# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Texts shown to a person: bounded in length and free of binary or control characters.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
A message built from a file or a server answer can be huge (10,000 unknown columns) or hold
binary bytes (a gzip file given as a CSV); every such message goes through these functions.
"""

from __future__ import annotations

import re

MAX_MESSAGE = 2000      # characters of one message
MAX_LISTED = 10         # items of a list named in a message

# Everything but printable text: C0/C1 controls (tab and newline kept), DEL, lone surrogates,
# the replacement character, and the Unicode "format" characters that reorder or hide text.
_UNPRINTABLE = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffd'
                          '\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]')


def _escape(match):
    char = match.group(0)
    code = ord(char)
    if code <= 0xff:
        return '\\x%02x' % code
    return '\\u%04x' % code


def printable(text):
    """``text`` with every control, binary or invisible character written as an escape."""
    if not text:
        return text
    return _UNPRINTABLE.sub(_escape, text)


def bounded(text, limit=MAX_MESSAGE):
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if text is None or len(text) <= limit:
        return text
    return '%s... (%d more characters)' % (text[:limit], len(text) - limit)


def sanitize_message(text, limit=MAX_MESSAGE):
    """A message safe to show: printable, then bounded."""
    return bounded(printable(text), limit)


def summarize_items(items, limit=MAX_LISTED, render=repr):
    """'a, b, c and 7 more' for a list named in a message."""
    items = list(items)
    shown = ', '.join(render(item) for item in items[:limit])
    if len(items) > limit:
        shown += ' and %d more' % (len(items) - limit)
    return shown

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where secrets are masked before anything is shown to a person.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import SECRET_COLUMNS

MASK = '********'


def mask_row(row, reveal=False):
    """Return a copy of a CSV row dict with every non-empty secret column masked."""
    if row is None or reveal:
        return None if row is None else dict(row)
    masked = {}
    for key, value in row.items():
        if key in SECRET_COLUMNS and value not in (None, ''):
            masked[key] = MASK
        else:
            masked[key] = value
    return masked


def secret_values(rows, extra=()):
    """Collect the secret strings of some rows (and extra ones) so text can be scrubbed of them."""
    found = set(value for value in extra if value)
    for row in rows:
        for column in SECRET_COLUMNS:
            value = row.get(column)
            if value:
                found.add(value)
    return found


# Words of confd's and this collection's message templates. A secret equal to one of them
# (a password "default" or "Error") is not masked there: masking it would destroy the message
# ("outside of range for context '********'") and reveal nothing, since the word is template.
MESSAGE_WORDS = frozenset(word.casefold() for word in (
    'Input Error Resource Not Found Unexpected error field wrong type Should be a an integer must '
    'one of was not found Extension is outside range for context User already exists associated '
    'with Line Endpoint Voicemail incall Incall CallPermission CtiProfile Entity SIPEndpoint '
    'ContextType cannot be Field may null Missing data required String does match expected '
    'pattern Longer than maximum length Must between and password username name number id line '
    'user sip sccp endpoint extension exten default confd answered timed out after connection '
    'lost during import export token request the to of in on at by it no yes true false none '
    'null created updated unchanged failed conflict not imported server row rows file column '
    'https http localhost').split())


def _edges(secret):
    """A secret is masked where it stands as a whole token: an alphanumeric edge must not touch
    another alphanumeric character (a voicemail password '12' is not hidden inside '1200')."""
    head = r'(?<![0-9A-Za-z])' if secret[:1].isalnum() else ''
    tail = r'(?![0-9A-Za-z])' if secret[-1:].isalnum() else ''
    return re.compile(head + re.escape(secret) + tail)


def scrub_text(text, secrets, public=()):
    """Replace every occurrence of any secret in a free text (e.g. a server message).

    ``public``: values shown anyway next to the text (the row's non-secret cells, such as a
    context named like a password); a secret equal to one of them, or to a word of the message
    templates, is left as it is: showing it reveals nothing and keeps the message readable.
    """
    if not text or not secrets:
        return text
    public = set(public)
    found = [secret for secret in secrets
             if secret and secret in text and secret not in public
             and secret.casefold() not in MESSAGE_WORDS]
    # Longest first, so that a secret containing another one is removed whole.
    for secret in sorted(found, key=len, reverse=True):
        text = _edges(secret).sub(MASK, text)
    return text


def public_values(row):
    """The non-secret cell values of a row: what a report shows of it anyway."""
    return set(value for column, value in row.items()
               if value and column not in SECRET_COLUMNS)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where secrets are masked before anything is shown to a person.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

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


def scrub_text(text, secrets):
    """Replace every occurrence of any secret in a free text (e.g. a server message)."""
    if not text or not secrets:
        return text
    # Longest first, so that a secret containing another one is removed whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What confd and its authentication service answer, as the clients read it: the response,
its JSON body, the one line an error body makes, and the redirect that is never followed.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.xivo.confd.plugins.module_utils.confd_errors import ConfdRedirect
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message


class ConfdResponse:
    """What an API call answered: the status, the decoded JSON body (or None), the raw text
    and the media type (a proxy's page is not confd's JSON)."""

    def __init__(self, status, body, text, content_type='application/json'):
        self.status = status
        self.body = body
        self.text = text
        self.content_type = content_type


def decode_body(response):
    """The JSON body of a requests response, or None."""
    try:
        return response.json()
    except ValueError:
        return None


def confd_response(response):
    """The ConfdResponse of a requests response."""
    return ConfdResponse(response.status_code, decode_body(response), response.text,
                         response.headers.get('Content-Type', ''))


# confd's 500 for a database error quotes the SQL statement and every value of the row
# (docs/server-behaviour.md#caller-id-limit): the statement and its values are left out of any
# message.
_SQL_DUMP = re.compile(r"""\s*\[?\s*['"]?(?:INSERT INTO|UPDATE|DELETE FROM|SELECT)\b.*""", re.S)


def describe_error_body(response_or_body, text=''):
    """Turn confd's error body (a JSON list of strings, or text) into one bounded line."""
    body = response_or_body
    if isinstance(body, list):
        line = '; '.join(str(item) for item in body)
    elif isinstance(body, dict) and 'reason' in body:
        line = '; '.join(str(item) for item in body['reason'])
    else:
        line = ' '.join((text or '').split())[:500]
    if _SQL_DUMP.search(line):
        line = _SQL_DUMP.sub(' (SQL statement and values left out)', line, count=1)
    return sanitize_message(line, 1000)


def refuse_redirect(response, host, port, what):
    """A 3xx is never followed: the token would go to another host, maybe in clear text."""
    if 300 <= response.status_code < 400:
        location = response.headers.get('Location') or '(no Location header)'
        raise ConfdRedirect(sanitize_message(
            '%s:%s answered the %s with a redirect (%s) to %s: redirects are never followed '
            '(the credentials would be sent there). Point host/port at the confd server itself.'
            % (host, port, what, response.status_code, location), 600))

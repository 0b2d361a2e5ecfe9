# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight's reasons: what the row names, why the server refuses it, and the server's own
message in parentheses (quoted as the server quotes the CSV's strings: ``Platform.quote``).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations


def missing_context(column, name, quote):
    return ("%s: the context %r does not exist on the server (confd: Input Error - field "
            "'context': Context was not found ('context': %s))" % (column, name, quote(name)))


def out_of_range(column, exten, context):
    return ("%s: %s is outside every range of the context %r (confd: Input Error - Extension "
            "'%s' is outside of range for context '%s')" % (column, exten, context, exten, context))


def extension_refusal(kind, item, order, quote):
    """confd's refusal of an extension held by ``kind``: with the ids when the list gave them
    ('associated_id' is the holder's id as the database keeps it, a unicode string), as
    observed on 16.15 for a group: Extension is associated with a group ('associated_id': u'1',
    'id': 36). ``order``: the two keys in the order confd 16.15 prints them."""
    text = 'Resource Error - Extension is associated with a %s' % kind
    holder = item.get(kind) if isinstance(item, dict) else None
    if isinstance(holder, dict) and holder.get('id') is not None and item.get('id') is not None:
        ids = {'associated_id': quote(str(holder['id'])), 'id': item['id'],
               'extension_id': item['id']}
        text += ' (%s)' % ', '.join("'%s': %s" % (key, ids[key]) for key in order)
    return text


def endpoint_holder(endpoint, fields):
    """What other than a line holds a SIP endpoint (16.15 lists a trunk), or None; ``fields``:
    those that name no holder."""
    if not isinstance(endpoint, dict) or endpoint.get('_row'):
        return None
    for kind in sorted(set(endpoint) - fields):
        if endpoint.get(kind) and not kind.startswith('_'):
            return kind
    return None


def endpoint_refusal(kind, endpoint):
    """Observed on 16.15 for a trunk: Resource Error - Trunk is associated with a Endpoint
    ('trunk_id': 1, 'endpoint': 'sip', 'endpoint_id': 2)."""
    text = 'Resource Error - %s is associated with a Endpoint' % kind.capitalize()
    holder = endpoint.get(kind)
    if isinstance(holder, dict) and holder.get('id') is not None and \
            endpoint.get('id') is not None:
        text += " ('%s_id': %s, 'endpoint': 'sip', 'endpoint_id': %s)" % (
            kind, holder['id'], endpoint['id'])
    return text


def unlisted(column, exten, context, item, title):
    """An extension that exists with nothing attached that the server lists: free (confd would
    reuse it) or held by a queue, a conference room, a meetme... (confd would refuse it), which
    the lists of ``title`` (the platform) do not show. Not predicted as creatable: the operator
    decides."""
    ident = item.get('id') if isinstance(item, dict) else None
    return ('%s: %s@%s already exists on the server (extension id %s) attached to nothing its '
            'lists show, so it may be free or held by a queue, a conference room or a meetme, '
            'which %s does not list (confd then refuses the row: Resource Error - '
            'Extension is associated with a queue ...). Choose another number, remove that '
            'extension if it is free (DELETE /1.1/extensions/%s), or set preflight: false to '
            'let confd decide' % (column, exten, context, ident if ident is not None else '?',
                                  title, ident if ident is not None else '<id>'))


def article(word):
    return 'an' if word[:1] in 'aeiou' else 'a'


def owner_text(owner):
    """' (Bob Jones, uuid ...)' for what holds an object, when the preflight knows it."""
    if not isinstance(owner, dict):
        return ''
    user = owner.get('line', {}).get('user') if isinstance(owner.get('line'), dict) else None
    # A user is an export row; a list item with a uuid (a Wazo SIP endpoint) is not one.
    user = user or (owner if owner.get('uuid') and 'firstname' in owner else None)
    if user is None and owner.get('users'):
        user = owner['users'][0]
    if user is None and owner.get('_row'):
        return ' (an earlier row of this file)'
    if user is None:
        return ''
    name = ' '.join(p for p in (user.get('firstname'), user.get('lastname')) if p)
    return ' (%s, uuid %s)' % (name or 'a user', user.get('uuid') or '?')

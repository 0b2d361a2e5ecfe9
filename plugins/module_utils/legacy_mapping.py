# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The legacy web-interface (XiVO <= 15.19) user CSV headers and their confd 16.x columns.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
This is the only place holding the mapping table (docs/server-behaviour.md#legacy-to-confd-columns).
"""

from __future__ import annotations

import difflib

# 15.15 - 15.19 headers (config.inc, file order) -> confd column.  None: no confd equivalent.
LEGACY_COLUMNS = (
    ('entityid', 'entity_id'),
    ('firstname', 'firstname'),
    ('lastname', 'lastname'),
    ('language', 'language'),
    ('outcallerid', 'outgoing_caller_id'),
    ('enableclient', 'cti_profile_enabled'),
    ('username', 'username'),
    ('password', 'password'),
    ('profileclient', 'cti_profile_name'),
    ('enablexfer', 'call_transfer_enabled'),
    ('enablehint', 'supervision_enabled'),
    ('agentnumber', None),
    ('mobilephonenumber', 'mobile_phone_number'),
    ('bosssecretary', None),
    ('phonenumber', 'exten'),
    ('context', 'context'),
    ('callerid', None),
    ('protocol', 'line_protocol'),
    ('linename', 'sip_username'),
    ('linesecret', 'sip_secret'),
    ('voicemailname', 'voicemail_name'),
    ('voicemailcontext', 'voicemail_context'),
    ('voicemailnumber', 'voicemail_number'),
    ('voicemailpassword', 'voicemail_password'),
    ('voicemailemail', 'voicemail_email'),
    ('voicemailattach', 'voicemail_attach_audio'),
    ('voicemaildelete', 'voicemail_delete_messages'),
    ('voicemailaskpassword', 'voicemail_ask_password'),
    ('incallexten', 'incall_exten'),
    ('incallcontext', 'incall_context'),
    ('incallringseconds', 'incall_ring_seconds'),
)

# Headers of the web interface before 15.15 (commit 94c9f7661): renamed or inverted later.
PRE_1515_COLUMNS = (
    ('voicemailmailbox', 'voicemail_number'),
    ('voicemailskippass', 'voicemail_ask_password'),
)

# Legacy boolean columns whose meaning is the opposite of their confd column.
INVERTED_COLUMNS = frozenset(('voicemailskippass',))

# Every legacy header the converter knows, in a stable order.
KNOWN_HEADERS = (tuple(name for name, dummy in LEGACY_COLUMNS)
                 + tuple(name for name, dummy in PRE_1515_COLUMNS))

LEGACY_TO_CONFD = dict(LEGACY_COLUMNS)
LEGACY_TO_CONFD.update(PRE_1515_COLUMNS)

# XiVO 12.24 renamed the CTI profiles (upgrade notes); keys are compared lower-cased.
PROFILE_CASE_MAP = {
    'client': 'Client',
    'agent': 'Agent',
    'switchboard': 'Switchboard',
    'agentsup': 'Supervisor',
}

# Legacy defaults that confd 16.15 does not share (docs/server-behaviour.md#legacy-defaults).
LEGACY_TRANSFER_DEFAULT = '1'          # empty/absent enablexfer meant "enabled"
VOICEMAIL_BOOLEAN_DEFAULTS = (         # confd rejects them empty when a voicemail is defined
    ('voicemail_ask_password', '1'),
    ('voicemail_delete_messages', '0'),
)


def normalize_header(name):
    """The form used to look a header up: trimmed, BOM removed, lower-case."""
    return name.replace('\ufeff', '').strip().lower()


def closest_header(name, candidates=KNOWN_HEADERS):
    """The known header closest to an unknown one, or None when nothing is close."""
    found = difflib.get_close_matches(normalize_header(name), list(candidates), n=1, cutoff=0.5)
    return found[0] if found else None


def map_profile(value):
    """Apply the 12.24 CTI profile case map; other values are kept as they are."""
    return PROFILE_CASE_MAP.get(value.lower(), value)

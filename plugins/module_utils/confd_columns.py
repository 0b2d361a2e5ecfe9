# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The confd 16.x user CSV columns: which ones exist, their kinds, and which hold secrets.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Source: docs/server-behaviour.md#export-content (export) and
docs/server-behaviour.md#import-columns (import rules).
"""

from __future__ import annotations

# Columns POST /1.1/users/import reads (16.15), in the order the converter writes them.
IMPORT_COLUMNS = (
    'entity_id', 'firstname', 'lastname', 'email', 'username', 'password',
    'language', 'outgoing_caller_id', 'mobile_phone_number', 'userfield',
    'call_permission_password', 'enabled', 'ring_seconds', 'simultaneous_calls',
    'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
    'call_record_enabled', 'online_call_record_enabled',
    'context', 'line_protocol', 'exten', 'sip_username', 'sip_secret',
    'incall_exten', 'incall_context', 'incall_ring_seconds',
    'voicemail_name', 'voicemail_number', 'voicemail_context', 'voicemail_password',
    'voicemail_email', 'voicemail_attach_audio', 'voicemail_delete_messages',
    'voicemail_ask_password',
    'cti_profile_name', 'cti_profile_enabled', 'call_permissions',
)

# PUT /1.1/users/import also reads the lookup key.
UPDATE_COLUMNS = ('uuid',) + IMPORT_COLUMNS

# GET /1.1/users/export columns of 16.09+ (16.08 lacks dtmf_hangup_enabled), in server order.
EXPORT_COLUMNS = (
    'uuid', 'entity_id', 'firstname', 'lastname', 'email', 'mobile_phone_number',
    'outgoing_caller_id', 'language', 'call_permission_password', 'enabled',
    'ring_seconds', 'simultaneous_calls', 'supervision_enabled', 'call_transfer_enabled',
    'dtmf_hangup_enabled', 'call_record_enabled', 'online_call_record_enabled', 'userfield',
    'username', 'password', 'cti_profile_name', 'cti_profile_enabled', 'voicemail_name',
    'voicemail_number', 'voicemail_context', 'voicemail_password', 'voicemail_email',
    'voicemail_attach_audio', 'voicemail_delete_messages', 'voicemail_ask_password',
    'line_protocol', 'provisioning_code', 'context', 'sip_username', 'sip_secret', 'exten',
    'incall_exten', 'incall_context', 'call_permissions',
)

BOOLEAN_COLUMNS = frozenset((
    'enabled', 'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
    'call_record_enabled', 'online_call_record_enabled', 'voicemail_attach_audio',
    'voicemail_delete_messages', 'voicemail_ask_password', 'cti_profile_enabled',
))

INTEGER_COLUMNS = frozenset((
    'entity_id', 'ring_seconds', 'simultaneous_calls', 'incall_ring_seconds',
))

# Columns whose values are credentials: never shown outside the files that must hold them.
SECRET_COLUMNS = frozenset((
    'password', 'sip_secret', 'voicemail_password', 'call_permission_password',
))

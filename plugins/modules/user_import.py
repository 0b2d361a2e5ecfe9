#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: user_import
short_description: Import users into a XiVO server from a confd CSV file, idempotently
version_added: 1.0.0
description:
  - Imports the users of a confd-format CSV file (as written by M(xivo.confd.user_csv) or
    M(xivo.confd.user_export)) into one XiVO server through C(POST /1.1/users/import), and gives
    a result for every user.
  - "Reads the server's users once (C(GET /1.1/users/export), JSON) and matches each row to an
    existing user by the first of O(keys) that has a value. Rows already on the server are
    C(unchanged) (or C(updated) with O(update=true)); only missing rows are sent, so a re-run does
    nothing."
  - "confd handles a request in one transaction and rolls it back entirely when one row is bad.
    The plugin still imports the good rows: rows confd names in a C(400) answer are C(failed) with
    its message and the rest are sent again; a C(500) names no row, so the batch is split in
    halves until the bad rows stand alone."
  - "Never imports a row twice: after a lost connection it reads the server again and sends only
    what is still missing. After a timeout it reads the server too, but reports the rows not yet
    there as C(failed) with advice to re-run later rather than sending them again, because confd
    carries on with a request after the client gave up. It always sends a sized body (confd
    silently ignores a chunked upload) and counts a C(created) entry with C(user_id: null) as a
    failure."
  - Before sending, every row to send is checked against the confd 16.15 rules (O(validate));
    rows that confd would refuse are C(failed) without a request, with the column and the
    reason.
  - Runs on the controller; the XiVO host needs neither SSH nor Python.
author:
  - xivo.confd developers (@xivo-confd)
extends_documentation_fragment:
  - xivo.confd.connection
  - xivo.confd.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
options:
  src:
    description:
      - The confd CSV file on the controller (UTF-8, C(,) separated, confd column names; a BOM is
        tolerated). Unknown columns are refused, because confd silently ignores them and their
        data would be lost.
      - A relative path is looked up like other file modules do (relative to the playbook).
    type: path
    required: true
  keys:
    description:
      - How a row is recognised on the server, in order of preference. Each key is a column, or
        columns joined by C(@) or C(+) (for example C(exten@context), C(firstname+lastname)).
        C(email) is compared without case.
      - A row with no value for any key is C(failed) rather than imported, because a re-run could
        not recognise it and would import it twice.
    type: list
    elements: str
    default: [exten@context, username, email]
  batch_size:
    description:
      - Rows per import request. confd 16.15 slows down quadratically with the request size
        (3,000 rows took about 25 minutes on a real server), and a timed-out request may still
        commit, so keep batches in the low hundreds.
    type: int
    default: 100
  update:
    description:
      - Update existing users whose columns differ from the file, through
        C(PUT /1.1/users/import) with their uuid, sending only the differing columns.
      - Empty boolean or integer cells never unset a value (confd refuses that).
    type: bool
    default: false
  update_password:
    description:
      - With O(update=true), also update the secret columns (C(password), C(sip_secret),
        C(voicemail_password), C(call_permission_password)) when they differ.
    type: bool
    default: false
  validate:
    description:
      - Check each row that would be sent (created or updated) against the confd 16.15 rules,
        and refuse keys used twice in the file (the same C(exten@context) twice would give two
        users one extension), before sending anything. Rows already on the server and unchanged
        are not sent, so not checked.
    type: bool
    default: true
  backup_dest:
    description:
      - Write the server's users as they were before the import to this file (confd CSV, mode
        C(0600), secrets included so that it can restore them with this module). Taken from the
        same read that plans the import, so it costs no extra request. Not written in check mode.
    type: path
  report_dest:
    description:
      - Write a JSON report of every user's outcome (the RV(users) and RV(summary) results, no
        secrets) to this file, mode C(0600).
    type: path
  failed_dest:
    description:
      - Write the failed rows, unchanged, as a confd CSV to this file (mode C(0600); it holds
        their secrets) so they can be fixed and fed back. Removed when no row failed.
    type: path
  fail_on_error:
    description:
      - Fail the task when any user failed, after every user was tried. With V(false) the task
        succeeds and the failures are in RV(users) and RV(summary).
    type: bool
    default: true
  return_unchanged:
    description:
      - Include the C(unchanged) users in RV(users). With V(false) only the users created,
        updated, failed (or that would be) are returned, which keeps the result small on a
        re-run of a large file; RV(summary) and the O(report_dest) file still count and list
        every user.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Reads the server and reports C(would_create) and C(would_update) without writing
      anything, to the server or to files.
  diff_mode:
    support: full
    details: Shows the users that are (or would be) created, and the columns that change for
      updated users; secret columns are masked.
seealso:
  - module: xivo.confd.user_csv
  - module: xivo.confd.user_export
  - name: The user_migration role
    description: Converts, backs up, imports and reports across an inventory of XiVO servers.
    link: https://github.com/xivo-confd/xivo.confd/blob/main/roles/user_migration/README.md
'''

EXAMPLES = r'''
- name: Import users with a token from xivo-auth (revoked at the end)
  xivo.confd.user_import:
    host: xivo.example.com
    username: migration
    password: "{{ vault_xivo_ws_password }}"
    ca_path: files/xivo-ca.crt
    src: build/users-confd.csv
    report_dest: reports/xivo.example.com.json
    failed_dest: reports/xivo.example.com-failed.csv

- name: Dry run, showing what would be created
  xivo.confd.user_import:
    host: xivo.example.com
    token: "{{ xivo_token }}"
    ca_path: files/xivo-ca.crt
    src: build/users-confd.csv
  check_mode: true
  diff: true

- name: Also update users whose columns changed, matching by username first
  xivo.confd.user_import:
    host: xivo.example.com
    username: migration
    password: "{{ vault_xivo_ws_password }}"
    auth_method: digest
    ca_path: files/xivo-ca.crt
    src: build/users-confd.csv
    keys: [username, exten@context]
    update: true
    batch_size: 50
'''

RETURN = r'''
users:
  description: One entry per data row of O(src), in file order (without the C(unchanged) ones
    when O(return_unchanged=false)). When the server cannot be read, every row is C(failed) with
    the reason.
  returned: always
  type: list
  elements: dict
  contains:
    row:
      description: Data row number, 1 for the first row after the header.
      type: int
      sample: 1
    line:
      description: Line of O(src) where the row starts (the header is line 1).
      type: int
      sample: 2
    name:
      description: The user's first and last name, for people reading the report.
      type: str
      sample: Jean Dupont
    key:
      description: The key that matched the row to a server user, or the first key the row has.
      type: str
      sample: exten@context=1000@default
    status:
      description: C(created), C(updated), C(unchanged), C(failed), or in check mode
        C(would_create) and C(would_update).
      type: str
      sample: created
    uuid:
      description: The user's uuid on the server, when known.
      type: str
      sample: 7c5b6b3a-0d0e-4b6c-9e4f-2f9c4b1f0a11
    error:
      description: Why the row failed (the server's message, or the local check), without secrets.
      type: str
      sample: "Input Error - Extension '5000' is outside of range for context 'default'"
    ids:
      description: The ids confd returned for the row (user_id, line_id, extension_id, ...).
      type: dict
      returned: when created or updated
    changed_columns:
      description: The columns that differ from the server (updates).
      type: list
      elements: str
      returned: when the row differs from its server user
summary:
  description: How many rows ended in each status.
  returned: always
  type: dict
  sample: {"created": 2, "updated": 0, "unchanged": 1, "failed": 1, "would_create": 0,
           "would_update": 0, "total": 4}
error:
  description: Why nothing could be imported (the server could not be reached or read); every
    row is then C(failed) with this reason.
  returned: when the server could not be read
  type: str
  sample: "cannot connect to xivo.example.com:9486 (user export): Connection refused."
msg:
  description: A one-line summary, naming each failed row (its line, key and reason).
  returned: always
  type: str
src:
  description: The absolute path of the source file.
  returned: success
  type: str
backup_file:
  description: The backup written from the pre-import export.
  returned: when O(backup_dest) is set and not in check mode
  type: str
report_file:
  description: The JSON report written.
  returned: when O(report_dest) is set and not in check mode
  type: str
failed_file:
  description: The CSV of failed rows written.
  returned: when O(failed_dest) is set and rows failed
  type: str
'''

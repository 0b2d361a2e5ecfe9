#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: user_export
short_description: Read the users of a XiVO server, or back them up to a confd CSV file
version_added: 1.0.0
description:
  - "Reads every user of one XiVO server through C(GET /1.1/users/export), asking for JSON
    (C(Accept: application/json)), which every confd version answers the same way."
  - Returns the users with their secret columns masked, unless O(reveal_secrets=true).
  - With O(dest), writes them as a confd CSV (mode C(0600), secrets included) that
    M(xivo.confd.user_import) takes back, only when its content changes.
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
  dest:
    description:
      - File on the controller to write the users to, as a confd CSV with the export columns.
    type: path
  reveal_secrets:
    description:
      - Return the secret columns (C(password), C(sip_secret), C(voicemail_password),
        C(call_permission_password)) in clear in RV(users). Use C(no_log) on such a task.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Reads the server; reports whether O(dest) would change without writing it.
  diff_mode:
    support: none
seealso:
  - module: xivo.confd.user_import
'''

EXAMPLES = r'''
- name: Back up the users of a server before changing it
  xivo.confd.user_export:
    host: xivo.example.com
    username: migration
    password: "{{ vault_xivo_ws_password }}"
    ca_path: files/xivo-ca.crt
    dest: "backups/xivo.example.com-{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}.csv"

- name: Count the users with a line in the default context
  xivo.confd.user_export:
    host: xivo.example.com
    token: "{{ xivo_token }}"
    ca_path: files/xivo-ca.crt
  register: export

- name: Show the count
  ansible.builtin.debug:
    msg: "{{ export.users | selectattr('context', 'equalto', 'default') | list | length }}"
'''

RETURN = r'''
users:
  description: The users, one dict of export columns (all strings, C("") for none) per user,
    in no fixed order. Secret columns are C(********) unless O(reveal_secrets=true).
  returned: success
  type: list
  elements: dict
  sample: [{"uuid": "7c5b6b3a-0d0e-4b6c-9e4f-2f9c4b1f0a11", "firstname": "John",
            "lastname": "Doe", "exten": "1000", "context": "default", "password": "********"}]
count:
  description: Number of users.
  returned: success
  type: int
  sample: 42
dest:
  description: The absolute path of the file written.
  returned: when O(dest) is set
  type: str
'''

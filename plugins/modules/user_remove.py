#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: user_remove
short_description: Undo what a user import created on a XiVO server, user by user
version_added: 2.0.0
description:
  - Removes the users a run of M(xivo.confd.user_import) (or of the role
    the role C(xivo.confd.user_migration)) created, from its report (O(from_report), or the role's report
    directory O(from_report_dir)), or the server users that the rows of a confd CSV are, matched
    by O(keys) as the import matches them (O(src)).
  - "For each user, removes it and what the import created with it, in the order confd
    requires: the voicemail (dissociated, then deleted), the incall and its number, the line's
    extension (detached, then deleted), the line (which takes its SIP endpoint with it), then the
    user (which takes its call-permission memberships; call permissions and CTI profiles are
    shared configuration and stay). Deleting only the user would be refused while it has a
    voicemail or a line, and would leave the line, its endpoint, its extension, the voicemail and
    the incall behind, in the way of a re-import."
  - A resource shared with another user (a voicemail another user has, an extension another line
    has) or that existed before the import (the report says what the import reused) is kept, and
    the result says so.
  - "Never removes a user the run did not create, nor one changed since the import: a user whose
    firstname, lastname, username or email changed, that got another line or extension, or
    another voicemail, is a C(conflict), reported and left alone, unless O(force=true)."
  - Idempotent, a user already gone is C(absent). Requests are retried only as reads are (a
    C(DELETE) answered C(404) is already done); redirects are never followed; no secret is shown.
  - Stops before the next user when the playbook is interrupted or gone.
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
  from_report:
    description:
      - A JSON report written by M(xivo.confd.user_import) (O(xivo.confd.user_import#module:report_dest)).
        The users it lists as C(created), with their uuid and ids, are removed.
      - One of O(from_report), O(from_report_dir) and O(src) is required.
    type: path
  from_report_dir:
    description:
      - The report directory of the role C(xivo.confd.user_migration). The report of
        O(report_host) in the run O(run_id), or by default in the latest run that created users
        on it, is used as O(from_report).
    type: path
  run_id:
    description:
      - With O(from_report_dir), the run to undo (its directory name under C(runs/)).
    type: str
  report_host:
    description:
      - With O(from_report_dir), the inventory name whose report is used; by default the host of
        the task.
    type: str
  src:
    description:
      - A confd CSV; each row is matched to a server user by O(keys) as M(xivo.confd.user_import)
        matches it (a row whose keys point at another user is a C(conflict)), and that user is
        removed with its line, extension, voicemail and incall.
    type: path
  keys:
    description:
      - With O(src), how a row is recognised (see O(xivo.confd.user_import#module:keys)).
    type: list
    elements: str
    default: [exten@context, username, email]
  force:
    description:
      - Also remove the users changed since the import (otherwise C(conflict)).
    type: bool
    default: false
  report_dest:
    description:
      - Write a JSON report of every user's outcome (no secrets) to this file, mode C(0600).
    type: path
  fail_on_error:
    description:
      - Fail the task when a user could not be removed or is a conflict, after every user was
        tried.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Reads each user and reports C(would_remove) with what would be removed and kept,
      without removing anything.
  diff_mode:
    support: full
    details: Lists the users removed (or that would be) and what goes with them; no secret.
seealso:
  - module: xivo.confd.user_import
  - name: Rolling back a migration
    description: The guide's section on undoing a run with the role.
    link: https://github.com/xivo-confd/xivo.confd/blob/main/docs/docsite/rst/guide_migrating_a_fleet.rst
'''

EXAMPLES = r'''
- name: Undo an import, from its report
  xivo.confd.user_remove:
    host: xivo.example.com
    username: migration
    password: "{{ vault_xivo_ws_password }}"
    ca_path: files/xivo-ca.crt
    from_report: reports/xivo.example.com.json
    report_dest: reports/xivo.example.com-rollback.json

- name: See what a rollback of the latest run of the role would remove
  xivo.confd.user_remove:
    host: xivo.example.com
    token: "{{ xivo_token }}"
    ca_path: files/xivo-ca.crt
    from_report_dir: xivo_user_migration/reports
    report_host: xivo-paris
  check_mode: true
'''

RETURN = r'''
users:
  description: One entry per user to remove, in the order of the report (or of O(src)).
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: The user's uuid.
      type: str
    key:
      description: The identity of the row that created (or names) it.
      type: str
    name:
      description: The user's name.
      type: str
    status:
      description: C(removed), C(absent) (already gone), C(conflict) (changed since the import,
        or not surely this user), C(failed), or C(would_remove) in check mode.
      type: str
    error:
      description: Why it was not removed.
      type: str
    removed:
      description: What was removed with it (or would be).
      type: list
      elements: str
    kept:
      description: What was kept because it is shared or existed before the import; for a voicemail
        of another user that the import shared and confd renamed (O(xivo.confd.user_import#module:share_voicemails)),
        the name it had before, which the rollback does not put back.
      type: list
      elements: str
    differences:
      description: How the user changed since the import.
      type: list
      elements: str
summary:
  description: How many users ended in each status.
  returned: always
  type: dict
  sample: {"removed": 3, "absent": 0, "conflict": 1, "failed": 0, "would_remove": 0, "total": 4}
from_report:
  description: The report the users came from.
  returned: with O(from_report) or O(from_report_dir)
  type: str
run_id:
  description: The run of that report.
  returned: with O(from_report) or O(from_report_dir)
  type: str
requests:
  description: How many requests were sent to confd.
  returned: always
  type: int
interrupted:
  description: Why the removal stopped before the last user (the playbook was interrupted or
    is gone); the users not tried are C(failed). RV(users) is then empty (the report has every
    user).
  returned: when the removal was interrupted
  type: str
report_file:
  description: The report written.
  returned: when O(report_dest) is set and not in check mode
  type: str
msg:
  description: A one-line summary, naming each user not removed and why.
  returned: always
  type: str
'''

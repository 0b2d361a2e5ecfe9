#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

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
  - A resource shared with another user (a voicemail another user still has, an extension another
    line has) or that existed before the run is kept, and the result says which and why. A
    voicemail the run created (for one row, or shared by several rows of the run) is removed with
    the last of its users the rollback removes.
  - "Undoes ONE run, and names it in its result and message. With O(from_report_dir) it is
    O(run_id), or by default the B(fleet's latest run): the newest run directory of the role,
    whichever hosts it imported. A server on which that run created nothing (it was not part of
    the run, or nothing was created there) is left alone: C(ok), C(run <id> created nothing
    here). An older run is never reached back to: removing the users of an older run needs its
    O(run_id)."
  - "Uses a report only on the server it describes: the report records the server's identity
    (the uuid of C(GET /1.1/infos), the platform, the API address) and the rollback reads it
    again; another uuid is refused, naming both. A report without a recorded identity (written
    before reports recorded it, or when C(/1.1/infos) could not be read at the import) or a server whose
    identity cannot be read now is refused, unless O(accept_unverified_report=true) (then a
    warning says so, and each user is still checked as below)."
  - "Removes a user only when the server still shows what the run created: the report entry's
    digest matches (an entry edited by hand does not), the user's id is one the run created
    (higher than the highest user id before the run), its ids are those confd returned at its
    creation (user, line, SIP or SCCP endpoint, extension, voicemail, incall number), and every
    value of the user is the one the server showed right after the run (any column: a name, the
    mobile number, ring seconds...). Anything else is a C(conflict) naming what differs (column
    names; no value of a secret column is ever compared or shown), left alone unless
    O(force=true)."
  - Idempotent, a user already gone is C(absent). Requests are retried only as reads are (a
    C(DELETE) answered C(404) is already done); redirects are never followed; no secret is shown.
  - Stops before the next user when the playbook is interrupted or gone.
  - "Takes the lock kept on the server (O(server_lock)) before reading the server and removing
    anything, as M(xivo.confd.user_import) does: a rollback never runs while an import (or
    another rollback), from any controller, writes to the same server. Check mode takes no
    lock."
  - Runs on the controller; the XiVO host needs neither SSH nor Python.
author:
  - xivo.confd developers (@xivo-confd)
extends_documentation_fragment:
  - xivo.confd.connection
  - xivo.confd.attributes
  - xivo.confd.server_lock
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
        O(report_host) in the run O(run_id), or by default in the fleet's latest run (the
        newest directory under C(runs/)), is used as O(from_report). When that run has no
        report of the host, or created nothing on it, nothing is removed.
    type: path
  run_id:
    description:
      - With O(from_report_dir), the run to undo (its directory name under C(runs/)). Needed to
        undo any run but the fleet's latest.
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
  lock_timeout:
    description:
      - Seconds to wait for the run that holds the server's lock (an import or a rollback, from
        any controller) to finish. V(0) refuses at once, naming the holder.
    type: float
    default: 0
  force:
    description:
      - Also remove the users that are C(conflict)s (changed since the import, or whose report
        entry does not match what the server shows). A report of another server is refused
        even then.
    type: bool
    default: false
  accept_unverified_report:
    description:
      - Use a report that records no server identity, or on a server whose identity
        (C(GET /1.1/infos), ACL C(confd.infos.read)) cannot be read, with a warning. A report
        whose recorded identity is another server's is refused whatever this says.
    type: bool
    default: false
  report_dest:
    description:
      - Write a JSON report of every user's outcome (no secrets) to this file, mode C(0600).
        Mutually exclusive with O(report_dir).
    type: path
  report_dir:
    description:
      - Write the JSON report of this rollback in this directory, under a name of its own
        (C(<rollback time id>-run-<run id>-<host>.json)) that no later rollback writes over,
        and make C(latest-<host>.json) a second name of it. Not in check mode.
    type: path
  fail_on_error:
    description:
      - Fail the task when a user could not be removed or is a conflict, after every user was
        tried.
    type: bool
    default: true
  role_variables:
    description:
      - Take the options from the host's variables of the role C(xivo.confd.user_migration)
        (C(xivo_user_migration_*), its C(rollback) entry point), as the role's rollback does.
        They give the connection, the run to undo, O(from_report_dir) (the role's report
        directory) and O(report_dir) (its C(rollbacks/) directory).
      - A role variable that is set wins over the option given here or by C(module_defaults);
        an option the role variables do not set is taken from here.
    type: bool
    default: false
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

- name: Undo an older run of the role, named by its id, keeping one report per rollback
  xivo.confd.user_remove:
    host: xivo.example.com
    token: "{{ xivo_token }}"
    ca_path: files/xivo-ca.crt
    from_report_dir: xivo_user_migration/reports
    run_id: 20261201T211000.123Z-1a2b3c
    report_host: xivo-paris
    report_dir: xivo_user_migration/reports/rollbacks
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
  description: The report the users came from (null when the run left no report of this host).
  returned: with O(from_report) or O(from_report_dir)
  type: str
run_id:
  description: The run undone (the one of that report).
  returned: with O(from_report) or O(from_report_dir)
  type: str
server_identity:
  description: The server's identity as read before removing anything (compared with the
    one the report recorded).
  returned: when a report listed users to remove
  type: dict
  contains:
    uuid:
      description: The uuid of C(GET /1.1/infos), null when it could not be read.
      type: str
    platform:
      description: C(xivo).
      type: str
    tenant:
      description: The tenant (none on XiVO).
      type: str
    api:
      description: The API address.
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
  returned: when O(report_dest) or O(report_dir) is set and not in check mode
  type: str
latest_report_file:
  description: The C(latest-<host>.json) name of that report in O(report_dir).
  returned: when O(report_dir) is set and not in check mode
  type: str
msg:
  description: "One line: the run undone and the counts (C(run <id>: removed N, kept M
    (conflicts), A already gone, F failed); in check mode C(would remove N, would keep M
    (conflicts)...); C(run <id> created nothing here) when it created nothing on this server),
    then each user not removed and why."
  returned: always
  type: str
'''

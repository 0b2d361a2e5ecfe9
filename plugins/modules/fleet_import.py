#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: fleet_import
short_description: Migrate the users of every XiVO server of a play batch at once
version_added: 2.0.0
description:
  - The work of the role C(xivo.confd.user_migration) for every host of the current play batch
    (C(ansible_play_batch)), in one task run once. Use the role; this module is documented for
    what it does and returns.
  - Reads each host's C(xivo_user_migration_*) variables from the task's C(hostvars), under the
    values the play sets for every host (its C(vars), the role's parameters, the task's C(vars)),
    templated with that host's own variables; Ansible's role argument check has checked them, and
    each is given its type from the table of the role's options. Two hosts that reach the same
    server (address and port) fail, naming each other.
  - Checks every host's inputs before any server of the batch is sent anything - its files
    (legacy or confd file, CA file) exist and can be read, its work, report and backup
    directories can be written, its option values can work. A host with bad inputs, or whose
    work raises an unexpected error, fails alone, named, with its reason; the others are
    imported, and this task itself does not fail for one host.
  - Converts each distinct legacy file with its options once, into the work directory, and not
    again while the file's content and the options stay the same.
  - Imports every server of the batch at the same time, whatever C(forks) is and whatever the
    batch's size, a thread each (C(xivo_user_migration_concurrency) caps them), each server as
    M(xivo.confd.user_import) would (backup,
    preflight, batches sized by time, a result per user, a lock per server), showing progress
    lines as the imports go.
  - Writes each server's report of this run (every row of its source, the rows the conversion
    refused as C(invalid)), copies it as the latest, puts the rows not imported in the host's file
    to fix (C(<report_dir>/<host>-to-fix.csv), never rewritten under the operator), and the fleet
    report (C(fleet.json), C(fleet.md)), then prints one line per server and one for the fleet
    (every server of the play, whatever the batches of C(serial)); at default verbosity these
    lines only, with C(-v) the whole result.
  - Each server is given at most C(deadline) seconds without an answer (connect and read
    timeouts apart, retries and the token request included); a line names the servers that keep
    the run waiting every C(xivo_user_migration_progress_seconds), and after the deadline the
    host is unreachable while the others finish.
  - An interruption (Ctrl-C, SIGTERM, or the playbook gone) stops every server at once, in every
    phase; conversions stop, the requests in flight are cut, no other import is sent, the locks
    are released and each report says what was done.
  - Records each server's outcome in the run directory for M(xivo.confd.fleet_result), which
    gives each host its own changed, failed or unreachable state.
  - The connection options given to this task (usually through C(module_defaults) for
    C(group/xivo.confd.confd)) apply to every server whose role variables do not set them; the
    C(XIVO_CONFD_*) environment variables come next.
  - Under C(strategy=free), where C(run_once) is not applied, the first host's task does the work
    of the batch and the others find its outcomes.
author:
  - xivo.confd developers (@xivo-confd)
extends_documentation_fragment:
  - xivo.confd.connection
  - xivo.confd.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
options:
  host:
    description:
      - Not used as such, since each server's address is its C(xivo_user_migration_api_host).
        Given through C(module_defaults), it is the address of the servers that set none.
    type: str
    required: false
attributes:
  check_mode:
    support: full
    details: Plans every server (would create, would update, would fail with every reason,
      conflicts) and sends nothing; the converted files are written in the work directory (the
      plan needs them), no backup or report is written.
  diff_mode:
    support: full
    details: Each server's diff (the counts, then at most C(xivo_user_migration_diff_limit) users
      created or updated, secrets masked) is shown by its M(xivo.confd.fleet_result) task.
  bypass_host_loop:
    support: none
    details: Run it with C(run_once=true), as the role does; it works on the whole batch.
seealso:
  - module: xivo.confd.fleet_result
  - module: xivo.confd.user_import
  - name: The user_migration role
    description: The role that runs this module and M(xivo.confd.fleet_result).
    link: https://github.com/xivo-confd/xivo.confd/blob/main/roles/user_migration/README.md
'''

EXAMPLES = r'''
# What the role xivo.confd.user_migration does:
- name: Convert, back up and import every server of this batch at once
  xivo.confd.fleet_import:
  run_once: true
  register: batch

- name: Give this server its result
  xivo.confd.fleet_result:
    run_dir: "{{ batch.run_dir }}"
'''

RETURN = r'''
msg:
  description: One line per server of the batch, then one for the fleet (all batches so far).
  returned: always
  type: list
  elements: str
  sample:
    - "xivo-1 (10.0.0.1:9486): 12 created, 0 updated, 3 unchanged, 0 conflict, 0 failed (report: reports/runs/20261201T211000.123Z-1a2b3c/hosts/xivo-1.json)"
    - "fleet: 1 of 1 servers imported: 12 created, 0 updated, 3 unchanged, 0 conflict, 0 failed"
run_id:
  description: The identifier of the run (the same for every batch of one ansible-playbook run).
  returned: always
  type: str
run_dir:
  description: The directory where each server's outcome is recorded, for M(xivo.confd.fleet_result).
  returned: always
  type: str
'''

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: fleet_result
short_description: Give one XiVO server its own result of a fleet migration
version_added: 2.0.0
description:
  - Reads the outcome that M(xivo.confd.fleet_import) recorded for this inventory host and
    returns it as the host's own result, so that the recap shows each server as changed
    (users created or updated), failed (users that failed or are conflicts, a file that could
    not be converted, a wrong configuration, an interrupted import) or unreachable (the server
    could not be reached).
  - Runs on the controller and reads one small file.
author:
  - xivo.confd developers (@xivo-confd)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
options:
  run_dir:
    description:
      - The run directory returned by M(xivo.confd.fleet_import) (RV(xivo.confd.fleet_import#module:run_dir)).
      - Set this or O(from_result).
    type: path
  from_result:
    description:
      - The name of the variable the result of M(xivo.confd.fleet_import) was registered as;
        its RV(xivo.confd.fleet_import#module:run_dir) is read from it.
      - A plain name, not a template, so that nothing is compiled for each host of a large fleet.
      - Set this or O(run_dir).
    type: str
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reports the outcome of the check-mode run (would create, would update, would fail).
  diff_mode:
    support: full
    details: Shows the server's diff recorded by M(xivo.confd.fleet_import) (the counts, then the
      first users; secrets masked).
  platform:
    support: full
    platforms: posix
seealso:
  - module: xivo.confd.fleet_import
'''

EXAMPLES = r'''
- name: Give this server its result
  xivo.confd.fleet_result:
    run_dir: "{{ batch.run_dir }}"

- name: The same, naming the registered result (no template to compile per host)
  xivo.confd.fleet_result:
    from_result: batch
'''

RETURN = r'''
status:
  description: C(imported), C(checked) (check mode, nothing imported), C(not imported) (the
    host's inputs, the credentials refused, a file that could not be written) or
    C(unreachable).
  returned: when the outcome was found
  type: str
server:
  description: The server's address and port.
  returned: when the outcome was found
  type: str
summary:
  description: How many of the server's users ended in each status (as RV(xivo.confd.user_import#module:summary)).
  returned: when the outcome was found
  type: dict
files:
  description: The server's report of this run (C(report)), its latest copy (C(latest_report)), and
    the file of the rows to fix (C(to_fix)) when rows were not imported.
  returned: when the outcome was found
  type: dict
msg:
  description: The server's line, or why it failed.
  returned: always
  type: str
'''

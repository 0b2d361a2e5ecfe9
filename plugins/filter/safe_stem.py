# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter xivo.confd.safe_stem: a file name made from a host name, that stays in its directory."""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.reports import safe_stem

DOCUMENTATION = r'''
name: safe_stem
short_description: A file name made from an inventory host name that cannot leave its directory
version_added: 2.0.0
description:
  - Replaces anything but letters, digits, C(.), C(_) and C(-) by C(_), drops leading dots, and
    adds a short hash of the original when it changed anything, so that C(a/b) and C(a_b) stay
    apart. The role names its reports and backups this way.
author:
  - xivo.confd developers (@xivo-confd)
options:
  _input:
    description: The host name.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: The report of this host
  ansible.builtin.debug:
    msg: "reports/{{ inventory_hostname | xivo.confd.safe_stem }}.json"
'''

RETURN = r'''
_value:
  description: The file name stem.
  type: str
'''


class FilterModule:
    def filters(self):
        return {'safe_stem': safe_stem}

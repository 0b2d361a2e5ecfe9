# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # What every module of the collection shares: an action plugin working in the controller,
    # a member of the confd action group. Each module states its own check and diff support.
    # Modules also extend ansible.builtin.action_common_attributes (.flow, .actiongroups), which
    # describe these attributes; fragments cannot extend other fragments.
    DOCUMENTATION = r'''
attributes:
  action:
    support: full
  action_group:
    support: full
    membership:
      - xivo.confd.confd
  async:
    support: none
  bypass_host_loop:
    support: none
  platform:
    support: full
    platforms: posix
'''

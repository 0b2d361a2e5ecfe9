# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The lock kept on the server by every module that writes to it (user_import, user_remove,
    # and the role's fleet_import and rollback through their variables).
    DOCUMENTATION = r'''
options:
  server_lock:
    description:
      - "V(required): before its first write, the run takes a lock kept on the server itself, which every controller sees (two AWX
        jobs, two containers, two operators): a call permission named C(xivo-confd-import-lock),
        disabled, in mode deny, with no user and no extension (it has no effect on calls), whose
        description names the holder (what, run id, controller host name, process, user, since
        when). confd keeps call permission names unique, so exactly one run creates it; another
        run waits for it (O(lock_timeout)) or is refused with a message naming the holder and
        its age. Under the lock the run reads the users again and decides from that read (rows
        another run imported meanwhile are not sent again). A run that finds nothing to send
        (a re-run) writes nothing and takes no lock. The run deletes it (by its id, after checking the description is its own) when
        it ends: success, failure, or interruption (Ctrl-C, SIGTERM, a killed C(ansible-playbook)).
        The credentials need the ACLs C(confd.callpermissions.create),
        C(confd.callpermissions.read) and C(confd.callpermissions.*.delete) (or
        C(confd.callpermissions.#)); without them the run fails, naming the ACL, and sends
        nothing."
      - "V(local): no lock on the server, only the lock of this controller (a file in its
        temporary directory, which other controllers, containers and AWX jobs do not see); a
        warning says so. For credentials without the call permission ACLs, when you are sure no
        other controller writes to the server at the same time."
      - Check mode takes no lock and creates nothing on the server.
    type: str
    choices: [required, local]
    default: required
  break_lock:
    description:
      - "Remove a lock on the server left by a run that is gone (its controller, container or job
        was killed before it could release it): the lock seen at the first attempt is deleted,
        a warning names its holder and age, and this run takes the lock. Without it such a lock
        is never removed: the run is refused with the holder and the age of the lock."
      - Set it only once you are sure the holder no longer runs; a lock taken after that is
        waited for as usual.
    type: bool
    default: false
'''

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared base of the action plugins that talk to confd from the controller.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    CONNECTION_ARGSPEC, ConfdClient, ConfdError)
from ansible_collections.xivo.confd.plugins.module_utils.file_output import write_atomically
from ansible_collections.xivo.confd.plugins.module_utils.secrets import scrub_text


class ConfdActionBase(ActionBase):
    """Validates the arguments and builds the API client; subclasses do the work in run_confd."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGSPEC = {}
    MUTUALLY_EXCLUSIVE = [('token', 'username'), ('token', 'password')]
    REQUIRED_TOGETHER = [('username', 'password')]
    REQUIRED_ONE_OF = [('token', 'username')]

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(self.ARGSPEC)
        validation, args = self.validate_argument_spec(
            argument_spec=spec,
            mutually_exclusive=self.MUTUALLY_EXCLUSIVE,
            required_together=self.REQUIRED_TOGETHER,
            required_one_of=self.REQUIRED_ONE_OF,
        )
        del validation
        warnings = result.setdefault('warnings', [])
        if not args['validate_certs']:
            warnings.append('validate_certs is false: the identity of %s is not checked and '
                            'the credentials could be sent to anyone; set ca_path instead'
                            % args['host'])
        client = None
        secrets = set(value for value in (args.get('password'), args.get('token')) if value)
        try:
            client = ConfdClient(
                args['host'], port=args['port'], auth_port=args['auth_port'],
                token=args['token'], username=args['username'], password=args['password'],
                auth_method=args['auth_method'], auth_backend=args['auth_backend'],
                token_expiration=args['token_expiration'],
                validate_certs=args['validate_certs'], ca_path=args['ca_path'],
                timeout=args['timeout'], retries=args['retries'])
            result.update(self.run_confd(client, args, task_vars or {}, result))
            secrets |= client.secrets
        except ConfdError as exc:
            if client is not None:
                secrets |= client.secrets
            result['failed'] = True
            result['msg'] = scrub_text(str(exc), secrets)
        finally:
            if client is not None:
                client.close()
        if result.get('msg'):
            result['msg'] = scrub_text(result['msg'], secrets)
        if not warnings:
            result.pop('warnings')
        return result

    def run_confd(self, client, args, task_vars, result):
        raise NotImplementedError

    def local_path(self, path):
        """Resolve a controller path like other modules do (relative to the playbook)."""
        return self._loader.path_dwim(path)


def write_private_file(path, data, check_mode=False):
    """Write bytes atomically, mode 0600, only when they differ (creating the directory).

    Returns True when the file changed (or would have, in check mode).
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) and not check_mode:
        os.makedirs(directory, mode=0o700)
    if not os.path.isdir(directory):
        return True
    return write_atomically(path, data, mode=0o600, check_mode=check_mode)['changed']


def remove_file(path):
    """Remove a file left by an earlier run, if there is one."""
    if os.path.exists(path):
        os.remove(path)

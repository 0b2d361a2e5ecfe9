# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's fleet work, in pure functions: what each server is given (its options, inputs and
output directories checked), which inventory hosts are the same server, the outcome of each
server and where it is recorded. How outcomes are told is fleet_summary's part; the retention
of backups, fleet_backups'.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Used by the action plugins xivo.confd.fleet_import and xivo.confd.fleet_result, and their
plugin_utils (fleet_plan, fleet_host).
"""

from __future__ import annotations

import concurrent.futures
import json
import os

from ansible_collections.xivo.confd.plugins.module_utils import (
    file_output, output_directory, reports, role_options)
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import STATUSES, summarize
from ansible_collections.xivo.confd.plugins.module_utils.secrets import scrub_text
from ansible_collections.xivo.confd.plugins.module_utils.server_lock import server_identity
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

PREFIX = role_options.PREFIX

# The role's directories when their variable is empty, under the playbook directory.
DEFAULT_DIRS = role_options.DEFAULT_DIRS
# Role variables (without the prefix) that name files: relative to the playbook directory.
PATH_OPTIONS = ('legacy_csv', 'csv', 'work_dir', 'report_dir', 'backup_dir', 'ca_path')

# The statuses of a ServerOutcome.
IMPORTED = 'imported'               # every row was tried (some may have failed)
CHECKED = 'checked'                 # check mode: every row was checked, nothing was imported
DONE = (IMPORTED, CHECKED)
NOT_IMPORTED = 'not imported'       # configuration, conversion or file problem: nothing sent
UNREACHABLE = 'unreachable'         # the server could not be reached


def plain(value):
    """A templated value as plain str / int / list / dict (Ansible's tagged strings copy slowly,
    and the argument validator copies every value)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return dict((plain(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def default_dir(playbook_dir, name):
    return os.path.join(playbook_dir, DEFAULT_DIRS[name])


def host_options(validated, playbook_dir):
    """A host's checked role variables (role_options.check: without the prefix), with their
    paths taken from the playbook directory and the empty directories given their default."""
    values = dict(validated)
    # The part of each output directory the operator configured (a link they made there is
    # followed): the variable's value, or for a default the playbook directory; what lies
    # below is the collection's (output_directory.open_directory).
    bases = {}
    for name in DEFAULT_DIRS:
        if not values.get(name):
            values[name] = DEFAULT_DIRS[name]
            bases[name] = playbook_dir
    for name in PATH_OPTIONS:
        if values.get(name):
            values[name] = os.path.join(playbook_dir, os.path.expanduser(values[name]))
            bases.setdefault(name, values[name])
    values['bases'] = dict((name, bases[name]) for name in OUTPUT_DIRS if name in bases)
    return values


# The directories a host's run writes in, checked before anything is sent to any server.
OUTPUT_DIRS = ('work_dir', 'report_dir', 'backup_dir')
# Per-host files go under this subdirectory of a report directory, fleet-level files beside
# it: no inventory host name can make a per-host file take a fleet file's name.
HOSTS_DIR = 'hosts'


def host_file(directory, host, suffix):
    """A per-host file of a report directory (of a run, or the latest): hosts/<host><suffix>."""
    return reports.inside(os.path.join(directory, HOSTS_DIR), reports.safe_stem(host) + suffix)


def check_output_dirs(options, check_mode, checked=None, unusable=None):
    """(errors, warnings) of a host's output directories: each must be (or be made) a
    directory the running user can write, reached without a link someone else planted.
    ``checked``: a dict caching the answer per directory across the hosts of a run;
    ``unusable``: a set given the names of the options whose directory cannot be used."""
    errors, warnings = [], []
    checked = {} if checked is None else checked
    bases = options.get('bases') or {}
    for name in OUTPUT_DIRS:
        path = options.get(name)
        if not path or (check_mode and name != 'work_dir'):
            continue        # check mode writes no report nor backup
        # The directory and the ones the collection makes in it (a link planted there is
        # refused now, not after the import).
        for directory in [path] + [os.path.join(path, sub) for sub in SUBDIRS.get(name, ())]:
            key = (directory, bases.get(name), check_mode)
            if key not in checked:
                checked[key] = output_directory.check_output_directory(directory, bases.get(name),
                                                                       check_mode)
            error, found = checked[key]
            if error:
                errors.append('its %s %s (%s) cannot be used: %s' % (
                    name.replace('_dir', ' directory'), path, PREFIX + name, error))
                if unusable is not None:
                    unusable.add(name)
                break
            warnings.extend(w for w in found if w not in warnings)
    return errors, warnings


SUBDIRS = dict(work_dir=('runs',), report_dir=(HOSTS_DIR, 'runs'))


def duplicate_servers(servers):
    """{host: [other hosts]} for inventory hosts that reach the same server (address, port,
    and tenant on a Wazo server): two imports into one place at once would import users twice."""
    hosts = sorted(servers)
    # Names are resolved at once (a fleet named in DNS would otherwise wait for each in turn).
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(16, len(hosts)))) as pool:
        identities = list(pool.map(lambda host: server_identity(*servers[host]), hosts))
    by_server = {}
    for host, identity in zip(hosts, identities):
        by_server.setdefault(identity, []).append(host)
    duplicates = {}
    for identity, hosts in by_server.items():
        if len(hosts) > 1:
            for host in hosts:
                duplicates[host] = (identity, sorted(h for h in hosts if h != host))
    return duplicates


def server_label(host, port=None):
    """How messages and reports name a host's server before it is reached: 'host:port', or
    the host alone when the port is the platform's default (known once the server is
    reached: ConfdClient.reached)."""
    return ':'.join(str(part) for part in (host or '?', port) if part)


def reached_label(client, label=None):
    """How messages and reports name the server of ``client`` (a ConfdClient), the import's
    and the rollback's alike: 'host:port' as it was reached (platform auto finds the port:
    ConfdClient.reached); before that, ``label`` (server_label), else the client's host and
    port."""
    return client.reached or label or '%s:%s' % (client.host, client.port)


def duplicate_message(host, identity, others):
    return ('%s is the same server (%s) as %s: nothing was imported into any of them. Give each '
            'server (each tenant of a Wazo server) one inventory host (two imports into one '
            'server at once would import users twice).' % (host, identity, ', '.join(others)))


def unreadable_file(path, what, directory_allowed=False):
    """Why the input ``path`` (``what`` it is, for the message) cannot be read; '' when it
    can. Asked for every host before any server is touched: a wrong path fails its host
    alone, with this reason, instead of an error in the middle of the fleet's work."""
    if not os.path.exists(path):
        return '%s %s does not exist' % (what, path)
    if os.path.isdir(path):
        if directory_allowed:
            return '' if os.access(path, os.R_OK | os.X_OK) else \
                '%s %s is a directory that cannot be read' % (what, path)
        return '%s %s is a directory, not a file' % (what, path)
    try:
        with open(path, 'rb') as handle:
            handle.read(1)
    except OSError as exc:
        return '%s %s cannot be read: %s' % (what, path, exc.strerror or exc)
    return ''


def input_problems(options, connection):
    """Every reason a host's inputs cannot be used, from its role options (host_options) and
    its checked connection options: the files it reads (the source, the CA file). The
    directories it writes are check_output_dirs' part."""
    problems = []
    if options.get('legacy_csv'):
        problems.append(unreadable_file(options['legacy_csv'],
                                        'the legacy file (xivo_user_migration_legacy_csv)'))
    if options.get('csv'):
        problems.append(unreadable_file(options['csv'],
                                        'the confd file (xivo_user_migration_csv)'))
    if connection.get('ca_path') and connection.get('validate_certs', True):
        # A directory of certificates is what requests takes as well as a file.
        problems.append(unreadable_file(connection['ca_path'], 'the CA file (ca_path)',
                                        directory_allowed=True))
    return [p for p in problems if p]


def crashed(host, server, exc, outcomes=(), check_mode=False, secrets=()):
    """The outcome of a server whose work raised ``exc`` (a bug, or a file that could not be
    written): that server fails, with the reason; the others carry on. The rows handled
    before are counted (changed when users were created), the others are not tried."""
    summary = summarize(outcomes)
    for pending in [k for k in summary if k not in STATUSES and k != 'total']:
        summary['not_tried'] = summary.get('not_tried', 0) + summary.pop(pending)
    reason = sanitize_message(scrub_text('%s: %s' % (type(exc).__name__, exc), set(secrets)),
                              2000)
    done = summary.get('created', 0) + summary.get('updated', 0)
    msg = 'stopped by an unexpected error (%s)%s' % (
        reason, '; %d users were created or updated before it: see the report' % done
        if done else '; nothing was imported')
    return ServerOutcome.of(host, server, NOT_IMPORTED, msg, result=dict(summary=summary),
                            check_mode=check_mode)


class ServerOutcome(dict):
    """What one server's migration ended with: the small record fleet_result reads."""

    @classmethod
    def of(cls, host, server, status, msg='', result=None, conversion=None, files=None,
           check_mode=False):
        result = result or {}
        if status == IMPORTED and check_mode:
            status = CHECKED            # a dry run imports nothing: it never says "imported"
        summary = dict((k, (result.get('summary') or {}).get(k, 0)) for k in STATUSES)
        summary['total'] = (result.get('summary') or {}).get('total', 0)
        outcome = cls(host=host, server=server, status=status, msg=msg, summary=summary,
                      check_mode=check_mode, files=files or {},
                      conversion=conversion or {}, changed=bool(
                          summary['created'] or summary['updated'] or summary['would_create']
                          or summary['would_update']))
        for key in ('run_id', 'interrupted', 'error', 'timings', 'prediction', 'src'):
            if result.get(key):
                outcome[key] = result[key]
        return outcome

    @classmethod
    def of_run(cls, host, server, result, conversion=None, check_mode=False):
        """The outcome of a server whose ImportRun ended with ``result``: imported (or
        checked), or, when it sent nothing, not imported or unreachable, with the reason."""
        if result.get('error'):
            status = UNREACHABLE if result.get('unreachable') else NOT_IMPORTED
            return cls.of(host, server, status, result['error'], result=result,
                          conversion=conversion, check_mode=check_mode)
        return cls.of(host, server, IMPORTED, result['msg'], result=result,
                      conversion=conversion, check_mode=check_mode)


OUTCOME_SUFFIX = '.outcome.json'


def read_outcomes(run_dir, hosts=None):
    """The outcomes recorded so far in one run (all batches), by host: of ``hosts`` only when
    given (only their files are read: a batch reads back the other batches', not the hundreds
    it has just written)."""
    found = {}
    directory = os.path.join(run_dir, HOSTS_DIR)
    if not os.path.isdir(directory):
        return found
    names = set(name for name in os.listdir(directory) if name.endswith(OUTCOME_SUFFIX))
    if hosts is not None:
        names &= set(os.path.basename(outcome_path(run_dir, host)) for host in hosts)
    for name in sorted(names):
        text = file_output.read_private_file(os.path.join(directory, name), base=run_dir)
        if text is None:
            continue
        outcome = ServerOutcome(json.loads(text.decode('utf-8')))
        if hosts is None or outcome['host'] in hosts:
            found[outcome['host']] = outcome
    return found


def outcome_path(run_dir, host):
    return host_file(run_dir, host, OUTCOME_SUFFIX)

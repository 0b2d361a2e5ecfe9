# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared base of the action plugins that talk to confd from the controller.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    CONNECTION_ARGSPEC, ConfdClient, ConfdError)
from ansible_collections.xivo.confd.plugins.module_utils.output_directory import UnsafePath
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
        parent = os.getppid()
        result = super().run(tmp, task_vars)
        del tmp
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(self.ARGSPEC)
        # This worker's own copy of the task: its arguments, with what a subclass adds.
        self._task.args = self.task_args(task_vars or {})
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
        # What the task shows anyway: a secret equal to it reveals nothing and stays readable.
        public = set(value for value in (args.get('username'), args.get('host')) if value)
        try:
            client = client_from_args(args)
            out = self.run_confd(client, args, task_vars or {}, result)
            warnings.extend(out.pop('warnings', ()))
            result.update(out)
            secrets |= client.secrets
        except ConfdError as exc:
            if client is not None:
                secrets |= client.secrets
            result['failed'] = True
            result['msg'] = scrub_text(str(exc), secrets, public)
        except UnsafePath as exc:
            # An output place refused (a planted link, not a directory): named, not a traceback.
            result['failed'] = True
            result['msg'] = str(exc)
        finally:
            if client is not None:
                client.close()
                warnings.extend(scrub_text(event, secrets, public) for event in client.events)
        if result.get('msg'):
            result['msg'] = scrub_text(result['msg'], secrets, public)
        if result.get('interrupted') and result.get('users'):
            # An interrupted ansible-core 2.16 waits for its workers without reading their
            # results: a large one would never be written. The report holds every user.
            warnings.append('interrupted: the result of each of the %d users is left out of the '
                            'task result; the report file has them' % len(result['users']))
            result['users'] = []
        if not warnings:
            result.pop('warnings')
        exit_if_orphaned(parent)
        return result

    def task_args(self, task_vars):
        """The arguments to validate: the task's (a subclass may add to them)."""
        del task_vars
        return self._task.args

    def run_confd(self, client, args, task_vars, result):
        raise NotImplementedError

    def local_path(self, path):
        """Resolve a controller path like other modules do (relative to the playbook)."""
        return self._loader.path_dwim(path)


def exit_if_orphaned(parent):
    """End this worker when its playbook is gone (its parent ``parent`` ended, e.g. kill -9):
    no one can receive the result any more, and an ansible-core 2.16 worker would then wait
    for ever to write it into the pipe of its dead parent. Call it once the task's reports are
    written and its tokens revoked."""
    if os.getppid() != parent:
        os._exit(1)


def client_from_args(args):
    """The API client for validated connection arguments (checked before any request)."""
    return ConfdClient(
        args['host'], port=args['port'], auth_port=args['auth_port'],
        token=args['token'], username=args['username'], password=args['password'],
        auth_method=args['auth_method'], auth_backend=args['auth_backend'],
        token_expiration=args['token_expiration'],
        validate_certs=args['validate_certs'], ca_path=args['ca_path'],
        timeout=args['timeout'], retries=args['retries'],
        connect_timeout=args.get('connect_timeout') or 10, deadline=args.get('deadline') or 300,
        platform=args.get('platform') or 'auto', tenant=args.get('tenant'),
        api_prefix=args.get('api_prefix'))


class StopWatch:
    """Tells a long import when to stop at its next batch boundary: the playbook was
    interrupted (SIGINT/SIGTERM reach the worker), or it is gone (kill -9 of ansible-playbook
    leaves the worker running, re-parented). A second SIGINT stops at once, as before.
    (An interrupted ansible-playbook forwards SIGINT to its workers, then terminates them with
    SIGTERM, more than once, as it exits: SIGTERM only confirms the stop.)

    Use as a context manager in the thread that runs the task; ``reason()`` is safe from any
    thread.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, on_stop=None, poll=0.25):
        # on_stop(reason): called once, from a thread of its own that looks every ``poll``
        # seconds, e.g. to cut the requests in flight. Never from the signal handler: a handler
        # runs between two instructions of the main thread, which may hold a lock that
        # on_stop needs (starting a thread takes one), and would wait for ever.
        self.on_stop = on_stop
        self.poll = poll
        self._exited = threading.Event()
        self._parent = os.getppid()
        self._signalled = None
        self._received = set()
        self._previous = {}

    def _handler(self, signum, frame):
        name = signal.Signals(signum).name
        if name not in self._received or signum == signal.SIGTERM:
            self._received.add(name)
            self._signalled = self._signalled or name
            return
        previous = self._previous.get(signum)
        signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        else:
            os.kill(os.getpid(), signum)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handler)
        if self.on_stop is not None:
            threading.Thread(target=self._watch, daemon=True).start()
        return self

    def _watch(self):
        while not self._exited.wait(self.poll):
            reason = self.reason()
            if reason:
                self.on_stop(reason)
                return

    def __exit__(self, *exc):
        self._exited.set()
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous = {}

    def reason(self):
        if self._signalled:
            return 'the playbook was interrupted (%s)' % self._signalled
        if os.getppid() != self._parent:
            return 'the playbook is gone (its process %d ended)' % self._parent
        return None


def waiting_line(host, client, what, where, seconds):
    """The progress line of a server that keeps the run waiting for an answer."""
    return ('%s: waiting for %s to answer the %s (%ds so far); after %ss without an answer, '
            'retries included, it is reported unreachable (deadline)'
            % (host, where, what, seconds, '%g' % client.deadline))


class WaitingLines:
    """While a single import runs in the main thread, a line every ``every`` seconds when its
    server keeps it waiting for an answer (a thread of its own; ``show`` is Display's)."""

    def __init__(self, host, client, every, show):
        self.host, self.client, self.every, self.show = host, client, max(0.2, every), show
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._done.wait(self.every):
            waiting = self.client.waiting_for()
            if waiting and waiting[2] >= self.every:
                self.show(waiting_line(self.host, self.client, *waiting))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join(5)


def progress_printer(label, every, clock=time.monotonic, show=None):
    """A progress callback that prints one line at most every ``every`` seconds (and the
    last one), so that a long import shows it is moving without flooding the output."""
    show = show or Display().display
    state = {'last': clock()}

    def progress(done, total, imported, failed):
        now = clock()
        if done < total and now - state['last'] < every:
            return
        state['last'] = now
        show('%s: %d of %d rows sent (%d imported, %d failed)'
             % (label, done, total, imported, failed))
    return progress

"""Many emulated servers on consecutive loopback addresses, certificates from ONE test CA; servers
of several kinds (profiles: XiVO confd 16.x, Wazo Platform 26.08) may be mixed in one fleet."""
import ipaddress
import os
import shutil
import tempfile
import weakref

from .profiles import profile_named
from .server import stop_all


class Fleet:
    """`profiles`: one profile name per server, cycled ('16.15', 'wazo-26.08', …; default: the
    `version` keyword, else 16.15); `per_server`: a list of keyword dicts, cycled, added to each
    server's (e.g. a Wazo server's `seed` or `layout`). Ports given apply to every server; left
    out, each kind uses its own (16.x: 9486/9497; Wazo >= 20.07: 443)."""

    def __init__(self, count, first_address='127.0.1.10', port=None, auth_port=None, ca_path=None, profiles=None,
                 per_server=None, **kwargs):
        import trustme
        self.ca = trustme.CA()
        if ca_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix='confd-fleet-')
            weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
            ca_path = os.path.join(self._tmpdir, 'ca.pem')
        self.ca_path = ca_path
        self.ca.cert_pem.write_to_path(ca_path)
        first = ipaddress.ip_address(first_address)
        profiles = list(profiles or [kwargs.pop('version', '16.15')])
        kwargs.pop('version', None)
        per_server = list(per_server or [{}])
        ports = {key: value for key, value in (('port', port), ('auth_port', auth_port)) if value is not None}
        self.servers = []
        for i in range(count):
            options = dict(kwargs, **ports)
            options.update(per_server[i % len(per_server)])
            profile = profile_named(profiles[i % len(profiles)])
            self.servers.append(profile.make_server(address=str(first + i), ca=self.ca, **options))

    def start(self):
        started = []
        try:
            for server in self.servers:
                server.start()
                started.append(server)
        except Exception:
            stop_all(started)
            raise
        return self

    def stop(self):
        stop_all(self.servers)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def __iter__(self):
        return iter(self.servers)

    def __len__(self):
        return len(self.servers)

"""Many emulated servers on consecutive loopback addresses, certificates from ONE test CA."""
import ipaddress
import os
import shutil
import tempfile
import weakref

from .server import EmulatorServer, stop_all


class Fleet:
    def __init__(self, count, first_address='127.0.1.10', port=9486, auth_port=9497, ca_path=None, **kwargs):
        import trustme
        self.ca = trustme.CA()
        if ca_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix='confd-fleet-')
            weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
            ca_path = os.path.join(self._tmpdir, 'ca.pem')
        self.ca_path = ca_path
        self.ca.cert_pem.write_to_path(ca_path)
        first = ipaddress.ip_address(first_address)
        self.servers = [EmulatorServer(address=str(first + i), port=port, auth_port=auth_port, ca=self.ca, **kwargs)
                        for i in range(count)]

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

# -*- coding: utf-8 -*-
"""Scripted fake servers that misbehave in ways the emulator cannot: a server that accepts
connections and never answers (not even the TLS handshake), and one that completes TLS, reads
the request and sends only the first bytes of an answer."""

from __future__ import annotations

import socket
import ssl
import threading

import trustme


class HungServer:
    """Listens on ``address`` (two ephemeral ports: confd and xivo-auth), accepts every
    connection and never sends a byte. ``answer_bytes``: complete TLS (with a certificate of
    its own CA, ``ca_path``), read the request, send that many bytes of an HTTP answer, then
    nothing more. ``connections`` counts what was accepted."""

    ANSWER = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"'

    def __init__(self, address, answer_bytes=None, ca_dir=None):
        self.address = address
        self.answer_bytes = answer_bytes
        self.connections = 0
        self._held = []
        self._stop = threading.Event()
        self._listeners = []
        self._context = None
        self.ca_path = None
        if answer_bytes is not None:
            ca = trustme.CA()
            cert = ca.issue_cert(address)
            self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(self._context)
            self.ca_path = str(ca_dir / ('hung-ca-%s.pem' % address))
            ca.cert_pem.write_to_path(self.ca_path)
        for dummy in range(2):
            listener = socket.socket()
            listener.bind((address, 0))
            listener.listen(64)
            listener.settimeout(0.2)
            self._listeners.append(listener)
        self.port, self.auth_port = (s.getsockname()[1] for s in self._listeners)
        self._threads = [threading.Thread(target=self._serve, args=(s,), daemon=True)
                         for s in self._listeners]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        for sock in self._held + self._listeners:
            try:
                sock.close()
            except OSError:
                pass

    def _serve(self, listener):
        while not self._stop.is_set():
            try:
                conn, dummy = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)
            if self._context is not None:
                threading.Thread(target=self._answer_part, args=(conn,), daemon=True).start()

    def _answer_part(self, conn):
        try:
            conn.settimeout(10)
            tls = self._context.wrap_socket(conn, server_side=True)
            self._held.append(tls)
            tls.recv(65536)
            tls.sendall(self.ANSWER[:self.answer_bytes])
        except (OSError, ssl.SSLError):
            pass

# -*- coding: utf-8 -*-
"""Where the client finds its server (ServerLocation): the platform probe, and what its
GET /infos saves a run (issue 22: each HTTPS request costs the controller CPU, 200 servers
at once)."""

from __future__ import annotations

import json

from ansible_collections.xivo.confd.plugins.module_utils import import_run
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
from ansible_collections.xivo.confd.tests.unit.plugins.module_utils.scripted_confd import (
    ScriptedXivoSession)


def run_import(tmp_path, platform, infos_refused=False):
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname,exten,context,line_protocol,username,password\n'
                   'Jean,Dupont,1001,default,sip,jdupont,Secret-1001\n')
    session = ScriptedXivoSession()
    session.infos_refused = infos_refused
    client = ConfdClient('xivo.example', username='ws', password='pw-secret', session=session,
                         platform=platform, sleep=lambda seconds: None)
    report_path = tmp_path / ('report-%s.json' % platform)
    try:
        result = import_run.ImportRun(client, str(src), dict(
            report_dest=str(report_path), lock_dir=str(tmp_path / 'locks'), preflight=False),
            host='h').run()
    finally:
        client.close()
    assert result['summary']['created'] == 1, result
    return session.requests, json.loads(report_path.read_text())


def test_a_run_with_platform_auto_reads_infos_twice_and_an_explicit_one_once(tmp_path):
    asked, report = run_import(tmp_path, 'auto')
    # Without credentials (XiVO 16.15 answers a Digest challenge), then with the token: that
    # answer is the report's identity, not read a third time.
    assert asked[:3] == [('GET', '/1.1/infos'), ('POST', '/0.1/token'), ('GET', '/1.1/infos')]
    assert asked.count(('GET', '/1.1/infos')) == 2, asked
    assert report['server_identity'] == dict(uuid='server-1', platform='xivo', tenant=None,
                                             api='https://xivo.example:9486')
    asked, report = run_import(tmp_path, 'xivo')
    assert asked.count(('GET', '/1.1/infos')) == 1, asked
    assert report['server_identity']['uuid'] == 'server-1'


def test_infos_the_credentials_may_not_read_is_read_again_and_its_refusal_reported(tmp_path):
    asked, report = run_import(tmp_path, 'auto', infos_refused=True)
    # The probe's refused answer is not the identity: the run reads it (and is refused).
    assert asked.count(('GET', '/1.1/infos')) > 2, asked
    identity = report['server_identity']
    assert identity['uuid'] is None and identity['platform'] == 'xivo'
    assert 'refused the read of the server identity (infos) (401)' in identity['error']

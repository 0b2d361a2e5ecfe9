# -*- coding: utf-8 -*-
"""The role migrates a mixed fleet in one run (issue 23): two XiVO 16.15 servers and two Wazo
Platform 26.08 servers of the emulator, the Wazo hosts in two tenants (one given by uuid with
``platform: wazo``, one by name with the ``auto`` probe; the second tenant names its contexts
with other labels, given by ``context_map``), all from one cp1252 pipe-delimited legacy XiVO
file, through ansible-playbook: dry run, run, re-run unchanged, rollback in each platform's
removal order. The Wazo user has the policy of the Wazo guide, not ``#``."""

from __future__ import annotations

import requests

from tests.emulator import Fleet
from tests.emulator.wazo.server import DEFAULT_CONTEXTS
from tests.integration.playbook import run_playbook

USER, PASSWORD = 'migrator', 'Migrator-Pass-7e1'
TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
TENANT_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
# Tenant B labels its contexts in French: the legacy names reach them through context_map.
CONTEXTS_B = [dict(c, label={'default': 'interne', 'from-extern': 'entrant',
                             'to-extern': 'sortant'}[c['label']]) for c in DEFAULT_CONTEXTS]
# The policy docs/docsite/rst/guide_wazo.rst gives the migration's wazo-auth user: the import's
# ACLs and the rollback's (a SIP endpoint kept by it detached once its line's links are gone).
POLICY = [
    'confd.infos.read', 'confd.users.read', 'confd.users.export.read',
    'confd.users.import.create', 'confd.contexts.read', 'confd.extensions.read',
    'confd.endpoints.sip.read', 'confd.lines.read', 'confd.voicemails.read',
    'confd.callpermissions.read',
    'confd.callpermissions.create', 'confd.callpermissions.*.delete', 'auth.tenants.read',
    'auth.users.read',
    'confd.users.*.read', 'confd.users.*.voicemails.delete', 'confd.voicemails.*.read',
    'confd.voicemails.*.delete', 'confd.incalls.*.delete', 'confd.extensions.*.read',
    'confd.extensions.*.delete', 'confd.lines.*.delete', 'confd.users.*.delete',
    'auth.users.*.delete', 'confd.users.*.lines.*.delete', 'confd.lines.*.extensions.*.delete',
    'confd.lines.*.endpoints.sip.*.delete',
]
# A XiVO 15.x web-interface export: cp1252, pipes; an incall, a SIP name that exists free on
# the first Wazo server (reused, so the rollback must leave it), a voicemail, an SCCP line.
LEGACY = ('entityid|firstname|lastname|phonenumber|context|protocol|username|password|linename|'
          'incallexten|incallcontext|voicemailname|voicemailnumber|voicemailcontext|'
          'voicemailpassword\r\n'
          '1|Hélène|Durand|1101|default|sip|hdurand|Pw-1101||2101|from-extern||||\r\n'
          '1|Zoé|Martin|1102|default|sip|zmartin|Pw-1102|wzreuse|||||\r\n'
          '1|François|Pérez|1103|default|sip|fperez|Pw-1103||||François Pérez|1103|default|'
          '4321\r\n'
          '1|Noël|Crèche|1104|default|sccp|ncreche|Pw-1104||||||\r\n'
          '1|Émile|Zola|1105|default|sip|ezola|Pw-1105||||||\r\n')
FIRST_NAMES = ['Hélène', 'Zoé', 'François', 'Noël', 'Émile']
ROLE = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
ROLLBACK = [{'name': 'undo', 'ansible.builtin.include_role': {
    'name': 'xivo.confd.user_migration', 'tasks_from': 'rollback'}}]


def mixed_fleet():
    tenants = [{'uuid': TENANT_A, 'name': 'tenanta', 'contexts': DEFAULT_CONTEXTS},
               {'uuid': TENANT_B, 'name': 'tenantb', 'contexts': CONTEXTS_B}]
    return Fleet(4, first_address='127.0.94.10', port=0, auth_port=0,
                 profiles=['16.15', 'wazo-26.08'],
                 seed={'ws_users': [{'login': USER, 'password': PASSWORD, 'acls': ['confd.#']}]},
                 wazo_seed={'tenants': tenants, 'auth_users': [
                     {'username': 'root', 'password': 'secret', 'tenant': 'master', 'acls': ['#']},
                     {'username': USER, 'password': PASSWORD, 'tenant': 'master',
                      'acls': POLICY}]})


def inventory(fleet, tmp_path):
    legacy = tmp_path / 'legacy-xivo.csv'
    legacy.write_bytes(LEGACY.encode('cp1252'))
    xivo_a, wazo_a, xivo_b, wazo_b = fleet.servers
    hosts = {
        'xivo-paris': {'ansible_host': xivo_a.address, 'xivo_user_migration_api_port': xivo_a.port,
                       'xivo_user_migration_auth_port': xivo_a.auth_port},
        'xivo-lyon': {'ansible_host': xivo_b.address, 'xivo_user_migration_api_port': xivo_b.port,
                      'xivo_user_migration_auth_port': xivo_b.auth_port,
                      'xivo_user_migration_platform': 'xivo'},
        'wazo-nord': {'ansible_host': wazo_a.address, 'xivo_user_migration_api_port': wazo_a.port,
                      'xivo_user_migration_platform': 'wazo',
                      'xivo_user_migration_tenant': TENANT_A},
        'wazo-sud': {'ansible_host': wazo_b.address, 'xivo_user_migration_api_port': wazo_b.port,
                     'xivo_user_migration_tenant': 'tenantb',
                     'xivo_user_migration_context_map': {'default': 'interne',
                                                         'from-extern': 'entrant'}},
    }
    common = {'xivo_user_migration_legacy_csv': str(legacy),
              'xivo_user_migration_username': USER, 'xivo_user_migration_password': PASSWORD,
              'xivo_user_migration_ca_path': fleet.ca_path,
              'xivo_user_migration_work_dir': str(tmp_path / 'work'),
              'xivo_user_migration_report_dir': str(tmp_path / 'reports')}
    for values in hosts.values():
        values.update(common)
    return hosts


class Root:
    """The emulated Wazo server as its root sees it (what the test checks and sets up)."""

    def __init__(self, server, tenant, ca_path):
        self.server, self.tenant, self.ca_path = server, tenant, ca_path
        self.confd, self.auth = server.url + '/1.1', server.auth_url + '/0.1'
        answer = requests.post(self.auth + '/token', auth=('root', 'secret'),
                               json={'expiration': 600}, verify=ca_path, timeout=30)
        answer.raise_for_status()
        self.headers = {'X-Auth-Token': answer.json()['data']['token'], 'Wazo-Tenant': tenant}

    def call(self, method, path, headers=None, **kwargs):
        answer = requests.request(method, self.confd + path, headers=headers or self.headers,
                                  verify=self.ca_path, timeout=30, **kwargs)
        assert answer.status_code < 300, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def items(self, collection):
        return self.call('GET', '/' + collection)['items']

    def logins(self):
        """The wazo-auth logins of the tenant."""
        answer = requests.get(self.auth + '/users', headers=self.headers, verify=self.ca_path,
                              timeout=30)
        answer.raise_for_status()
        return sorted(u['username'] for u in answer.json()['items'])

    def context(self, label):
        names = [c['name'] for c in self.items('contexts') if c['label'] == label]
        assert len(names) == 1, names
        return names[0]

    def free_sip_endpoint(self, name):
        """A SIP endpoint on no line (what a line deleted after its endpoint was detached
        leaves): import a user with it, then undo everything else."""
        created, = self.call('POST', '/users/import', headers=dict(
            self.headers, **{'Content-Type': 'text/csv; charset=utf-8'}), data=(
                'firstname,context,line_protocol,exten,sip_username\n'
                'Setup,%s,sip,1999,%s\n' % (self.context('default'), name)).encode())['created']
        line, user = created['line_id'], created['user_uuid']
        for path in ('/users/%s/lines/%s' % (user, line),
                     '/lines/%s/extensions/%s' % (line, created['extension_id']),
                     '/lines/%s/endpoints/sip/%s' % (line, created['sip_uuid']),
                     '/lines/%s' % line, '/extensions/%s' % created['extension_id'],
                     '/users/%s' % user):
            self.call('DELETE', path)
        requests.delete('%s/users/%s' % (self.auth, user), headers=self.headers,
                        verify=self.ca_path, timeout=30).raise_for_status()
        return created['sip_uuid']


def per_host(run):
    return next(v for k, v in run.results.items() if k.endswith('Give this server its result'))


def fleet_lines(run):
    return [line for line in run.stdout.splitlines() if line.lstrip(' "').startswith('fleet: ')]


def test_a_mixed_fleet_in_one_run_dry_run_run_rerun_rollback(tmp_path):
    with mixed_fleet() as fleet:
        xivo_a, wazo_a, xivo_b, wazo_b = fleet.servers
        nord, sud = Root(wazo_a, TENANT_A, fleet.ca_path), Root(wazo_b, TENANT_B, fleet.ca_path)
        kept_sip = nord.free_sip_endpoint('wzreuse')
        hosts = inventory(fleet, tmp_path)

        # 1. Dry run: every row predicted on every server, nothing sent.
        run = run_playbook(tmp_path, ROLE, hosts=hosts, extra_args=['--check'], name='check')
        assert run.returncode == 0, run.stdout[-4000:]
        for host, result in per_host(run).items():
            assert result['summary']['would_create'] == 5, (host, result)
        assert not any(server.users() for server in fleet)

        # 2. Run: five users per server, into the right tenant, in its contexts by label.
        run = run_playbook(tmp_path, ROLE, hosts=hosts, name='run')
        assert run.returncode == 0, run.stdout[-4000:]
        results = per_host(run)
        run_id = next(iter(next(v for k, v in run.results.items() if k.endswith(
            'import every server of this batch at once')).values()))['run_id']
        assert sorted(results) == ['wazo-nord', 'wazo-sud', 'xivo-lyon', 'xivo-paris']
        for host, result in results.items():
            assert result['changed'] and result['summary']['created'] == 5, (host, result)
        assert [line.split(': ', 1)[1][:30] for line in fleet_lines(run)] == \
            ['4 of 4 servers imported: 20 cr'], run.stdout[-3000:]
        for server in (xivo_a, xivo_b):
            assert sorted(u['firstname'] for u in server.users()) == sorted(FIRST_NAMES)
        for root, other in ((nord, TENANT_B), (sud, TENANT_A)):
            users = dict((u['firstname'], u) for u in root.server.users(root.tenant))
            assert sorted(users) == sorted(FIRST_NAMES) and not root.server.users(other)
            internal = root.context('default' if root is nord else 'interne')
            incall = root.context('from-extern' if root is nord else 'entrant')
            assert all(u['context'] == internal for u in users.values())
            assert (users['Hélène']['incall_exten'], users['Hélène']['incall_context']) == \
                ('2101', incall)
            assert users['François']['voicemail_context'] == internal
            assert users['Noël']['line_protocol'] == 'sccp'
            assert root.logins() == sorted(u['username'] for u in users.values())
        # The 16.x columns Wazo would drop without a word are said, on the Wazo hosts only.
        assert 'entity_id: 5 rows had a value' in ' '.join(
            results['wazo-nord'].get('warnings', []) + [results['wazo-nord']['msg']] +
            [run.stdout])
        assert [e['uuid'] for e in nord.items('endpoints/sip') if e['name'] == 'wzreuse'] == \
            [kept_sip]

        # 3. Re-run: nothing to do anywhere.
        run = run_playbook(tmp_path, ROLE, hosts=hosts, name='again')
        assert run.returncode == 0, run.stdout[-4000:]
        for host, result in per_host(run).items():
            assert not result['changed'] and result['summary']['unchanged'] == 5, (host, result)
        assert 'changed=1' not in run.stdout

        # 4. Rollback of the run that created them (the latest run created nothing): each
        # platform's removal order; the SIP endpoint that existed before stays, free; nothing
        # else the run made is left (wazo-auth users included).
        run = run_playbook(tmp_path, ROLLBACK, hosts=hosts, name='rollback',
                           extra_args=['-e', 'xivo_user_migration_rollback_run=%s' % run_id])
        assert run.returncode == 0, run.stdout[-4000:]
        assert not any(server.users() for server in fleet)
        for root in (nord, sud):
            assert not root.items('lines') and not root.items('voicemails')
            assert not root.items('incalls')
            assert root.logins() == []
        assert [(e['uuid'], e.get('line')) for e in nord.items('endpoints/sip')] == \
            [(kept_sip, None)]
        assert not sud.items('endpoints/sip')
        undone = dict((k, v) for k, v in run.results.items() if 'Remove what the chosen' in k)
        for host, result in next(iter(undone.values())).items():
            assert result['summary']['removed'] == 5, (host, result)


def test_two_tenants_of_one_wazo_server_are_two_hosts_of_one_run(tmp_path):
    """Operators keep one Wazo server for several customers, a tenant each: each tenant is an
    inventory host of the same server, imported in the same run (the same tenant twice is still
    refused as the same place)."""
    legacy_b = LEGACY.replace('Pw-11', 'Pw-12').replace('|110', '|120').replace(
        'durand|', 'durand2|').replace('martin|', 'martin2|').replace('perez|', 'perez2|').replace(
        'creche|', 'creche2|').replace('zola|', 'zola2|').replace('wzreuse', '').replace(
        '|2101|', '|2201|')
    with Fleet(1, first_address='127.0.94.40', port=0, auth_port=0, profiles=['wazo-26.08'],
               wazo_seed={'tenants': [
                   {'uuid': TENANT_A, 'name': 'tenanta', 'contexts': DEFAULT_CONTEXTS},
                   {'uuid': TENANT_B, 'name': 'tenantb', 'contexts': CONTEXTS_B}],
                   'auth_users': [
                       {'username': 'root', 'password': 'secret', 'tenant': 'master',
                        'acls': ['#']},
                       {'username': USER, 'password': PASSWORD, 'tenant': 'master',
                        'acls': POLICY}]}) as fleet:
        server, = fleet.servers
        (tmp_path / 'a.csv').write_bytes(LEGACY.encode('cp1252'))
        (tmp_path / 'b.csv').write_bytes(legacy_b.encode('cp1252'))
        common = {'ansible_host': server.address, 'xivo_user_migration_api_port': server.port,
                  'xivo_user_migration_platform': 'wazo',
                  'xivo_user_migration_username': USER, 'xivo_user_migration_password': PASSWORD,
                  'xivo_user_migration_ca_path': fleet.ca_path,
                  'xivo_user_migration_work_dir': str(tmp_path / 'work'),
                  'xivo_user_migration_report_dir': str(tmp_path / 'reports')}
        hosts = {
            'customer-a': dict(common, xivo_user_migration_tenant=TENANT_A,
                               xivo_user_migration_legacy_csv=str(tmp_path / 'a.csv')),
            'customer-b': dict(common, xivo_user_migration_tenant='tenantb',
                               xivo_user_migration_legacy_csv=str(tmp_path / 'b.csv'),
                               xivo_user_migration_context_map={'default': 'interne',
                                                                'from-extern': 'entrant'}),
        }
        run = run_playbook(tmp_path, ROLE, hosts=hosts, name='tenants')
        assert run.returncode == 0, run.stdout[-4000:]
        for host, result in per_host(run).items():
            assert result['summary']['created'] == 5, (host, result)
        for tenant in (TENANT_A, TENANT_B):
            assert sorted(u['firstname'] for u in server.users(tenant)) == sorted(FIRST_NAMES)

        # The same tenant as two hosts (by uuid and by name) is one place: both refused, named.
        hosts['customer-b-again'] = dict(hosts['customer-b'], xivo_user_migration_tenant='TenantB')
        run = run_playbook(tmp_path, ROLE, hosts=hosts, name='twice')
        assert run.returncode != 0
        results = per_host(run)
        assert results['customer-a']['summary']['unchanged'] == 5, results['customer-a']
        for host in ('customer-b', 'customer-b-again'):
            assert 'is the same server' in results[host]['msg'], results[host]

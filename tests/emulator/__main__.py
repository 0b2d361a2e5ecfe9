"""python -m tests.emulator: start one emulated XiVO (or a fleet) until SIGTERM/SIGINT."""
import argparse
import json
import shutil
import signal
import sys
import threading

from .fleet import Fleet
from .profiles import profile_named
from .server import stop_all


def main(argv=None):
    p = argparse.ArgumentParser(
        prog='python -m tests.emulator',
        description='Emulated XiVO confd 16.x (HTTPS) + xivo-auth, for tests only. Defaults: web-services '
                    'user admin/passadmin (Digest on confd, backend xivo_service on xivo-auth, ACL confd.#); '
                    'web-interface admin root/secret (backend xivo_admin, ACL confd.#); seed: entity 1 '
                    '"xivotest", contexts __switchboard_directory (others), from-extern (incall 2000-2999), '
                    'default (internal 1000-1999), to-extern (outcall), the 33 feature-code extensions of '
                    'xivo-features, CTI profiles Supervisor/Agent/Client/Switchboard. '
                    'Control endpoint: /_emulator/{state,faults,reset,seed,speed} on both ports.')
    p.add_argument('--address', default='127.0.0.2', help='listen address (default 127.0.0.2)')
    p.add_argument('--port', type=int, help='confd port (default 9486; Wazo >= 20.07: the one HTTPS port, default '
                                            '443; 0 = ephemeral)')
    p.add_argument('--auth-port', type=int, help='xivo-auth / wazo-auth port (default 9497; 0 = ephemeral)')
    p.add_argument('--profile', help='server kind, or a comma-separated list cycled over --fleet: 16.15, 16.12, '
                                     '16.08 (XiVO confd, default: --version) or wazo-26.08 (Wazo Platform: '
                                     'tenants, wazo-auth)')
    p.add_argument('--layout', choices=('api', 'ports'), default='api',
                   help='Wazo address layout: api (>= 20.07, default: one HTTPS port, /api/confd/1.1 and '
                        '/api/auth/0.1) or ports (earlier: confd 9486 /1.1, wazo-auth 9497 /0.1)')
    p.add_argument('--wazo-seed', help='JSON seed file of the Wazo servers (tenants, auth_users, users: see '
                                       'tests/emulator/wazo/server.py); default: tenant "tenanta" with contexts '
                                       'default / from-extern / to-extern, wazo-auth users root/secret and '
                                       'admin/passadmin in the master tenant')
    p.add_argument('--cert', help='server certificate PEM (default: made at run time with trustme)')
    p.add_argument('--key', help='private key PEM for --cert')
    p.add_argument('--ca-out', help='write the test CA PEM here (when the emulator makes its certificates)')
    p.add_argument('--ws-user', default='admin', help='web-services login (default admin)')
    p.add_argument('--ws-password', default='passadmin', help='web-services password (default passadmin)')
    p.add_argument('--version', default='16.15', help='confd behaviour: 16.15 (default), 16.12, 16.08, ...')
    p.add_argument('--state', help='JSON state file: loaded at start, saved after each committed change '
                                   '(fleet: one file per server, suffixed with the address)')
    p.add_argument('--seed', help='JSON seed file (see seed.py)')
    p.add_argument('--fleet', type=int, default=0, help='start N servers on consecutive addresses from --address')
    p.add_argument('--latency', type=float, help='fault: seconds added to each confd request')
    p.add_argument('--fail-nth', type=int, help='fault: answer the Nth confd request with --fail-status')
    p.add_argument('--fail-status', type=int, default=500, help='status for --fail-nth (default 500)')
    p.add_argument('--drop-after-commit', type=int, help='fault: commit the Nth import then close the socket')
    p.add_argument('--token-ttl', type=float, help='fault: tokens expire after this many seconds')
    p.add_argument('--slow-rows', type=float, help='fault: seconds slept per imported row, holding the store')
    p.add_argument('--faults', help='JSON object of faults set at start, as POST /_emulator/faults takes it '
                                    '(e.g. \'{"redirect": {"status": 307, "location": "https://127.0.0.99:1/x"}}\')')
    p.add_argument('--row-cost', type=float, default=0.0,
                   help='speed model: seconds of server time per row of an import request, failing rows '
                        'included (real 16.15: 0.2; 0.002 = 100x faster; default 0 = off)')
    p.add_argument('--request-cost', type=float, default=0.0,
                   help='speed model: seconds of server time per import request (real 16.15: ~0)')
    p.add_argument('--read-scale', type=float, default=0.0,
                   help='Wazo speed model of the reads: the measured 26.08 CPU per item listed (/users, /lines, '
                        '/endpoints/sip, /extensions, the export) times this (1 = the real server; default 0 = off)')
    p.add_argument('--no-shuffle', action='store_true', help='export rows in insertion order')
    args = p.parse_args(argv)

    profiles = [profile_named(name) for name in (args.profile or args.version).split(',')]
    common = dict(ws_user=args.ws_user, ws_password=args.ws_password, shuffle_export=not args.no_shuffle,
                  row_cost=args.row_cost, request_cost=args.request_cost, layout=args.layout,
                  read_scale=args.read_scale)
    common.update({key: value for key, value in (('port', args.port), ('auth_port', args.auth_port))
                   if value is not None})
    common.update(seed=args.seed, wazo_seed=args.wazo_seed)  # each kind takes its own (profiles.make_server)
    if args.fleet:
        fleet = Fleet(args.fleet, first_address=args.address, profiles=profiles, **common)
        servers = fleet.servers
        if args.state:
            for srv in servers:
                srv.state_file = '%s.%s' % (args.state, srv.address)
        if args.ca_out:
            shutil.copyfile(fleet.ca_path, args.ca_out)
    else:
        if args.state:
            common['state_file'] = args.state
        srv = profiles[0].make_server(address=args.address, certfile=args.cert, keyfile=args.key, **common)
        servers = [srv]
        if args.ca_out and srv.ca_path:
            shutil.copyfile(srv.ca_path, args.ca_out)
    faults = json.loads(args.faults) if args.faults else {}
    if args.latency is not None:
        faults['latency'] = args.latency
    if args.fail_nth is not None:
        faults['fail_nth'] = {'n': args.fail_nth, 'status': args.fail_status}
    if args.drop_after_commit is not None:
        faults['drop_after_commit'] = args.drop_after_commit
    if args.token_ttl is not None:
        faults['token_ttl'] = args.token_ttl
    if args.slow_rows is not None:
        faults['slow_rows'] = args.slow_rows
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    started = []
    try:
        for srv in servers:
            srv.start()
            started.append(srv)
            if faults:
                srv.faults.set(**faults)
            banner = srv.banner() if hasattr(srv, 'banner') else 'listening %s (auth %s)' % (srv.url, srv.auth_port)
            print(banner, flush=True)
        sys.stdout.flush()
        stop.wait()
    finally:
        stop_all(started)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Replays the exchanges recorded on a real wazo-confd 26.08 (../shared/samples/confd/responses/
real-wazo-26.08/) against the emulator's Wazo profile and compares every status, content type and
body. `python -m tests.emulator.wazo.replay [DIR]` prints one line per exchange.

What differs by nature between two runs is normalised, each rule here and nowhere else:
  N1 generated uuids (users, SIP endpoints, contexts and their names, templates, tokens) are bound
     recorded -> emulated on first sight (a bijection: a second, different pairing is a mismatch);
  N2 integer ids are bound the same way per collection (users, lines, extensions, ...): the
     recording skipped exchanges (cost runs, unnumbered ones) so sequences may differ;
  N3 strings the server drew at random (SIP names and secrets, line names: 8 letters; provisioning
     codes: 6 digits) are bound when the emulated value is one the emulator drew;
  N4 `created_at` is any ISO timestamp, an error's `timestamp` any integer, the base URLs of confd
     and wazo-auth are the emulator's;
  N5 orders the real server does not keep (seen varying between runs): the items of /users, /lines, /endpoints/sip, the
     export's rows, a user's call permissions, a SIP endpoint's auth options, a voicemail's users
     are compared as sets (paired by a natural key);
  N6 the choices of "'line_protocol' must be one of (...)" are compared as a set (their order varied between runs);
  N7 the cost runs (cost-import-*.txt, bodies truncated in the recording) are replayed with their
     full generated rows and compared on status and row count only; the other cost-*.txt files
     (reads) are not replayed.
"""
import csv
import io
import json
import os
import re
import sys

UUID_RE = r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
RECORDED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'samples', 'real-wazo-26.08')
REC_CONFD, REC_AUTH = 'http://127.0.9.1:9486', 'http://127.0.9.1:9497'
TENANT_A, TENANT_B = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
ROOT_TOKEN = '54237797-1328-4142-9b9f-7605547f994a'  # the root caller's token in the recording
# the recording's callers: recorded token -> (login, tenant, ACLs)
CALLERS = {'root': ('master', ['#']), 'admin-a': (TENANT_A, ['confd.#']),
           'reader-a': (TENANT_A, ['confd.*.read', 'confd.*.*.read', 'confd.*.*.*.read'])}
RELS = {'endpoint_sccp': 'sccp', 'endpoint_sip': 'sip'}
KEY_KINDS = {'user_id': 'users', 'line_id': 'lines', 'extension_id': 'extensions', 'incall_extension_id': 'extensions',
             'voicemail_id': 'voicemails', 'sccp_id': 'sccp', 'call_permission_ids': 'callpermissions',
             'user_ids': 'users', 'associated_ids': 'lines', 'line_ids': 'lines'}
# N5: lists compared as sets, with the key that pairs their items
UNORDERED = {
    'users': lambda u: (u.get('firstname') or '', u.get('lastname') or '', u.get('email') or ''),
    'lines': lambda line: (line.get('caller_id_name') or '', line.get('caller_id_num') or '', line.get('protocol') or ''),
    'endpoints/sip': lambda s: (json.dumps(s.get('endpoint_section_options')), len(s.get('templates') or [])),
    'content': lambda r: (r.get('firstname') or '', r.get('lastname') or '', r.get('email') or '', r.get('exten') or ''),
    'call_permissions': lambda cp: cp.get('name') or '',
    'auth_section_options': lambda pair: pair[0],
    'users_of': lambda u: (u.get('firstname') or '', u.get('lastname') or ''),
}


class Exchange:
    def __init__(self, name, method, url, headers, body, status, resp_headers, resp_body, caller):
        self.name, self.method, self.url, self.headers, self.body = name, method, url, headers, body
        self.status, self.resp_headers, self.resp_body, self.caller = status, resp_headers, resp_body, caller
        self.compare_body = True


def _headers_and_body(lines, marker):
    """The headers (`<marker> Header: value` lines) and the body lines of one side of a recording,
    after its first line: the body follows a bare `<marker>`, or starts at the first unprefixed
    line (172-edge-chunked)."""
    headers, body_lines, in_body = {}, [], False
    for line in lines:
        if in_body:
            body_lines.append(line)
        elif line == marker:
            in_body = True
        elif line.startswith(marker + ' '):
            key, _s, value = line[len(marker) + 1:].partition(': ')
            headers[key] = value
        else:
            in_body = True
            body_lines.append(line)
    return headers, body_lines


def parse_file(path):
    """One recorded file: `>>> METHOD URL`, `>>> Header: value`, `>>>`, body; `<<< HTTP status`,
    `<<< Header: value`, `<<<`, body."""
    # A recording whose body holds CRLF line ends is stored as <name>.bin (sanity's line-endings).
    name = os.path.basename(path)[:-len('.bin')] if path.endswith('.bin') else os.path.basename(path)
    text = open(path, encoding='utf-8', newline='').read()
    head, _sep, resp = text.partition('\n<<< HTTP ')
    lines = head.split('\n')
    caller = 'root'
    if lines[0].startswith('###'):
        caller = lines[0].split('user=')[-1].strip()
        lines = lines[1:]
    request_line = lines[0][4:]
    headers, body_lines = _headers_and_body(lines[1:], '>>>')
    body = '\n'.join(body_lines)
    parts = request_line.split(' ')
    method, url = parts[0], parts[1]
    if 'X-Auth-Token:' in request_line:  # 174: the token written on the request line
        headers['X-Auth-Token'] = request_line.split('X-Auth-Token:')[1].split()[0]
    status = int(resp.split()[0])
    resp_headers, resp_lines = _headers_and_body(resp.split('\n')[1:], '<<<')
    resp_body = '\n'.join(resp_lines)
    if resp_body.endswith('\n'):
        resp_body = resp_body[:-1]  # the recorder's own line end
    if resp_body.startswith('HTTP %d\n' % status):  # 172-edge-chunked: status repeated
        resp_body = resp_body.split('\n', 1)[1]
    if 'chunked' in request_line:
        headers.update({'Transfer-Encoding': 'chunked', 'Wazo-Tenant': TENANT_A, 'Accept': 'application/json',
                        'X-Auth-Token': ROOT_TOKEN,
                        'Content-Type': 'text/csv; charset=utf-8'})
    return Exchange(name, method, url, headers, body, status, resp_headers, resp_body, caller)


def cost_imports(directory):
    """N7: the cost runs' imports, rows regenerated from their visible pattern."""
    found = []
    for label, first, count in (('1-a', 1300, 1), ('1-b', 1301, 1), ('10-a', 1310, 10), ('10-b', 1320, 10),
                                ('100-a', 1400, 100), ('100-b', 1500, 100)):
        path = os.path.join(directory, 'cost-import-%s.txt' % label)
        if not os.path.exists(path):
            continue
        text = open(path, encoding='utf-8').read()
        ctx = re.search(r'ctx-tenanta-internal-' + UUID_RE, text).group(0)
        rows = ['firstname,lastname,username,password,exten,context,line_protocol,sip_username']
        rows += ['Cost%d,User%d,cost%d,Passw0rd%d,%d,%s,sip,cost%dsip' % (n, n, n, n, n, ctx, n)
                 for n in range(first, first + count)]
        ex = Exchange('cost-import-%s.txt' % label, 'POST', REC_CONFD + '/1.1/users/import',
                      {'Wazo-Tenant': TENANT_A, 'Accept': 'application/json', 'X-Auth-Token': ROOT_TOKEN,
                       'Content-Type': 'text/csv; charset=utf-8'},
                      '\n'.join(rows) + '\n', int(re.search(r'<<< HTTP (\d+)', text).group(1)), {}, '', 'root')
        ex.compare_body = False
        ex.expected_rows = count
        found.append(ex)
    return found


def exchanges(directory=RECORDED):
    """Every recorded exchange in the order it happened."""
    names = sorted(n for n in os.listdir(directory) if re.match(r'^\d{3}-.*\.txt(\.bin)?$', n))
    numbered = [parse_file(os.path.join(directory, n)) for n in names]
    ordered = []
    chunked = [ex for ex in numbered if ex.name.startswith('172-edge-chunked')]
    for ex in numbered:
        if ex in chunked:
            continue
        if ex.name.startswith('177-'):
            # the chunked upload ran after the exports 172/173 (they do not show its user) and before 177
            ordered.extend(chunked)
        ordered.append(ex)
        if ex.name.startswith('149-'):
            ordered.extend(cost_imports(directory))  # between 149 and 164 (ids jump by 222 there)
    return ordered


# -- binding and comparison ------------------------------------------------------------------------

class Binder:
    def __init__(self, generated):
        self.fwd, self.back = {}, {}
        self.generated = generated  # the emulator's set of drawn strings

    def bind(self, kind, rec, emu):
        key, back = (kind, rec), (kind, emu)
        if key in self.fwd:
            return self.fwd[key] == emu
        if back in self.back:
            return False
        self.fwd[key], self.back[back] = emu, rec
        return True

    def get(self, kind, rec):
        return self.fwd.get((kind, rec), rec)


class Comparer:
    def __init__(self, binder, confd_base, auth_users_url):
        self.b = binder
        self.confd_base = confd_base          # emulator: https://host:port[/api/confd]/1.1
        self.auth_users_url = auth_users_url  # emulator: what confd's 409 message names
        self.problems = []

    def fail(self, where, rec, emu):
        self.problems.append('%s: recorded %s, emulated %s' % (where, _short(rec), _short(emu)))

    # strings: a template where generated parts are groups
    def string(self, where, rec, emu, key=None):
        if rec == emu:
            return
        if key == 'created_at' and re.match(r'^\d{4}-\d\d-\d\dT', str(emu)):
            return
        if isinstance(rec, str) and isinstance(emu, str):
            if re.fullmatch(r'[a-z]{8}|\d{6}', rec) and emu in self.b.generated:
                if not self.b.bind('rand', rec, emu):
                    self.fail(where, rec, emu)
                return
            if rec.startswith("Input Error - 'line_protocol' must be one of ("):  # N6
                sets = [set(s[s.index('(') + 1:-1].split(', ')) for s in (rec, emu) if s.endswith(')') and '(' in s]
                if len(sets) == 2 and sets[0] == sets[1]:
                    return
            pattern, groups = self.template(rec)
            m = re.fullmatch(pattern, emu, re.S)
            if m:
                for (kind, value), got in zip(groups, m.groups()):
                    if kind == 'int' or kind.startswith('id:'):
                        got_value = int(got)
                    else:
                        got_value = got
                    if not self.b.bind(kind, value, got_value):
                        self.fail(where + ' (binding %s %s)' % (kind, value), rec, emu)
                        return
                return
        self.fail(where, rec, emu)

    def template(self, rec):
        """A regex matching the emulated counterpart of a recorded string, and the (kind, recorded
        value) of each group."""
        text = rec.replace(REC_CONFD + '/1.1', '\x00CONFD\x00').replace(REC_AUTH + '/0.1/users', '\x00AUTH\x00')
        tokens = re.split(r'(%s|(?:\x00CONFD\x00|/1\.1)/[a-z_/]+?/\d+\b|\'[a-z_]+_ids?\': \'?\[?\d+)' % UUID_RE, text)
        pattern, groups = '', []
        for i, tok in enumerate(tokens):
            if i % 2 == 0:
                pattern += re.escape(tok).replace(re.escape('\x00CONFD\x00'), re.escape(self.confd_base)) \
                    .replace(re.escape('\x00AUTH\x00'), re.escape(self.auth_users_url))
            elif re.fullmatch(UUID_RE, tok):
                bound = self.b.fwd.get(('uuid', tok))
                if bound is not None:
                    pattern += re.escape(bound)
                else:
                    pattern += '(%s)' % UUID_RE
                    groups.append(('uuid', tok))
            elif tok.startswith(('/1.1/', '\x00CONFD\x00/')):
                base = self.confd_base if tok.startswith('\x00') else '/1.1'
                coll, ident = tok.split('/', 2)[2] if base == '/1.1' else tok.split('/', 1)[1], None
                coll, ident = coll.rsplit('/', 1)
                kind = 'id:' + RELS.get(coll, coll).replace('endpoints/', '')
                pattern += re.escape('%s/%s/' % (base, coll)) + '(\\d+)'
                groups.append((kind, int(ident)))
            else:
                m = re.match(r"'([a-z_]+)': ('?\[?)(\d+)", tok)
                name = m.group(1)
                kind = 'id:' + KEY_KINDS.get(name, 'incalls' if name == 'associated_id' else name)
                pattern += re.escape("'%s': %s" % (name, m.group(2))) + '(\\d+)'
                groups.append((kind, int(m.group(3))))
        return pattern, groups

    def value(self, where, rec, emu, key=None, kind=None, list_key=None):
        if isinstance(rec, dict) and isinstance(emu, dict):
            return self.obj(where, rec, emu)
        if isinstance(rec, list) and isinstance(emu, list):
            return self.seq(where, rec, emu, key, list_key)
        if isinstance(rec, bool) or isinstance(emu, bool) or rec is None or emu is None:
            if rec is not emu and rec != emu:
                self.fail(where, rec, emu)
            return
        if isinstance(rec, (int, float)) and isinstance(emu, (int, float)) and type(rec) is not type(emu):
            self.fail(where + ' (number type)', rec, emu)
            return
        if isinstance(rec, int) and isinstance(emu, int):
            if key == 'timestamp':
                return
            if kind:
                if not self.b.bind('id:' + kind, rec, emu):
                    self.fail(where + ' (binding %s)' % kind, rec, emu)
            elif rec != emu:
                self.fail(where, rec, emu)
            return
        if isinstance(rec, str) and isinstance(emu, str):
            return self.string(where, rec, emu, key)
        if rec != emu:
            self.fail(where, rec, emu)

    def obj(self, where, rec, emu):
        if set(rec) != set(emu):
            self.fail(where + ' keys', sorted(set(rec) - set(emu)), sorted(set(emu) - set(rec)))
        own = None
        links = rec.get('links')
        if isinstance(links, list) and links and isinstance(links[0], dict):
            own = RELS.get(links[0].get('rel'), links[0].get('rel'))
        for key in rec:
            if key not in emu:
                continue
            kind = KEY_KINDS.get(key)
            if key == 'id':
                kind = own
            list_key = key if key in UNORDERED else None
            if key == 'users' and isinstance(rec[key], list) and 'links' in rec and own in ('voicemails', 'callpermissions', 'lines'):
                list_key = 'users_of'
            self.value('%s.%s' % (where, key), rec[key], emu[key], key=key, kind=kind, list_key=list_key)

    def seq(self, where, rec, emu, key, list_key):
        if len(rec) != len(emu):
            self.fail(where + ' length', len(rec), len(emu))
            return
        if list_key:
            keyf = UNORDERED[list_key]
            try:
                rec, emu = sorted(rec, key=keyf), sorted(emu, key=keyf)
            except (TypeError, AttributeError, IndexError):
                pass
        for i, (r, e) in enumerate(zip(rec, emu)):
            self.value('%s[%d]' % (where, i), r, e, key=key, kind=KEY_KINDS.get(key))


def _short(value):
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) < 300 else text[:300] + '…'


def parse_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return [], []
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]


# -- running ---------------------------------------------------------------------------------------

class Replayer:
    def __init__(self, server, session=None):
        import requests
        self.server = server
        self.session = session or requests.Session()
        self.binder = Binder(server.store.generated)
        self.tokens = {}

    def seed_callers(self):
        """The recording's three callers; their recorded tokens are bound to the emulated ones."""
        from .authsvc import MASTER_TENANT
        auth = self.server.auth
        for login, (tenant, acls) in CALLERS.items():
            auth.create_user(MASTER_TENANT if tenant == 'master' else tenant, username=login,
                             password='replay-' + login, acls=acls, purpose='internal')
            r = self.session.post(self.server.auth_url + '/0.1/token', auth=(login, 'replay-' + login),
                                  json={'expiration': 3600}, verify=self.server.ca_path)
            r.raise_for_status()
            self.tokens[login] = r.json()['data']['token']

    def bind_recorded_tokens(self, exs):
        for ex in exs:
            token = ex.headers.get('X-Auth-Token')
            if token and ex.caller in self.tokens:
                if not self.binder.bind('uuid', token, self.tokens[ex.caller]):
                    pass  # 174's unknown token stays unknown (it is bound to itself below)

    def translate(self, ex):
        """The recorded request with recorded ids/uuids replaced by the emulated ones."""
        b = self.binder
        url = ex.url
        if url.startswith(REC_AUTH):
            url = self.server.auth_url + url[len(REC_AUTH):]
        else:
            if url.startswith(REC_CONFD):
                url = url[len(REC_CONFD):]
            url = self.server.url + url
        url = re.sub(UUID_RE, lambda m: b.get('uuid', m.group(0)), url)

        def path_id(m):
            coll = m.group(1)
            kind = 'id:' + RELS.get(coll, coll).replace('endpoints/', '')
            return '/1.1/%s/%d' % (coll, b.get(kind, int(m.group(2))))
        url = re.sub(r'/1\.1/([a-z_]+(?:/sip)?)/(\d+)\b', path_id, url)
        headers = {k: v for k, v in ex.headers.items() if k.lower() not in ('transfer-encoding', 'content-length')}
        for key in ('X-Auth-Token', 'Wazo-Tenant'):
            if key in headers:
                headers[key] = b.get('uuid', headers[key])
        body = re.sub(UUID_RE, lambda m: b.get('uuid', m.group(0)), ex.body)
        if ex.body.startswith('{') and '"contexts"' in ex.body:
            data = json.loads(body)
            for item in data.get('contexts', []):
                item['id'] = b.get('id:contexts', item['id'])
            body = json.dumps(data)
        return url, headers, body

    def run_one(self, ex):
        """Send one exchange; answer the list of its problems (empty: it matches)."""
        url, headers, body = self.translate(ex)
        data = body.encode('utf-8') if ex.method in ('POST', 'PUT') else None
        if ex.headers.get('Transfer-Encoding') == 'chunked':
            data = iter([body.encode('utf-8')])
        resp = self.session.request(ex.method, url, headers=headers, data=data, verify=self.server.ca_path)
        cmp = Comparer(self.binder, self.server.confd_base, self.server.auth_users_url)
        if resp.status_code != ex.status:
            cmp.fail('status', ex.status, resp.status_code)
        rec_type = (ex.resp_headers.get('Content-Type') or '').split(';')[0].strip()
        if not rec_type and ex.resp_body.startswith('{'):
            rec_type = 'application/json'  # 172-edge-chunked: recorded without headers
        emu_type = (resp.headers.get('Content-Type') or '').split(';')[0].strip()
        if ex.resp_headers.get('Content-Type') and rec_type != emu_type:
            cmp.fail('content type', rec_type, emu_type)
        if not ex.compare_body:
            if ex.status == 201 and resp.status_code == 201 and len(resp.json()['created']) != ex.expected_rows:
                cmp.fail('created rows', ex.expected_rows, len(resp.json()['created']))
            return cmp.problems
        text = resp.text
        if rec_type == 'text/csv' and ex.status == 200:
            rec_head, rec_rows = parse_csv(ex.resp_body)
            emu_head, emu_rows = parse_csv(text)
            cmp.value('csv.header', rec_head, emu_head)
            if ex.resp_body.count('\r\n') != text.count('\r\n') or ex.resp_body[-2:] != text[-2:]:
                cmp.fail('csv line ends', repr(ex.resp_body[-2:]), repr(text[-2:]))
            cmp.value('csv.rows', rec_rows, emu_rows, key='content', list_key='content')
        elif rec_type in ('application/json', 'text/csv') and ex.resp_body.strip():
            try:
                rec_json = json.loads(ex.resp_body)
            except ValueError:
                rec_json = ex.resp_body
            try:
                emu_json = json.loads(text)
            except ValueError:
                cmp.fail('body (not JSON)', ex.resp_body, text)
                return cmp.problems
            top = None
            path = urlpath(ex.url)
            m = re.match(r'^/1\.1/(users|lines|endpoints/sip)$', path)
            if m:
                top = m.group(1)
            if isinstance(rec_json, dict) and 'items' in rec_json and top:
                cmp.value('total', rec_json.get('total'), emu_json.get('total'))
                own = {'users': 'users', 'lines': 'lines', 'endpoints/sip': 'sip'}[top]
                cmp.seq('items', rec_json['items'], emu_json.get('items', []), own, top)
            else:
                cmp.value('body', rec_json, emu_json, kind=_item_kind(path))
        elif ex.resp_body.strip() or text.strip():
            if ex.resp_body.strip() != text.strip():
                cmp.fail('body', ex.resp_body, text)
        return cmp.problems

    def run(self, exs):
        self.seed_callers()
        self.bind_recorded_tokens(exs)
        results = []
        for ex in exs:
            results.append((ex, self.run_one(ex)))
        return results


def urlpath(url):
    path = re.sub(r'^https?://[^/]+', '', url).split('?')[0].split(' ')[0]
    return path


def _item_kind(path):
    m = re.match(r'^/1\.1/(users|lines|extensions|voicemails|incalls|callpermissions|contexts)/\d+$', path)
    return m.group(1) if m else None


def replay_seed():
    """The recording's starting point: tenants A and B, children of the master tenant, nothing in
    them (their contexts and call permissions come from the recorded exchanges 005-015)."""
    return {'tenants': [{'uuid': TENANT_A, 'name': 'tenanta', 'slug': 'tenanta'},
                        {'uuid': TENANT_B, 'name': 'tenantb', 'slug': 'tenantb'}], 'auth_users': []}


def main(argv=None):
    from .server import WazoServer
    argv = sys.argv[1:] if argv is None else argv
    directory = argv[0] if argv else RECORDED
    exs = exchanges(directory)
    with WazoServer(address='127.0.0.91', port=0, layout='ports', auth_port=0, seed=replay_seed(),
                    rng_seed=2608) as server:
        results = Replayer(server).run(exs)
    bad = 0
    for ex, problems in results:
        print('%-70s %s' % (ex.name, 'match' if not problems else 'DIFF'))
        for problem in problems[:8]:
            print('    ' + problem)
        bad += bool(problems)
    print('%d exchanges, %d match, %d differ' % (len(results), len(results) - bad, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

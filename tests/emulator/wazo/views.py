"""JSON items of wazo-confd 26.08's reads (the shapes recorded from the real server)."""


class Views:
    def __init__(self, store, base):
        self.st = store
        self.base = base  # e.g. 'https://127.0.0.5/api/confd/1.1'

    def links(self, rel, ident):
        return [{'rel': rel, 'href': '%s/%s/%s' % (self.base, rel.replace('endpoint_', 'endpoints/'), ident)}]

    def ref(self, rel, ident, **extra):
        item = {'id': ident}
        item.update(extra)
        item['links'] = self.links(rel, ident)
        return item

    def user_ref(self, user):
        return {'uuid': user['uuid'], 'firstname': user['firstname'], 'lastname': user['lastname'],
                'links': self.links('users', user['id'])}

    def ext_ref(self, ext):
        return self.ref('extensions', ext['id'], exten=ext['exten'], context=ext['context'])

    # -- contexts, call permissions
    def context(self, ctx):
        keys = ('id', 'uuid', 'name', 'label', 'type', 'user_ranges', 'group_ranges', 'queue_ranges',
                'conference_room_ranges', 'incall_ranges', 'description', 'tenant_uuid', 'enabled')
        item = {key: ctx[key] for key in keys}
        item['links'] = self.links('contexts', ctx['id'])
        item['contexts'] = [self.ref('contexts', c['id'], name=c['name'], label=c['label'])
                            for c in (self.st.data['contexts'].get(i) for i in ctx['contexts']) if c]
        return item

    def callpermission(self, cp):
        keys = ('id', 'tenant_uuid', 'name', 'password', 'mode', 'extensions', 'enabled', 'description')
        item = {key: cp[key] for key in keys}
        item['links'] = self.links('callpermissions', cp['id'])
        item['outcalls'], item['groups'] = [], []
        item['users'] = [self.user_ref(u) for u in sorted(self.st.data['users'].values(), key=lambda u: u['id'])
                         if cp['id'] in u['callpermission_ids']]
        return item

    # -- extensions, lines, endpoints
    def extension(self, ext):
        st = self.st
        incall = None
        if ext['type'] == 'incall' and int(ext['typeval']) in st.data['incalls']:
            incall = self.ref('incalls', int(ext['typeval']))
        return {'id': ext['id'], 'tenant_uuid': ext['tenant_uuid'], 'exten': ext['exten'], 'context': ext['context'],
                'commented': False, 'enabled': True, 'links': self.links('extensions', ext['id']),
                'conference': None, 'parking_lot': None, 'group': None, 'incall': incall,
                'lines': [self.ref('lines', line['id'], name=line['name']) for line in st.extension_lines(ext)],
                'outcall': None, 'queue': None}

    def line(self, line, webrtc_flag=True):
        st = self.st
        sip = st.data['sip'].get(line['endpoint_sip_uuid']) if line['endpoint_sip_uuid'] else None
        endpoint_sip = None
        if sip is not None:
            username = dict(sip['auth_section_options']).get('username')
            endpoint_sip = {'uuid': sip['uuid'], 'label': sip['label'], 'name': sip['name'],
                            'auth_section_options': [['username', username]],
                            'links': self.links('endpoint_sip', sip['uuid'])}
        endpoint_sccp = None
        if line['endpoint_sccp_id']:
            endpoint_sccp = {'id': line['endpoint_sccp_id'], 'links': self.links('endpoint_sccp', line['endpoint_sccp_id'])}
        return {'id': line['id'], 'tenant_uuid': line['tenant_uuid'], 'name': line['name'],
                'protocol': line['protocol'], 'device_id': None, 'device_slot': 1,
                'provisioning_extension': line['provisioning_code'], 'context': line['context'],
                'provisioning_code': line['provisioning_code'], 'position': 1,
                'caller_id_name': line['caller_id_name'], 'caller_id_num': line['caller_id_num'],
                'registrar': 'default', 'links': self.links('lines', line['id']), 'application': None,
                'endpoint_sip': endpoint_sip, 'endpoint_sccp': endpoint_sccp, 'endpoint_custom': None,
                'extensions': [self.ext_ref(st.data['extensions'][i]) for i in line['extension_ids']
                               if i in st.data['extensions']],
                'users': [self.user_ref(st.data['users'][i]) for i in line['user_ids'] if i in st.data['users']],
                # under /users a webrtc line shows false (observed on 26.08); /lines says true
                'is_webrtc': line['is_webrtc'] if webrtc_flag else False}

    def sip(self, sip):
        line = next((l for l in self.st.data['lines'].values() if l['endpoint_sip_uuid'] == sip['uuid']), None)
        return {'uuid': sip['uuid'], 'tenant_uuid': sip['tenant_uuid'], 'name': sip['name'], 'label': sip['label'],
                'aor_section_options': [], 'auth_section_options': [list(p) for p in sip['auth_section_options']],
                'endpoint_section_options': [list(p) for p in sip['endpoint_section_options']],
                'identify_section_options': [], 'registration_section_options': [],
                'registration_outbound_auth_section_options': [], 'outbound_auth_section_options': [],
                'templates': [dict(t) for t in sip['templates']], 'transport': None, 'asterisk_id': None,
                'links': self.links('endpoint_sip', sip['uuid']), 'trunk': None,
                'line': self.ref('lines', line['id']) if line else None}

    # -- voicemails, incalls
    def voicemail(self, vm):
        item = {key: vm[key] for key in ('id', 'tenant_uuid', 'name', 'number', 'context', 'password', 'email')}
        item.update({'language': None, 'timezone': None, 'pager': None, 'max_messages': None,
                     'attach_audio': vm['attach_audio'], 'delete_messages': vm['delete_messages'],
                     'ask_password': vm['ask_password'], 'enabled': True, 'options': [],
                     'links': self.links('voicemails', vm['id']), 'accesstype': 'personal',
                     'users': [self.user_ref(u) for u in self.st.users_of_voicemail(vm)]})
        return item

    def destination(self, incall):
        dest = incall['destination']
        if dest.get('type') != 'user':
            return {'type': 'none'}
        user = self.st.data['users'].get(dest['user_id'], {})
        return {'type': 'user', 'user_id': dest['user_id'], 'ring_time': dest.get('ring_time'), 'moh_uuid': None,
                'user_firstname': user.get('firstname'), 'user_lastname': user.get('lastname')}

    def incall(self, incall):
        return {'id': incall['id'], 'tenant_uuid': incall['tenant_uuid'], 'preprocess_subroutine': None,
                'greeting_sound': None, 'caller_id_mode': None, 'caller_id_name': None, 'description': None,
                'destination': self.destination(incall), 'links': self.links('incalls', incall['id']),
                'extensions': [self.ext_ref(e) for e in self.st.incall_extensions(incall)], 'schedules': []}

    # -- users
    def user(self, user):
        st = self.st
        item = {'id': user['id'], 'uuid': user['uuid'], 'firstname': user['firstname'], 'lastname': user['lastname'],
                'email': user['email'], 'timezone': None, 'country': None, 'language': user['language'],
                'description': None, 'caller_id': user['caller_id'], 'outgoing_caller_id': user['outgoing_caller_id'],
                'mobile_phone_number': user['mobile_phone_number'], 'mobile_fallback_enabled': False,
                'username': user['username'], 'password': None, 'music_on_hold': None,
                'preprocess_subroutine': None, 'userfield': user['userfield'],
                'call_transfer_enabled': user['call_transfer_enabled'],
                'dtmf_hangup_enabled': user['dtmf_hangup_enabled'],
                'call_record_outgoing_external_enabled': user['call_record_outgoing_external_enabled'],
                'call_record_outgoing_internal_enabled': user['call_record_outgoing_internal_enabled'],
                'call_record_incoming_internal_enabled': user['call_record_incoming_internal_enabled'],
                'call_record_incoming_external_enabled': user['call_record_incoming_external_enabled'],
                'online_call_record_enabled': user['online_call_record_enabled'],
                'supervision_enabled': user['supervision_enabled'], 'ring_seconds': user['ring_seconds'],
                'simultaneous_calls': user['simultaneous_calls'],
                'call_permission_password': user['call_permission_password'],
                'subscription_type': user['subscription_type'], 'created_at': user['created_at'],
                'enabled': user['enabled'], 'tenant_uuid': user['tenant_uuid'],
                'links': self.links('users', user['id']), 'agent': None,
                'call_permissions': [self.ref('callpermissions', cp['id'], name=cp['name'])
                                     for cp in st.user_callpermissions(user)],
                'fallbacks': {'noanswer_destination': None, 'busy_destination': None,
                              'congestion_destination': None, 'fail_destination': None},
                'groups': [],
                'incalls': [{'id': i['id'], 'extensions': [self.ext_ref(e) for e in st.incall_extensions(i)],
                             'links': self.links('incalls', i['id'])} for i in st.user_incalls(user)],
                'lines': [self.line(line, webrtc_flag=False) for line in st.user_lines(user)],
                'forwards': {'busy': {'enabled': False, 'destination': None},
                             'noanswer': {'enabled': False, 'destination': None},
                             'unconditional': {'enabled': False, 'destination': None}},
                'schedules': [], 'services': {'dnd': {'enabled': False}, 'incallfilter': {'enabled': False}},
                'switchboards': [], 'voicemail': None, 'queues': [], 'func_key_template_id': None,
                'call_record_enabled': False, 'call_pickup_target_users': []}
        vm = st.data['voicemails'].get(user['voicemail_id'])
        if vm:
            item['voicemail'] = self.ref('voicemails', vm['id'], name=vm['name'])
        return item

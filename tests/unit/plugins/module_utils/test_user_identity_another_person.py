# -*- coding: utf-8 -*-
"""Another person's data (issue #20): a voicemail of another user is a conflict unless sharing
is allowed; identity values compared in one Unicode normal form (NFC), said when it decided,
and a conflict that shows how values differ when they render alike."""

from __future__ import annotations

import unicodedata

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, confd_rules, import_plan, user_identity)

NFC = unicodedata.normalize('NFC', 'H\u00e9l\u00e8ne')
NFD = unicodedata.normalize('NFD', NFC)
HEADER = ('firstname,lastname,username,email,exten,context,line_protocol,voicemail_name,'
          'voicemail_number,voicemail_context\n')


def server_user(uuid, first, last='', exten='', username='', email='', vm='', vm_name=''):
    return {'uuid': uuid, 'firstname': first, 'lastname': last, 'exten': exten,
            'context': 'default' if exten else '', 'line_protocol': 'sip' if exten else '',
            'username': username, 'email': email, 'voicemail_name': vm_name,
            'voicemail_number': vm, 'voicemail_context': 'default' if vm else '',
            'mobile_phone_number': ''}


def plan(text, users, **options):
    header, rows = confd_csv.read('users.csv', data=(HEADER + text).encode('utf-8'))
    return import_plan.plan(header, rows, users, **options)


BOB = server_user('bob', 'Bob', 'Jones', exten='1001', username='bjones', vm='1001',
                  vm_name='Bob Jones')


@pytest.mark.parametrize('update', [False, True])
def test_a_voicemail_of_another_person_is_a_conflict_naming_that_person(update):
    outcome, = plan('Alice,Smith,asmith,,1002,default,sip,Alice VM,1001,default\n', [BOB],
                    update=update)
    assert outcome.status == 'conflict' and outcome.involved == ['bob']
    assert 'voicemail_number@voicemail_context=1001@default is the voicemail of' in outcome.error
    assert "'Bob Jones' (uuid bob" in outcome.error
    assert "rename it from 'Bob Jones' to 'Alice Smith'" in outcome.error
    assert 'share_voicemails' in outcome.error
    assert outcome.as_dict().get('shared_voicemail') is None


def test_sharing_allowed_records_the_voicemail_and_its_name_before():
    outcome, = plan('Alice,Smith,asmith,,1002,default,sip,Alice VM,1001,default\n', [BOB],
                    share_voicemails=True)
    assert outcome.status == 'create'
    assert any("will be shared with this user, and confd will rename it from 'Bob Jones' to "
               "'Alice Smith'" in w for w in outcome.warnings), outcome.warnings
    assert 'voicemail' in outcome.reused
    outcome.status = 'created'
    assert outcome.as_dict()['shared_voicemail'] == dict(
        number='1001', context='default', users=['bob'], previous_name='Bob Jones',
        renamed_to='Alice Smith')
    # Without a line confd keeps the name: the report says so.
    outcome, = plan('Alice,Smith,asmith,,,,,Alice VM,1001,default\n', [BOB],
                    share_voicemails=True)
    assert outcome.shared_voicemail['renamed_to'] is None
    assert any("keep its name 'Bob Jones'" in w for w in outcome.warnings)


def test_a_voicemail_already_shared_with_the_rows_own_user_or_of_nobody_is_no_conflict():
    alice = server_user('alice', 'Alice', 'Smith', exten='1002', username='asmith', vm='1001',
                        vm_name='Alice Smith')
    outcome, = plan('Alice,Smith,asmith,,1002,default,sip,,1001,default\n', [BOB, alice])
    assert outcome.status == 'unchanged' and outcome.uuid == 'alice'
    outcome, = plan('Carl,Doe,cdoe,,1003,default,sip,VM,1050,default\n', [BOB, alice])
    assert outcome.status == 'create'
    # Two rows of one file sharing a new voicemail: the operator's own data, not a conflict.
    first, second = plan('Carl,Doe,cdoe,,1003,default,sip,VM,1050,default\n'
                         'Dan,Roe,droe,,1004,default,sip,VM,1050,default\n', [BOB])
    assert (first.status, second.status) == ('create', 'create')


def test_a_voicemail_of_several_people_names_them_all_and_a_matched_row_still_conflicts():
    carl = server_user('carl', 'Carl', 'Doe', username='cdoe', vm='1001', vm_name='Bob Jones')
    alice = server_user('alice', 'Alice', 'Smith', exten='1002', username='asmith')
    outcome, = plan('Alice,Smith,asmith,,1002,default,sip,,1001,default\n', [BOB, carl, alice],
                    update=True)
    assert outcome.status == 'conflict' and outcome.uuid == 'alice'
    assert set(outcome.involved) == {'alice', 'bob', 'carl'}
    assert "'Bob Jones'" in outcome.error and "'Carl Doe'" in outcome.error


@pytest.mark.parametrize('column', ['firstname', 'lastname'])
def test_a_name_in_nfd_in_the_file_matches_the_server_nfc_and_says_so(column):
    values = {'firstname': 'Ana', 'lastname': 'Roux'}
    values[column] = NFD
    server = dict(server_user('u1', 'Ana', 'Roux'), **{column: NFC})
    outcome, = plan('%(firstname)s,%(lastname)s,,,,,,,,\n' % values, [server])
    assert outcome.status == 'unchanged' and outcome.uuid == 'u1'
    note, = outcome.warnings
    assert note.startswith('matched after Unicode normalisation: %s file %r (NFD), server %r '
                           '(NFC)' % (column, NFD, NFC)), note


def test_nfd_email_and_username_match_the_server_and_keep_confds_case_rules():
    email_nfd = unicodedata.normalize('NFD', 'h\u00e9l\u00e8ne@exemple.fr')
    server = server_user('u1', 'Ana', 'Roux', username='aroux', email='H\u00e9l\u00e8ne@Exemple.fr')
    outcome, = plan('Ana,Roux,,%s,,,,,,\n' % email_nfd, [server])
    assert outcome.status == 'unchanged' and outcome.uuid == 'u1'
    assert any('matched after Unicode normalisation: email' in w for w in outcome.warnings)
    # Usernames keep their case (confd: BJONES next to bjones is accepted): another person.
    outcome, = plan('Ana,Roux,AROUX,,,,,,,\n', [server])
    assert outcome.status == 'create'


def test_a_second_person_is_never_created_for_the_same_name_in_another_form():
    server = [server_user('u1', NFC, 'Dupont')]
    outcome, = plan('%s,Dupont,,,,,,,,\n' % NFD, server)
    assert outcome.status == 'unchanged'
    # ...and in one file, the two forms are the same person twice.
    first, second = plan('%s,Dupont,,,,,,,,\n%s,Dupont,,,,,,,,\n' % (NFC, NFD), [])
    assert first.status == 'create' and second.status == 'failed'
    assert 'same firstname+lastname as line 2' in second.error


def test_a_conflict_never_shows_two_values_that_render_alike_without_their_difference():
    server = [server_user('u1', 'Ana', 'Roux', exten='1001', username='aroux')]
    cyrillic = 'Ro\u0443x'            # a Cyrillic u: renders like 'Roux'
    outcome, = plan('Ana,%s,aroux,,1001,default,sip,,,\n' % cyrillic, server)
    assert outcome.status == 'conflict'
    assert "lastname (file 'Ro\\u0443x', server 'Roux'" in outcome.error or \
        "lastname (file '%s', server 'Roux'" % cyrillic in outcome.error
    assert 'from character 3 the file has U+0443 where the server has U+0075' in outcome.error
    # Plain ASCII values are shown as they are.
    outcome, = plan('Ana,Rous,aroux,,1001,default,sip,,,\n', server)
    assert "lastname (file 'Rous', server 'Roux')" in outcome.error


def test_contrast_and_note_helpers():
    text = user_identity.contrast('firstname', NFD, NFC)
    assert 'U+0065 U+0301' in text and 'U+00E9' in text
    assert user_identity.normalisation_note('firstname', NFC, NFC) is None
    assert user_identity.normalisation_note('firstname', 'Bob', 'bob') is None   # case only
    assert user_identity.normalize('email', 'B\u00c9B@X.FR') == \
        user_identity.normalize('email', unicodedata.normalize('NFD', 'b\u00e9b@x.fr'))


def test_an_update_does_not_rewrite_a_name_that_differs_only_in_its_unicode_form():
    server = [server_user('u1', NFC, 'Dupont', exten='1001', username='hd')]
    outcome, = plan('%s,Dupont,hd,,1001,default,sip,,,\n' % NFD, server, update=True)
    assert outcome.status == 'unchanged' and outcome.changes == []


def test_the_conversion_duplicate_index_uses_the_same_normal_form():
    index = confd_rules.DuplicateIndex()
    email_nfd = unicodedata.normalize('NFD', 'h\u00e9l\u00e8ne@x.fr')
    assert index.check({'email': 'H\u00e9l\u00e8ne@x.fr'}, 2) == []
    problems = index.check({'email': email_nfd}, 3)
    assert [p.column for p in problems] == ['email']


def test_a_rollback_difference_between_values_that_render_alike_shows_their_code_points():
    from ansible_collections.xivo.confd.plugins.module_utils import rollback_checks, user_rollback
    target = user_rollback.Target('u1', created_with={'lastname': 'Roux', 'firstname': NFD})
    found = rollback_checks.differences(target, {'firstname': NFC, 'lastname': 'Ro\u0443x'})
    assert len(found) == 1         # the same firstname in another form is no difference
    assert found[0].startswith("lastname is now 'Ro\u0443x' (created as 'Roux'; from character 3 it "
                               "has U+0443 where the import has U+0075)"), found


def test_the_conversions_row_key_is_the_same_for_the_same_person_in_another_form():
    assert confd_rules.row_key({'email': 'H\u00e9l\u00e8ne@X.fr'}) == \
        confd_rules.row_key({'email': unicodedata.normalize('NFD', 'h\u00e9l\u00e8ne@x.fr')})
    assert confd_rules.row_key({'firstname': NFD, 'lastname': 'D'}) == \
        confd_rules.row_key({'firstname': NFC, 'lastname': 'D'})

# -*- coding: utf-8 -*-
"""No output file, directory or record is followed through a symbolic link, or written where
the operator did not configure it; directories others can write to are named in a warning."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import file_output as F
from ansible_collections.xivo.confd.plugins.module_utils import output_directory

SECRET = b'firstname,password\nJean,s3cret\n'


@pytest.fixture
def victim(tmp_path):
    """An unrelated file of the user, mode 0644, that a planted link points at."""
    path = tmp_path / 'victim.txt'
    path.write_bytes(b'precious\n')
    os.chmod(str(path), 0o644)
    return path


def _untouched(victim):
    return victim.read_bytes() == b'precious\n' and stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_a_link_at_the_file_is_refused_nothing_written_truncated_or_chmoded(tmp_path, victim):
    reports = tmp_path / 'reports'
    reports.mkdir()
    (reports / 'xivo.json').symlink_to(victim)
    with pytest.raises(output_directory.UnsafePath, match='xivo.json: is a symbolic link'):
        F.write_private_file(str(reports / 'xivo.json'), SECRET)
    assert _untouched(victim)
    # Same bytes already there (the old code then only chmod'ed dest, through the link).
    victim.write_bytes(SECRET)
    os.chmod(str(victim), 0o644)
    with pytest.raises(output_directory.UnsafePath):
        F.write_private_file(str(reports / 'xivo.json'), SECRET)
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert [n for n in os.listdir(str(reports)) if n != 'xivo.json'] == []   # no temp left


@pytest.mark.parametrize('planted', ['runs', 'runs/RUN', 'runs/RUN/hosts'])
def test_a_link_in_a_directory_the_collection_makes_is_refused(tmp_path, planted):
    report_dir = tmp_path / 'reports'
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    where = report_dir / planted
    where.parent.mkdir(parents=True, exist_ok=True)
    where.symlink_to(elsewhere)
    dest = report_dir / 'runs' / 'RUN' / 'hosts' / 'xivo.json'
    with pytest.raises(output_directory.UnsafePath) as failure:
        F.write_private_file(str(dest), SECRET, base=str(report_dir))
    assert str(where) in str(failure.value) and 'symbolic link' in str(failure.value)
    assert os.listdir(str(elsewhere)) == []


def test_a_missing_configured_directory_is_made_and_its_missing_levels_never_followed(tmp_path):
    dest = tmp_path / 'a' / 'b' / 'out.csv'
    assert F.write_private_file(str(dest), SECRET)
    assert dest.read_bytes() == SECRET and stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / 'a').stat().st_mode) == 0o700


def test_the_operators_own_link_in_the_configured_path_is_followed_another_users_is_not(
        tmp_path):
    real = tmp_path / 'real-reports'
    real.mkdir()
    configured = tmp_path / 'reports'
    configured.symlink_to(real)             # made by the operator (this user): followed
    F.write_private_file(str(configured / 'runs' / 'x.json'), SECRET, base=str(configured))
    assert (real / 'runs' / 'x.json').read_bytes() == SECRET
    if os.geteuid() != 0:
        pytest.skip('giving a link to another user needs root')
    os.lchown(str(configured), 4242, -1)    # now another user's link: refused
    with pytest.raises(output_directory.UnsafePath, match='owned by uid 4242'):
        F.write_private_file(str(configured / 'runs' / 'y.json'), SECRET, base=str(configured))
    assert not (real / 'runs' / 'y.json').exists()


def test_a_directory_others_can_write_to_gives_a_warning_and_files_stay_private(tmp_path):
    shared = tmp_path / 'shared'
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    warnings = []
    F.write_private_file(str(shared / 'r.json'), SECRET, warnings=warnings)
    F.write_private_file(str(shared / 's.json'), SECRET, warnings=warnings)
    assert len(warnings) == 1 and str(shared) in warnings[0] and 'group or others' in warnings[0]
    assert stat.S_IMODE((shared / 'r.json').stat().st_mode) == 0o600
    private = tmp_path / 'private'
    private.mkdir(mode=0o700)
    warnings = []
    F.write_private_file(str(private / 'r.json'), SECRET, warnings=warnings)
    assert warnings == []


def test_a_mode_change_replaces_the_file_never_chmods_a_second_name_of_another(tmp_path):
    reports = tmp_path / 'reports'
    reports.mkdir()
    other = tmp_path / 'other.csv'
    other.write_bytes(SECRET)
    os.chmod(str(other), 0o644)
    os.link(str(other), str(reports / 'r.csv'))      # a hard link planted at the name
    assert F.write_private_file(str(reports / 'r.csv'), SECRET)
    assert stat.S_IMODE(other.stat().st_mode) == 0o644
    assert stat.S_IMODE((reports / 'r.csv').stat().st_mode) == 0o600
    assert os.stat(str(other)).st_nlink == 1


def test_a_regular_file_where_a_directory_is_wanted_is_named(tmp_path):
    (tmp_path / 'reports').write_text('a file')
    error, warnings = output_directory.check_output_directory(str(tmp_path / 'reports'))
    assert error == '%s: is not a directory but a regular file' % (tmp_path / 'reports')
    assert (tmp_path / 'reports').read_text() == 'a file'


def test_removing_and_reading_never_follow_a_link(tmp_path, victim):
    reports = tmp_path / 'reports'
    reports.mkdir()
    (reports / 'x-failed.csv').symlink_to(victim)
    assert output_directory.remove_file(str(reports / 'x-failed.csv'))      # the link goes, not its target
    assert _untouched(victim) and not os.path.lexists(str(reports / 'x-failed.csv'))
    (reports / 'record.json').symlink_to(victim)
    with pytest.raises(output_directory.UnsafePath):
        F.read_private_file(str(reports / 'record.json'))
    assert F.read_private_file(str(reports / 'none.json')) is None


def test_a_hard_link_copy_refuses_a_planted_link_at_its_name(tmp_path, victim):
    reports = tmp_path / 'reports'
    (reports / 'runs').mkdir(parents=True)
    src = reports / 'runs' / 'x.json'
    src.write_bytes(SECRET)
    (reports / 'x.json').symlink_to(victim)
    with pytest.raises(output_directory.UnsafePath):
        F.replace_with_link(str(src), str(reports / 'x.json'), base=str(reports))
    assert _untouched(victim)

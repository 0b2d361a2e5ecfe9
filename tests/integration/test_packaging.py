# -*- coding: utf-8 -*-
"""What a Galaxy reviewer and an AWX operator check: license, requirements, tarball content,
changelog, extra docs, and the execution environment files (ansible-builder, no container engine)."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import tarfile

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.integration.collection import REPO, build, galaxy_metadata, run, tarball_name

# sha256 of the GNU GPL version 3 text as the FSF publishes it (gpl-3.0.txt, 674 lines), the
# same bytes as ansible-core's COPYING and Debian's /usr/share/common-licenses/GPL-3.
GPL3_SHA256 = '3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986'

# Left behind in a checkout by the tools of the test suite and of the release; none may ship.
TOOL_LEFTOVERS = (
    '.ansible/collections/ansible_collections/x/y/MANIFEST.json',
    'extensions/molecule/default/.ansible/tmp/state.yml',
    '.venv/pyvenv.cfg',
    '.pytest_cache/v/cache/lastfailed',
    'tests/unit/.pytest_cache/README.md',
    '.hypothesis/examples/0/1',
    'tests/.hypothesis/examples/0/1',
    '.cache/pip/x',
    '.mypy_cache/3.11/x.json',
    '.ruff_cache/x',
    'changelogs/.plugin-cache.yaml',
    'context/Containerfile',
    'docs/ee/context/Containerfile',
    'docs/ee/xivo-confd-2.0.0.tar.gz',
    'plugins/modules/__pycache__/user_csv.cpython-311.pyc',
    'tests/output/junit/x.xml',
    'demo-output/report.json',
)


def _read(*parts):
    with open(os.path.join(REPO, *parts), encoding='utf-8') as f:
        return f.read()


def _yaml(*parts):
    return yaml.safe_load(_read(*parts))


def _requirements(*parts):
    """{lowercased name: Requirement} of a pip requirements file, -r lines skipped."""
    reqs = {}
    for line in _read(*parts).splitlines():
        line = line.split('#', 1)[0].strip()
        if line and not line.startswith('-'):
            req = Requirement(line)
            reqs[req.name.lower()] = req
    return reqs


def test_license_is_the_complete_gpl3_text():
    with open(os.path.join(REPO, 'LICENSE'), 'rb') as f:
        text = f.read()
    assert hashlib.sha256(text).hexdigest() == GPL3_SHA256, 'LICENSE is not the verbatim GPL-3.0 text'
    assert galaxy_metadata()['license'] == ['GPL-3.0-or-later']
    assert 'license_file' not in galaxy_metadata()  # ansible-galaxy refuses license and license_file


def test_requirements_allow_every_supported_ansible_core_and_force_no_downgrade():
    core = _requirements('requirements.txt')['ansible-core']
    requires_ansible = SpecifierSet(_yaml('meta', 'runtime.yml')['requires_ansible'])
    # No upper bound (see requirements.txt): 2.22 is allowed, so pip never downgrades a newer
    # ansible-core the controller shares with other collections.
    for version in ('2.16.0', '2.19.14', '2.20.10', '2.21.5', '2.22.0'):
        assert core.specifier.contains(version), (str(core), version)
        assert requires_ansible.contains(version), (str(requires_ansible), version)
    assert not core.specifier.contains('2.15.13')
    assert not requires_ansible.contains('2.15.13')
    # The controller's Python requirements and the execution environment's stay in step.
    assert str(_requirements('meta', 'ee-requirements.txt')['requests'].specifier) == \
        str(_requirements('requirements.txt')['requests'].specifier)


def test_tarball_ships_the_packaging_files_and_no_tool_leftovers(tmp_path):
    source = tmp_path / 'xivo' / 'confd'
    shutil.copytree(REPO, str(source), ignore=shutil.ignore_patterns('.git', '.venv', '*.tar.gz'))
    for leftover in TOOL_LEFTOVERS:
        path = source / leftover
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('left by a tool\n')
    with tarfile.open(build(source, tmp_path)) as archive:
        names = set(archive.getnames())
        with archive.extractfile('LICENSE') as f:
            assert hashlib.sha256(f.read()).hexdigest() == GPL3_SHA256
        with archive.extractfile('MANIFEST.json') as f:
            manifest = json.load(f)['collection_info']
    shipped = sorted(names.intersection(TOOL_LEFTOVERS))
    assert not shipped, shipped
    for wanted in ('LICENSE', 'README.md', 'CHANGELOG.md', 'changelogs/changelog.yaml',
                   'changelogs/config.yaml', 'meta/runtime.yml', 'meta/execution-environment.yml',
                   'meta/ee-requirements.txt', 'docs/ee/execution-environment.yml',
                   'docs/ee/requirements.yml', 'docs/docsite/extra-docs.yml', 'requirements.txt'):
        assert wanted in names, wanted
    assert manifest['license'] == ['GPL-3.0-or-later']


# What an installed collection does not use: the development tools, and the tests that need the
# development venv, with what only they read (galaxy.yml build_ignore says why).
NOT_SHIPPED = ('scripts/', 'demo/', 'extensions/', 'requirements-dev.txt', '.gitignore', '.ansible-lint',
               'tests/reliability/', 'tests/benchmarks/', 'tests/molecule/',
               'tests/integration/files/malformed/', 'tests/integration/files/legacy/',
               'tests/integration/callback_plugins/', 'tests/emulator/test_', 'tests/emulator/conftest.py',
               'tests/emulator/samples/real-wazo-26.08/', 'tests/emulator/wazo/replay.py')


def test_tarball_ships_what_an_installed_collection_runs_and_no_development_tool(collection_tarball):
    with tarfile.open(collection_tarball) as archive:
        members = archive.getmembers()
    names = {m.name for m in members}
    shipped = sorted(n for n in names if n.startswith(NOT_SHIPPED))
    assert not shipped, shipped
    # The pytest suite of tests/integration stays home; its targets directory is ansible-test's.
    assert not [n for n in names if n.startswith('tests/integration/') and n.count('/') == 2
                and n.endswith('.py')]
    # ansible-test units and integration run from the installed collection: their tests, the
    # samples the unit tests read, the emulator the integration targets start.
    for wanted in ('tests/unit/requirements.txt', 'tests/unit/plugins/module_utils/test_legacy_csv.py',
                   'tests/integration/files/samples/doc_15.19_basic.csv', 'tests/emulator/__main__.py',
                   'tests/conftest.py', 'tests/integration/requirements.txt',
                   'tests/integration/targets/setup_emulator/emulator.sh',
                   'tests/integration/targets/user_import/runme.sh', 'docs/guide_awx.md', 'docs/guide_migrating_a_fleet.md',
                   'docs/guide_troubleshooting.md', 'docs/docsite/links.yml'):
        assert wanted in names, wanted
    unpacked = sum(m.size for m in members if m.isfile())
    tests = sum(m.size for m in members if m.isfile() and m.name.startswith('tests/'))
    assert tests < unpacked / 2, (tests, unpacked)


def test_changelog_has_the_releases_and_lints():
    run(['antsibull-changelog', 'lint'], cwd=REPO)
    run(['antsibull-changelog', 'lint-changelog-yaml', os.path.join('changelogs', 'changelog.yaml')],
        cwd=REPO)
    releases = _yaml('changelogs', 'changelog.yaml')['releases']
    assert releases['1.0.0']['release_date'] == '2026-11-25'
    # 2.0.0 holds breaking changes (SemVer: a major release), a summary, and the plugins it added.
    release = releases['2.0.0']
    assert release['changes']['breaking_changes'] and release['changes']['release_summary']
    assert {m['name'] for m in release['modules']} == {'fleet_import', 'fleet_result', 'user_remove'}
    # 3.0.0 (the operator's loop, the lock kept on the server) breaks again: a major release.
    release = releases['3.0.0']
    assert release['changes']['breaking_changes'] and release['changes']['release_summary']
    # 4.0.0 (Wazo Platform, the role without a defaults file) breaks again: a major release.
    release = releases['4.0.0']
    assert release['changes']['breaking_changes'] and release['changes']['release_summary']
    # What galaxy.yml builds is the newest release of the changelog, not an unreleased version.
    assert Version(galaxy_metadata()['version']) == max(Version(v) for v in releases)
    for version in releases:
        assert '## v%s' % version.replace('.', '\\.') in _read('CHANGELOG.md')
    config = _yaml('changelogs', 'config.yaml')
    assert os.path.isdir(os.path.join(REPO, 'changelogs', config['notesdir']))


def test_extra_docs_list_every_guide_and_lint():
    listed = [entry for section in _yaml('docs', 'docsite', 'extra-docs.yml')['sections']
              for entry in section['toctree']]
    pages = sorted(os.path.splitext(os.path.basename(p))[0]
                   for p in glob.glob(os.path.join(REPO, 'docs', 'docsite', 'rst', '*.rst')))
    assert sorted(listed) == pages, 'docs/docsite/extra-docs.yml must list exactly the rst pages'
    assert {'guide_migrating_a_fleet', 'guide_troubleshooting'} <= set(listed)
    run(['antsibull-docs', 'lint-collection-docs', '--no-plugin-docs', REPO])


def test_ee_metadata_names_its_files_and_pins_no_ansible_core():
    meta = _yaml('meta', 'execution-environment.yml')
    assert meta['version'] == 1
    assert set(meta['dependencies']) <= {'python', 'system'}, meta['dependencies']
    assert meta['dependencies']['python'] == 'meta/ee-requirements.txt'
    for relative in meta['dependencies'].values():
        assert os.path.isfile(os.path.join(REPO, relative)), relative
    names = set(_requirements('meta', 'ee-requirements.txt'))
    assert names == {'requests'}, names
    assert not names & {'ansible', 'ansible-core', 'ansible-base'}


def test_builder_introspect_reports_the_collection_requirements(installed_collections, tmp_path):
    pip_file = tmp_path / 'requirements.txt'
    out = run(['ansible-builder', 'introspect', installed_collections, '--write-pip', str(pip_file)])
    report = yaml.safe_load(out[out.index('---'):])
    expected = ['%s  # from collection xivo.confd' % line for line in
                _read('meta', 'ee-requirements.txt').splitlines()
                if line.strip() and not line.startswith('#')]
    assert report['python'] == expected, report
    assert report['system'] == [], report
    assert 'ansible-core' not in out and 'ansible-core' not in pip_file.read_text()


def test_builder_create_writes_a_build_context_from_the_example(collection_tarball, tmp_path):
    work = tmp_path / 'ee'
    shutil.copytree(os.path.join(REPO, 'docs', 'ee'), str(work))
    shutil.copy(collection_tarball, str(work))
    definition = yaml.safe_load((work / 'execution-environment.yml').read_text())
    assert definition['version'] == 3
    assert [f['src'] for f in definition['additional_build_files']] == [tarball_name()]
    requirements = yaml.safe_load((work / 'requirements.yml').read_text())
    assert requirements['collections'] == [
        {'name': '/build/collections/%s' % tarball_name(), 'type': 'file'}]
    # Only the tool's own directory on PATH: 'create' must not need podman or docker.
    builder = shutil.which('ansible-builder')
    env = dict(os.environ, PATH=os.path.dirname(builder))
    run([builder, 'create', '--file', 'execution-environment.yml', '--context', 'context',
         '--output-filename', 'Containerfile'], env=env, cwd=str(work))
    context = work / 'context'
    containerfile = (context / 'Containerfile').read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % definition['images']['base_image']['name'] in containerfile
    assert 'ansible-galaxy collection install' in containerfile
    assert 'introspect.py introspect' in containerfile
    assert (context / '_build' / 'collections' / tarball_name()).is_file()
    assert yaml.safe_load((context / '_build' / 'requirements.yml').read_text()) == requirements

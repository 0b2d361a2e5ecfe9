# -*- coding: utf-8 -*-
"""The docs as Galaxy, GitHub and the Ansible docsite show them: the docs site builds with the
guides, the guides' Markdown twins are current, the links of the README and galaxy.yml work
away from the repository, and every section of docs/server-behaviour.md the code cites exists."""

from __future__ import annotations

import os
import re

import yaml

from tests.integration.collection import REPO, galaxy_metadata, run

GUIDES = ('guide_awx', 'guide_migrating_a_fleet', 'guide_troubleshooting', 'guide_wazo',
          'guide_xivo_to_wazo',
          'server-behaviour')
CITATION = re.compile(r'server-behaviour\.md#([A-Za-z0-9_-]*)')
CITING_TREES = ('plugins', 'roles', 'tests', 'scripts', 'docs', 'README.md')


def _repository_path(url):
    """The path in this checkout of a link to a file of the repository's main branch, else None."""
    prefix = galaxy_metadata()['repository'] + '/blob/main/'
    return url[len(prefix):].split('#', 1)[0] if url.startswith(prefix) else None


def test_docs_site_builds_with_the_guides_and_every_plugin(tmp_path):
    index = run([os.path.join(REPO, 'scripts', 'docs'), str(tmp_path / 'site')]).strip().splitlines()[-1]
    html = os.path.dirname(index)
    with open(index, encoding='utf-8') as f:
        listing = f.read()
    for guide in GUIDES:
        assert 'href="docsite/%s.html"' % guide in listing, guide
    for page in ('user_csv_module', 'user_import_module', 'user_export_module', 'user_remove_module',
                 'fleet_import_module', 'fleet_result_module', 'safe_stem_filter', 'user_migration_role'):
        assert os.path.isfile(os.path.join(html, page + '.html')), page
    with open(os.path.join(html, 'docsite', 'guide_awx.html'), encoding='utf-8') as f:
        assert 'artifacts/&lt;ident&gt;/command' in f.read()


def test_markdown_guides_say_what_the_rst_says(tmp_path):
    for guide in GUIDES:
        assert os.path.isfile(os.path.join(REPO, 'docs', guide + '.md')), guide
    run(['python', os.path.join(REPO, 'scripts', 'guides_markdown.py'), '--check'])


def test_readme_galaxy_and_docsite_links_are_absolute_and_lead_to_files():
    with open(os.path.join(REPO, 'README.md'), encoding='utf-8') as f:
        readme_links = re.findall(r'\]\(([^)]+)\)', f.read())
    with open(os.path.join(REPO, 'docs', 'docsite', 'links.yml'), encoding='utf-8') as f:
        extra_links = [link['url'] for link in yaml.safe_load(f)['extra_links']]
    links = readme_links + extra_links + [galaxy_metadata()['documentation']]
    assert len(readme_links) >= 10
    for url in links:
        assert url.startswith('https://'), url  # Galaxy shows the README away from the repository
        path = _repository_path(url)
        if path is not None:
            assert os.path.isfile(os.path.join(REPO, path)), url
    assert _repository_path(galaxy_metadata()['documentation']).endswith('.md')
    assert {_repository_path(url) for url in extra_links} >= {'docs/%s.md' % g for g in GUIDES}


def _cited_anchors():
    """{anchor: a file citing it} over the code, tests and docs (the Markdown page itself aside)."""
    cited = {}
    for tree in CITING_TREES:
        top = os.path.join(REPO, tree)
        paths = [top] if os.path.isfile(top) else (
            os.path.join(d, f) for d, _dirs, files in os.walk(top) for f in files)
        for path in paths:
            if path.endswith(('.pyc', '.tar.gz', '.png')) or path.endswith('server-behaviour.md'):
                continue
            with open(path, encoding='utf-8', errors='replace') as f:
                for anchor in CITATION.findall(f.read()):
                    cited.setdefault(anchor, os.path.relpath(path, REPO))
    return cited


def test_every_cited_server_fact_is_a_section_of_server_behaviour():
    with open(os.path.join(REPO, 'docs', 'server-behaviour.md'), encoding='utf-8') as f:
        titles = re.findall(r'^#{2,} (.+)$', f.read(), re.M)
    # GitHub's anchor of a title and the docsite's id agree for titles of words and spaces.
    assert [t for t in titles if not re.match(r'^[A-Za-z0-9]+( [A-Za-z0-9]+)*$', t)] == []
    anchors = {t.lower().replace(' ', '-') for t in titles}
    assert len(anchors) == len(titles)
    cited = _cited_anchors()
    assert len(cited) >= 20
    assert {a: where for a, where in cited.items() if a not in anchors} == {}


def test_the_code_cites_the_repository_not_a_reference_outside_it():
    """Server facts are cited by their section of docs/server-behaviour.md, never by the
    section-sign numbers of a document the repository does not hold."""
    citing = []
    for tree in ('plugins', 'roles', 'tests', 'scripts'):
        for directory, dummy, files in os.walk(os.path.join(REPO, tree)):
            for name in files:
                if name.endswith(('.pyc', '.gz')):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding='utf-8', errors='replace') as f:
                    if '\u00a7' in f.read():
                        citing.append(os.path.relpath(path, REPO))
    assert citing == []

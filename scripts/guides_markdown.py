# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the Markdown twin of each guide of docs/docsite/rst/ to docs/<guide>.md.

The RST guides are the source: the Ansible docsite (antsibull-docs) reads only RST from
docs/docsite/rst/. Galaxy lists and renders only the Markdown files at the top of docs/, and GitHub
cannot render the docsite's roles (:ansplugin:, :ref:), so each guide also ships as Markdown that
both render (CommonMark, python-markdown's 'extra'). Run after editing a guide:

    python scripts/guides_markdown.py            # rewrites docs/guide_*.md
    python scripts/guides_markdown.py --check    # fails when a Markdown file is out of date
"""

from __future__ import annotations

import argparse
import glob
import os
import sys

import docutils.core
import yaml
from docutils import nodes
from docutils.parsers.rst import directives, roles
from docutils.parsers.rst.directives.body import CodeBlock

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RST_DIR = os.path.join(REPO, 'docs', 'docsite', 'rst')
MD_DIR = os.path.join(REPO, 'docs')
LABEL_PREFIX = 'ansible_collections.xivo.confd.docsite.'
# Galaxy renders the Markdown away from the repository: links between guides are absolute.
with open(os.path.join(REPO, 'galaxy.yml'), encoding='utf-8') as _galaxy:
    DOCS_URL = yaml.safe_load(_galaxy)['repository'] + '/blob/main/docs/'
INDENT = '    '  # python-markdown nests list content by 4 spaces only


def _role(name, rawtext, text, lineno, inliner, options=None, content=None):
    node = nodes.literal(rawtext, text)
    node['docsite_role'] = name
    return [node], []


def parse(path):
    # The docsite's own roles and directive, kept as what they refer to.
    directives.register_directive('code-block', CodeBlock)
    roles.register_local_role('ansplugin', _role)
    roles.register_local_role('ref', _role)
    with open(path, encoding='utf-8') as handle:
        source = handle.read()
    return docutils.core.publish_doctree(source, source_path=path, settings_overrides={
        'doctitle_xform': False, 'report_level': 2, 'halt_level': 2, 'syntax_highlight': 'none'})


def _code(text):
    fence = '``' if '`' in text else '`'
    pad = ' ' if text.startswith('`') or text.endswith('`') else ''
    return '%s%s%s%s%s' % (fence, pad, text, pad, fence)


def _escape(text):
    for char in '\\`*_[]':
        text = text.replace(char, '\\' + char)
    return text.replace('<', '&lt;').replace('\n', ' ')


class Writer:
    def __init__(self, titles):
        self.titles = titles  # {guide name: its title}, for :ref: links between guides
        self.list_depth = 0

    def inline(self, node):
        if isinstance(node, nodes.Text):
            return _escape(node.astext())
        if isinstance(node, nodes.literal):
            return self.literal(node)
        if isinstance(node, nodes.strong):
            return '**%s**' % self.inlines(node)
        if isinstance(node, nodes.emphasis):
            return '*%s*' % self.inlines(node)
        if isinstance(node, nodes.reference) and node.get('refuri'):
            return '[%s](%s)' % (self.inlines(node), node['refuri'])
        if isinstance(node, nodes.reference) and node.get('refid'):
            # A section of the same page: its id is its title's slug, as GitHub makes it when
            # the title holds only words and spaces.
            return '[%s](#%s)' % (self.inlines(node), node['refid'])
        raise ValueError('no Markdown for the inline %s (line %s)' % (node.tagname, node.line))

    def inlines(self, node):
        return ''.join(self.inline(child) for child in node.children)

    def literal(self, node):
        role, text = node.get('docsite_role'), node.astext()
        if role == 'ansplugin':  # xivo.confd.user_import#module: ansible-doc's name
            return _code(text.split('#', 1)[0])
        if role == 'ref':
            guide = text[len(LABEL_PREFIX):] if text.startswith(LABEL_PREFIX) else None
            if guide not in self.titles:
                raise ValueError('a :ref: to %s, which is no guide' % text)
            return '[%s](%s%s.md)' % (_escape(self.titles[guide]), DOCS_URL, guide)
        return _code(text)

    def blocks(self, node, level):
        out = []
        for child in node.children:
            out.extend(self.block(child, level))
        return out

    def block(self, node, level):
        """The Markdown lines of a block node, then an empty line."""
        if isinstance(node, (nodes.target, nodes.comment, nodes.topic)):
            return []  # labels, comments, the 'contents' table (GitHub and Galaxy show an outline)
        if isinstance(node, nodes.section):
            return self.blocks(node, level + 1)
        if isinstance(node, nodes.title):
            return ['#' * level + ' ' + self.inlines(node), '']
        if isinstance(node, nodes.paragraph):
            return [self.inlines(node), '']
        if isinstance(node, nodes.literal_block):
            text = node.astext()
            if self.list_depth:  # python-markdown has fences at the top level only
                return [INDENT + line for line in text.splitlines()] + ['']
            classes = [c for c in node.get('classes', []) if c != 'code']
            fence = '~~~~' if '```' in text else '```'
            return [fence + (classes[0] if classes else '')] + text.splitlines() + [fence, '']
        if isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
            start = node.get('start', 1)
            ordered = isinstance(node, nodes.enumerated_list)
            out = []
            for number, item in enumerate(node.children, start):
                out.extend(self.item('%d. ' % number if ordered else '- ', self.nested(item, level)))
            return out
        if isinstance(node, nodes.definition_list):
            out = []
            for item in node.children:
                term = next(c for c in item.children if isinstance(c, nodes.term))
                definition = next(c for c in item.children if isinstance(c, nodes.definition))
                out.extend(self.item('- ', [self.inlines(term), ''] + self.nested(definition, level)))
            return out
        if isinstance(node, nodes.block_quote):
            return [('> ' + line).rstrip() for line in self.blocks(node, level)] + ['']
        raise ValueError('no Markdown for the block %s (line %s)' % (node.tagname, node.line))

    def nested(self, node, level):
        self.list_depth += 1
        try:
            return self.blocks(node, level)
        finally:
            self.list_depth -= 1

    @staticmethod
    def item(marker, lines):
        while lines and not lines[-1]:
            lines.pop()
        out = [marker + lines[0]]
        out.extend((INDENT + line) if line else '' for line in lines[1:])
        return out + ['']


def render(path, titles):
    header = ('<!-- Written by scripts/guides_markdown.py from docs/docsite/rst/%s: '
              'edit the RST, then run the script. -->' % os.path.basename(path))
    lines = [header, ''] + Writer(titles).blocks(parse(path), 0)
    while lines and not lines[-1]:
        lines.pop()
    return '\n'.join(lines) + '\n'


def guides():
    """{markdown path: its text} for every guide."""
    sources = sorted(glob.glob(os.path.join(RST_DIR, '*.rst')))
    titles = {}
    for path in sources:
        title = next(parse(path).findall(nodes.title))
        titles[os.path.splitext(os.path.basename(path))[0]] = title.astext()
    return {os.path.join(MD_DIR, name + '.md'): render(os.path.join(RST_DIR, name + '.rst'), titles)
            for name in titles}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='only report Markdown files out of date')
    stale = []
    check = parser.parse_args().check
    for path, text in guides().items():
        try:
            with open(path, encoding='utf-8') as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        stale.append(os.path.relpath(path, REPO))
        if not check:
            with open(path, 'w', encoding='utf-8') as handle:
                handle.write(text)
    if stale:
        print('%s: %s' % ('out of date' if check else 'written', ', '.join(stale)))
    return 1 if check and stale else 0


if __name__ == '__main__':
    sys.exit(main())

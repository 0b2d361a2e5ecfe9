# -*- coding: utf-8 -*-
"""Generated benchmark inputs: legacy web-interface files (``|``, as PHP ``fputcsv`` wrote
them) and the emulator seed that gives their extensions a home."""

from __future__ import annotations

import json
import random

LEGACY_HEADER = ('entityid', 'firstname', 'lastname', 'language', 'phonenumber', 'context',
                 'protocol', 'username', 'password', 'mobilephonenumber', 'outcallerid',
                 'enablexfer', 'voicemailname', 'voicemailnumber', 'voicemailcontext',
                 'voicemailpassword', 'voicemailemail', 'incallexten', 'incallcontext')

FIRSTNAMES = ('Hélène', 'François', 'Amélie', 'Björn', 'Gwénaëlle', 'Yannick', 'Zoé', 'Jérôme',
              'Noël', 'Chloé', 'Anne Marie', 'Jean-Luc', 'Loïc', 'Ségolène', 'Océane', 'Paul',
              'Marc', 'Sophie', 'Thomas', 'Léa')
LASTNAMES = ('Dupré', 'Lefèvre', 'Poulain', 'Ångström', 'Kerhervé', 'Le Gall', 'Müller',
             'Faÿ', 'Martin', 'Bernard', 'Petit', 'Durand', 'De La Tour', 'Moreau', 'Lefebvre',
             'Girard', 'Bonnet', 'Dubois', 'Rousseau', 'Lambert')

# Wide enough for the 10,000-user server (the default seed holds 1000-1999 / 2000-2999).
SEED = {
    'contexts': [
        {'name': 'default', 'type': 'internal', 'ranges': [['1000', '1999'], ['10000', '39999']]},
        {'name': 'from-extern', 'type': 'incall', 'ranges': [['2000', '2999'], ['40000', '79999']]},
        {'name': 'to-extern', 'type': 'outcall', 'ranges': []},
    ],
}


def _php_cell(value):
    """PHP fputcsv quotes a cell holding the delimiter, a quote, a space, a tab or a line end."""
    if any(c in value for c in '|" \t\r\n\\'):
        return '"%s"' % value.replace('"', '""')
    return value


def legacy_rows(count, first_exten=1000, incall_offset=1000, prefix='u', seed=7):
    """``count`` realistic legacy rows: accented names, some with spaces (quoted by PHP),
    a third with a voicemail, a quarter with an incall, a fifth with a mobile number."""
    rnd = random.Random(seed)
    for i in range(count):
        exten = str(first_exten + i)
        first = rnd.choice(FIRSTNAMES)
        last = rnd.choice(LASTNAMES)
        voicemail = i % 3 == 0
        incall = i % 4 == 0
        mobile = '06 %02d %02d %02d %02d' % tuple(rnd.randrange(100) for dummy in range(4)) \
            if i % 5 == 0 else ''
        yield ('1', first, last, 'fr_FR', exten, 'default', 'sip', '%s%07d' % (prefix, i),
               'Pw%06d' % rnd.randrange(10 ** 6), mobile, '', '',
               '', exten if voicemail else '', 'default' if voicemail else '',
               '%04d' % rnd.randrange(10 ** 4) if voicemail else '',
               '%s%07d@example.com' % (prefix, i) if voicemail else '',
               str(first_exten + incall_offset + i) if incall else '',
               'from-extern' if incall else '')


def write_legacy(path, count, **options):
    """Write a UTF-8 legacy file of ``count`` users; returns its size in bytes."""
    with open(path, 'w', encoding='utf-8', newline='') as handle:
        handle.write('|'.join(LEGACY_HEADER) + '\n')
        lines = []
        for row in legacy_rows(count, **options):
            lines.append('|'.join(_php_cell(cell) for cell in row) + '\n')
            if len(lines) >= 10000:
                handle.writelines(lines)
                lines = []
        handle.writelines(lines)
        return handle.tell()


def write_confd(legacy_path, path):
    """Convert a legacy file into the confd format with the collection's converter."""
    from ansible_collections.xivo.confd.plugins.module_utils import confd_csv
    from ansible_collections.xivo.confd.plugins.module_utils.legacy_csv import convert_file
    converter, _encoding, rows = convert_file(legacy_path)
    if converter.invalid_count:
        raise RuntimeError('generated rows are invalid: %r' % converter.invalid_rows[:3])
    with open(path, 'w', encoding='utf-8', newline='') as handle:
        writer = confd_csv.writer(handle)
        writer.writerow(converter.columns)
        writer.writerows(rows)
    return len(rows)


def write_seed(path):
    with open(path, 'w') as handle:
        json.dump(SEED, handle)

# -*- coding: utf-8 -*-
"""Write the malformed-input corpus of tests/integration/files/malformed/ (run once, committed).

    python -m tests.reliability.make_malformed

Legacy files (web interface, '|') are under legacy/, confd files (',') under confd/. Files
holding a CR byte, a BOM or bytes that are not UTF-8 use the .bin extension so that
ansible-test's text checks (line endings, smart quotes, BOM) leave them alone. The 1 MB
single-line files are made at test time (tests/integration/test_reliability_malformed.py).
"""

from __future__ import annotations

import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration', 'files', 'malformed')
LH = 'firstname|lastname|username|password|phonenumber|context|protocol|linesecret|voicemailnumber|voicemailpassword'
LR = 'Jean|Dupont|jdupont|Pw-Jean-01|1001|default|sip|SipJean-77||'
CH = 'firstname,lastname,exten,context,line_protocol,username,password'
CR_ = 'Jean,Dupont,1001,default,sip,jdupont,Pw-Jean-01'

LEGACY = {
    'empty.csv': b'',
    'blank_lines_only.csv': b'\n\n   \n',
    'header_only.csv': (LH + '\n').encode(),
    'truncated_mid_row.csv': (LH + '\n' + LR + '\nMarie|Cur').encode(),
    'truncated_utf8.csv.bin': (LH + '\n' + LR + '\nZo').encode() + 'é'.encode('utf-8')[:1],
    'binary_random.csv': bytes(range(256)) * 4,
    'gzip_magic.csv': b'\x1f\x8b\x08\x00' + bytes(200),
    'wrong_delimiter_comma.csv': (LH.replace('|', ',') + '\n' + LR.replace('|', ',') + '\n').encode(),
    'wrong_delimiter_semicolon.csv': (LH.replace('|', ';') + '\n' + LR.replace('|', ';') + '\n').encode(),
    'wrong_delimiter_tab.csv': (LH.replace('|', '\t') + '\n' + LR.replace('|', '\t') + '\n').encode(),
    'mixed_encodings.csv.bin': (LH + '\n').encode() + 'Zoé|Müller|zoe|Pw-Zoe-001|1002|default|sip|||\n'.encode('utf-8')
    + 'Frédéric|Lefèvre|fred|Pw-Fred-01|1003|default|sip|||\n'.encode('cp1252'),
    'utf16_with_bom.csv': (LH + '\n' + LR + '\n').encode('utf-16'),
    'huge_field_70k.csv': (LH + '\n' + 'A' * 70000 + '|Dupont|big|Pw-Big-001|1004|default|sip|||\n').encode(),
    'huge_row_many_cells.csv': (LH + '\n' + LR + '|x' * 5000 + '\n').encode(),
    'duplicated_header.csv': (LH + '|firstname\n' + LR + '|Again\n').encode(),
    'duplicated_header_alias.csv': ('firstname|lastname|voicemailnumber|voicemailmailbox|phonenumber|context\n'
                                    'Jean|Dupont|1001|1001|1001|default\n').encode(),
    'unknown_headers.csv': ('firstname|lastname|shoesize|phonenumbr\nJean|Dupont|42|1001\n').encode(),
    'no_firstname.csv': ('lastname|phonenumber|context\nDupont|1001|default\n').encode(),
    'nul_bytes.csv': (LH + '\n' + LR + '\n').encode().replace(b'Dupont', b'Dup\x00ont'),
    'nul_in_header.csv': (LH + '\n' + LR + '\n').encode().replace(b'lastname', b'last\x00name'),
    'formula_values.csv': (LH + '\n' + '=cmd|\' /C calc\'!A0|+SUM(1;2)|@evil|-2+3|1005|default|sip|||\n'
                           + '"=HYPERLINK(""http://x"")"|Dupont|hyper|Pw-Hyp-001|1006|default|sip|||\n').encode(),
    'bom_in_the_middle.csv': (LH + '\n' + LR + '\n').encode('utf-8') + b'\xef\xbb\xbf' + 'Marie|Curie|mcurie|Pw-Marie-1|1007|default|sip|||\n'.encode(),
    'bom_twice.csv.bin': b'\xef\xbb\xbf\xef\xbb\xbf' + (LH + '\n' + LR + '\n').encode(),
    'cr_only.csv.bin': (LH + '\r' + LR + '\r' + LR.replace('1001', '1008').replace('jdupont', 'jd2') + '\r').encode(),
    'crlf_mixed_lf.csv.bin': (LH + '\r\n' + LR + '\n' + LR.replace('1001', '1009').replace('jdupont', 'jd3') + '\r\n').encode(),
    'unterminated_quote.csv': (LH + '\n' + '"Jean|Dupont|jdupont|Pw-Jean-01|1001|default|sip|||\n' + LR + '\n').encode(),
    'quote_in_header.csv': ('"firstname|lastname\nJean|Dupont\n').encode(),
    'newline_in_header.csv': ('"first\nname"|lastname\nJean|Dupont\n').encode(),
    'only_delimiters.csv': (LH + '\n' + '|' * 9 + '\n' + '|' * 30 + '\n').encode(),
    'control_chars.csv': (LH + '\n' + 'Je\x01an|Du\x1bpont|jd\x7f|Pw-Jean-01|1001|default|sip|||\n').encode(),
    'bidi_and_zero_width.csv': (LH + '\n' + 'Je\u202ean|Du\u200bpont|jdupont|Pw-Jean-01|1001|default|sip|||\n').encode(),
    'all_rows_invalid.csv': (LH + '\n' + '|Nofirst|u1|Pw-1234-01|abc|default|sip|||\n'
                             + 'X|Y|u 2|short|1001|default|ftp||12ab|x\n').encode(),
    'header_with_spaces_and_case.csv': ('  FirstName | LASTNAME |PhoneNumber\nJean|Dupont|1001\n').encode(),
    'very_long_header.csv': ('firstname|' + '|'.join('col%d' % i for i in range(3000)) + '\nJean\n').encode(),
}

CONFD = {
    'empty.csv': b'',
    'header_only.csv': (CH + '\n').encode(),
    'truncated.csv': (CH + '\n' + CR_ + '\nMarie,Cu').encode(),
    'binary_random.csv': bytes(range(256)) * 4,
    'latin1.csv.bin': (CH + '\n').encode() + 'Zoé,Müller,1002,default,sip,zoe,Pw-Zoe-001\n'.encode('latin-1'),
    'mixed_encodings.csv.bin': (CH + '\n').encode() + 'Zoé,M,1002,default,sip,zoe,Pw-Zoe-001\n'.encode('utf-8')
    + 'Frédéric,L,1003,default,sip,fred,Pw-Fred-01\n'.encode('cp1252'),
    'legacy_pipe_format.csv': (LH + '\n' + LR + '\n').encode(),
    'semicolon_delimiter.csv': (CH.replace(',', ';') + '\n' + CR_.replace(',', ';') + '\n').encode(),
    'duplicated_header.csv': (CH + ',firstname\n' + CR_ + ',Again\n').encode(),
    'unknown_column.csv': (CH + ',shoesize\n' + CR_ + ',42\n').encode(),
    'no_firstname.csv': ('lastname,exten,context\nDupont,1001,default\n').encode(),
    'nul_bytes.csv': (CH + '\n' + CR_ + '\n').encode().replace(b'Dupont', b'Dup\x00ont'),
    'formula_values.csv': (CH + '\n' + '=cmd|\' /C calc\'!A0,+SUM(1;2),1010,default,sip,@evil,-2+3\n').encode(),
    'bom_in_the_middle.csv': (CH + '\n' + CR_ + '\n').encode() + b'\xef\xbb\xbfMarie,Curie,1011,default,sip,mc,Pw-Marie-1\n',
    'cr_only.csv.bin': (CH + '\r' + CR_ + '\r').encode(),
    'unterminated_quote.csv': (CH + '\n' + '"Jean,Dupont,1001,default,sip,jdupont,Pw-Jean-01\n').encode(),
    'short_and_long_rows.csv': (CH + '\nJean,Dupont\n' + CR_ + ',extra,cells\n').encode(),
    'huge_field_200k.csv': (CH + '\n' + 'A' * 200000 + ',Dupont,1012,default,sip,big,Pw-Big-001\n').encode(),
    'utf16.csv': (CH + '\n' + CR_ + '\n').encode('utf-16'),
    'quoted_newline_in_header.csv': ('"first\nname",lastname\nJean,Dupont\n').encode(),
    'all_rows_invalid.csv': (CH + '\n,NoFirst,1013,default,sip,u1,Pw-1234-01\nX,Y,abc,default,ftp,u 2,short\n').encode(),
}


def main():
    for folder, files in (('legacy', LEGACY), ('confd', CONFD)):
        path = os.path.join(ROOT, folder)
        os.makedirs(path, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(path, name), 'wb') as handle:
                handle.write(data)
    print('%d legacy and %d confd files in %s' % (len(LEGACY), len(CONFD), os.path.normpath(ROOT)))


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: user_csv
short_description: Convert a legacy XiVO web-interface user CSV into the confd import format
version_added: 1.0.0
description:
  - Reads the user file of the XiVO web interface (up to XiVO 15.19, C(|)-separated, PHP
    C(fgetcsv) quoting) and writes the comma-separated file that confd's
    C(POST /1.1/users/import) (XiVO 15.20 and later, checked against confd 16.15) accepts.
  - Runs entirely on the Ansible controller, like M(ansible.builtin.debug); the inventory host is
    not contacted, so the task can run once per XiVO server or once with C(run_once).
  - Knows every header of the 15.15-15.19 web interface and of the pre-15.15 variant
    (C(voicemailmailbox) is C(voicemail_number), C(voicemailskippass) is inverted into
    C(voicemail_ask_password), and a defined voicemail takes the row's C(context) as
    C(voicemail_context)). The columns with no confd equivalent (C(agentnumber),
    C(bosssecretary), C(callerid)) are dropped with a warning naming them.
  - "Reads quoted cells holding C(|), doubled quotes C(\"\"), PHP C(\\\") escapes (read as a quote)
    and line breaks (replaced by O(newline_replacement), with a warning naming the line); CRLF
    or LF line ends, a missing final newline, blank lines (skipped). A row shorter than the
    header is padded with empty cells, a longer one is cut like the legacy importer did; both
    are reported in RV(row_warnings)."
  - Normalises what confd needs, keeping the legacy meaning where confd 16.15 differs. Values are
    trimmed; C(line_protocol) is lower-cased; C(cti_profile_name) gets the 12.24 case map
    (C(client) to C(Client), C(agent) to C(Agent), C(switchboard) to C(Switchboard), C(agentsup)
    to C(Supervisor)); spaces, dots and dashes are removed from mobile numbers; an empty or absent
    C(enablexfer) becomes C(call_transfer_enabled=1) (legacy empty meant enabled, confd's default
    is 0); a defined voicemail without a name gets C(firstname lastname), and empty
    C(voicemail_ask_password)/C(voicemail_delete_messages) cells get C(1)/C(0).
  - Validates every row against the confd 16.15 rules (required firstname, lengths, the regular
    expressions of mobile number, username, password, language, call permission password,
    voicemail number and password, SIP username and secret, extensions; integer and boolean forms
    and ranges; voicemail completeness; half-filled incalls; caller id length; CTI profile needing
    a username and password; extensions with C(*) or C(#) that make confd 16.15 fail the whole
    file) and duplicate keys inside the file (exten@context, incall exten@context, username, email
    ignoring case, SIP username). Each problem names the legacy line, the confd and the legacy
    column and the reason, never the value.
  - Writes O(dest) in UTF-8 without BOM, C(,)-separated, minimal quoting with doubled quotes,
    C(\\n) line ends, every row with every column, columns in confd's order. The file is replaced
    atomically and only when its content changes, with mode O(mode). Missing directories of
    O(dest) are created with mode 0700.
  - "Reads what spreadsheets and old systems write: UTF-8 with or without BOM, UTF-16 and UTF-32
    with a BOM (little- or big-endian), cp1252 or latin-1, files mixing UTF-8 and cp1252 lines
    (see O(encoding)), CR-only line ends of classic Mac OS (read as line ends, with a warning),
    and Excel's C(Unicode text) export (UTF-16LE with BOM, tab-separated, CRLF: the tab is the
    delimiter when the file is UTF-16 and its header holds tabs and no C(|); RV(delimiter) says
    which was used)."
  - A file that is not a legacy CSV is refused with what it really is, before anything is
    written - a gzip, bzip2 or xz file, a ZIP archive (such as an C(.xlsx) workbook), an
    C(.xls) workbook, a PDF, UTF-16 without a BOM, a binary file. Messages never hold raw
    binary bytes (they are written as escapes) and are bounded (the first 10 unknown headers
    are named, the others counted).
  - A regular O(src) is read twice as a stream (once to learn its encoding and line ends, once
    to convert it) and each row is written as soon as it is converted, so memory grows only with
    the duplicate-key index (and, in diff mode, with the previous O(dest)). Any other O(src) (a
    FIFO, a pipe such as C(/dev/stdin), a device) can be read only once, so it is read once into
    memory, and refused when it holds more than 256 MiB.
author:
  - xivo.confd developers (@xivo-confd)
options:
  src:
    description:
      - The legacy CSV file on the controller.
      - May be a FIFO or a pipe (C(/dev/stdin)), read once, into memory, at most 256 MiB (the
        task fails naming the file and the limit past that). Opening a FIFO waits for a writer,
        like C(cat) does; set the task's C(timeout) when none may come.
      - Must not be the same file as O(dest), by any path (a link, C(..), another spelling); the
        task fails before reading it, since writing O(dest) would overwrite the legacy file and
        lose the rows left out.
      - A relative path is searched like other controller-side file options (M(ansible.builtin.copy)
        C(src)), in the role's or the playbook's C(files/) directory, then relative to the role
        or playbook.
    type: path
    required: true
  dest:
    description:
      - The confd-format CSV to write on the controller.
      - Its missing directories are created with mode 0700 (only the owner can enter them), like
        M(xivo.confd.user_import) does for its reports. In check mode they are not created;
        RV(created_directories) and a warning say they would be.
      - The new content is written to a temporary file beside it, C(.DEST.HOST-PID.RANDOM.tmp)
        (mode 0600), then renamed. A temporary file of the same O(dest) left by a conversion that
        was killed (its process, on this controller, is gone) is removed by the next run and
        reported in RV(stale_temp_files); the files of running conversions, of other hosts
        sharing the directory, and any other file are left alone.
      - A relative path is relative to the playbook's directory.
    type: path
    required: true
  encoding:
    description:
      - The encoding of O(src).
      - "V(auto) believes a BOM (UTF-8, UTF-16 or UTF-32, little- or big-endian; it is removed);
        else reads UTF-8 when the whole file is UTF-8; else, when some lines are UTF-8 and others
        are not (a file edited by two tools), decodes each line on its own, as UTF-8 when it is
        valid UTF-8, else as cp1252 (latin-1 for a line holding bytes cp1252 does not define), so no
        C(HÃ©lÃ¨ne). RV(encoding) then says for example C(mixed: utf-8 + cp1252),
        RV(encoding_lines) which lines took which encoding, and a warning names the lines that
        are not UTF-8, to be checked. Otherwise the whole file is cp1252 (the Windows Excel
        encoding), or latin-1 when it holds bytes cp1252 does not define. The detection reads
        the file in chunks."
      - Any other value is a Python codec name such as V(utf-8), V(cp1252), V(latin-1) or
        V(utf-16-le) (for UTF-16 saved without a BOM); a byte that does not decode fails the
        task, naming its line, before anything is written. A BOM of another encoding fails the
        task too.
      - The encoding used is returned in RV(encoding).
    type: str
    default: auto
  unknown_columns:
    description:
      - What to do with a header the converter does not know.
      - V(fail) fails the task, naming each unknown header, its position and the closest known
        header, before anything is written. confd itself would silently ignore such a column
        and lose its data.
      - V(drop) leaves those columns out and warns.
    type: str
    choices: [fail, drop]
    default: fail
  column_map:
    description:
      - Extra or overriding mappings, legacy header (case-insensitive) to confd column name,
        for example C(phonenumbre=exten) or C(mail=email).
      - An empty value (V('') or V(null)) drops that legacy column.
    type: dict
    default: {}
  defaults:
    description:
      - Values for empty or absent cells, confd column name to value, for example
        C(context=default) or C(voicemail_context=default) for files that lack them.
      - A column named here is written even when O(src) does not have it.
      - Defaults of C(voicemail_*) columns apply only to rows that have a voicemail number, so
        that they do not create voicemails for the other users.
      - Defaults are applied before the legacy rules (C(call_transfer_enabled), voicemail name)
        and before validation.
    type: dict
    default: {}
  invalid_rows:
    description:
      - What to do with rows that confd would reject, or that would break the import.
      - V(fail) fails the task, naming every problem (line, column, reason), and writes nothing.
      - V(skip) writes the valid rows, warns, and reports the others in RV(invalid_rows); the
        task is then C(changed) or C(ok) as usual.
    type: str
    choices: [fail, skip]
    default: fail
  mode:
    description:
      - The permissions of O(dest), as an octal string such as V('0600') or an octal number.
      - The file holds passwords, so only the owner can read it by default.
      - A mode that differs from the current one is applied and reported as a change.
    type: raw
    default: '0600'
  backup:
    description:
      - Before replacing O(dest), copy it beside itself with a timestamp in its name, like
        M(ansible.builtin.copy). The copy's name is returned in RV(backup_file).
    type: bool
    default: false
  newline_replacement:
    description:
      - What replaces a line break inside a quoted value. confd would otherwise delete it
        silently. Each replacement is reported.
    type: str
    default: ' '
  validate:
    description:
      - Check each row against the confd 16.15 rules and look for duplicate keys.
      - With V(false), rows are only normalised; use it for files you validate another way.
    type: bool
    default: true
  max_reported:
    description:
      - How many problems and row notices are listed in RV(invalid_rows) and RV(row_warnings).
        The counts stay exact. This bounds memory and output for very large files.
    type: int
    default: 1000
extends_documentation_fragment:
  - xivo.confd.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: >-
      Converts and validates everything, compares with O(dest), and writes nothing: no directory
      is created and no stale temporary file removed (RV(created_directories) and
      RV(stale_temp_files) say what would be).
  become:
    support: none
  connection:
    support: none
  delegation:
    support: none
    details: Runs in the controller whatever the host; C(delegate_to) changes nothing.
  diff_mode:
    support: full
    details: >-
      Shows the rows added, removed and changed, matched by exten@context, else username, else
      email, else name; secret columns are shown as C(<set>). The previous O(dest) is read into
      memory.
notes:
  - The legacy importer read only as many cells as the header has; the converter does the same
    and reports what it cut. Trailing empty cells are cut silently.
  - A file mixing encodings is read line by line rather than refused, because the other choice
    (one encoding for the whole file) writes wrong letters silently; a line of cp1252 text that
    happens to be valid UTF-8 (rare, it takes sequences such as C(Ã©)) is read as UTF-8, so the
    lines named in the warning are the ones to check.
  - A file with no line feed but carriage returns is read with CR line ends; in a file with line
    feeds, a CR alone inside a line stays part of the value (and is replaced like a line break).
  - Problems that need the server (contexts, extension ranges, entities, CTI profiles, call
    permissions, users already on the server) are not checked here; M(xivo.confd.user_import)
    reports them per user.
seealso:
  - module: xivo.confd.user_import
  - name: Upgrade notes for the CSV format of XiVO 15.20
    description: The official table of legacy and confd columns.
    link: https://wazo-platform.org/uc-doc/upgrade/upgrade_notes
"""

EXAMPLES = r"""
- name: Convert the file kept from the old web interface
  xivo.confd.user_csv:
    src: legacy/users.csv
    dest: /srv/migration/users-confd.csv

- name: One legacy file per server (files/<inventory_hostname>.csv), converted on the controller
  xivo.confd.user_csv:
    src: "{{ inventory_hostname }}.csv"
    dest: "{{ playbook_dir }}/out/{{ inventory_hostname }}.csv"
    backup: true

- name: A file saved by Excel in latin-1, with a misspelt header and no voicemail context
  xivo.confd.user_csv:
    src: legacy/users-latin1.csv
    dest: /srv/migration/users-confd.csv
    encoding: latin-1
    column_map:
      phonenumbre: exten
      callerid: ''
    defaults:
      voicemail_context: default
      language: fr_FR

- name: Write the valid rows, list the others, and keep going
  xivo.confd.user_csv:
    src: legacy/users.csv
    dest: /srv/migration/users-confd.csv
    invalid_rows: skip
  register: converted

- name: Show what was left out
  ansible.builtin.debug:
    msg: "line {{ item.line }}, {{ item.legacy_column }}: {{ item.reason }}"
  loop: "{{ converted.invalid_rows }}"
"""

RETURN = r"""
src:
  description: The legacy file read, after the path search.
  returned: always
  type: str
  sample: /home/admin/migration/files/users.csv
dest:
  description: The absolute path of the confd file.
  returned: always
  type: str
  sample: /srv/migration/users-confd.csv
encoding:
  description:
    - The encoding O(src) was read with (C(utf-8-sig) means UTF-8 with a BOM; C(utf-16-le),
      C(utf-16-be), C(utf-32-le), C(utf-32-be) were read from a BOM).
    - "C(mixed: utf-8 + cp1252) (or C(+ latin-1)) when each line was decoded on its own, see
      RV(encoding_lines)."
  returned: when the file could be read
  type: str
  sample: cp1252
encoding_lines:
  description:
    - For a file of mixed encodings, per encoding the number of lines (holding other than ASCII)
      decoded with it and the first of them (at most O(max_reported)).
  returned: when RV(encoding) starts with C(mixed)
  type: dict
  sample: {utf-8: {count: 240, lines: [2, 3, 5]}, cp1252: {count: 2, lines: [4, 9]}}
delimiter:
  description: The delimiter the cells of O(src) were split on, C(|), or a tab for a UTF-16 file
    whose header holds tabs and no C(|) (Excel's C(Unicode text)).
  returned: when the file could be read
  type: str
  sample: '|'
line_ends:
  description: C(LF) (LF or CRLF line ends), or C(CR) for a file whose lines end with a CR alone.
  returned: when the file could be read
  type: str
  sample: LF
stale_temp_files:
  description:
    - The temporary files of O(dest) left by conversions that were killed, removed by this run
      (in check mode, those that would be removed).
  returned: success or invalid rows
  type: list
  elements: str
  sample: [/srv/migration/.users-confd.csv.3f2a9c1b-4242.k2j4h5g6.tmp]
created_directories:
  description: The directories of O(dest) that did not exist and were created with mode 0700
    (in check mode, those that would be created).
  returned: success or invalid rows
  type: list
  elements: str
  sample: [/srv/migration]
rows:
  description: The number of user rows written (0 when the task failed).
  returned: success or invalid rows
  type: int
  sample: 250
data_rows:
  description: The number of non-blank rows after the header in O(src).
  returned: success or invalid rows
  type: int
  sample: 252
columns:
  description: The header written to O(dest), in confd's order.
  returned: success or invalid rows
  type: list
  elements: str
  sample: [entity_id, firstname, lastname, call_transfer_enabled, context, line_protocol, exten]
dropped_columns:
  description: The legacy headers not written (no confd equivalent, dropped unknown or mapped to nothing).
  returned: success or invalid rows
  type: list
  elements: str
  sample: [agentnumber, bosssecretary]
invalid_rows:
  description:
    - The problems of the rows left out (or that failed the task), at most O(max_reported).
      Never holds a cell value.
  returned: success or invalid rows
  type: list
  elements: dict
  contains:
    line:
      description: The physical line of O(src) where the row starts (the header is line 1).
      type: int
    column:
      description: The confd column, or null for a problem of the whole row.
      type: str
    legacy_column:
      description: The legacy header of that column, or null when the converter added it.
      type: str
    reason:
      description: What is wrong, and what confd would answer.
      type: str
  sample:
    - {line: 4, column: voicemail_password, legacy_column: voicemailpassword,
       reason: "does not match 1-80 digits (confd: String does not match expected pattern.)"}
row_lines:
  description:
    - The line of O(src) where each row written to O(dest) starts, in order, as runs of
      consecutive lines C([first, count]) (a file with no bad row and no multi-line record is one
      pair). Give this result to M(xivo.confd.user_import) (its O(xivo.confd.user_import#module:conversion)
      option) to have every row of O(src) reported in its numbering.
  returned: success or invalid rows
  type: list
  elements: list
  sample: [[2, 3], [6, 295]]
invalid_lines:
  description: The line of O(src) of every row left out (not capped, unlike RV(invalid_rows)), as
    runs C([first, count]) like RV(row_lines).
  returned: success or invalid rows
  type: list
  elements: list
  sample: [[5, 1]]
invalid_count:
  description: The number of rows with at least one problem.
  returned: success or invalid rows
  type: int
  sample: 1
row_warnings:
  description:
    - Notices about rows that were written (padded, cut, line break replaced, no line created...),
      same shape as RV(invalid_rows), at most O(max_reported).
  returned: success or invalid rows
  type: list
  elements: dict
  sample:
    - {line: 7, column: firstname, legacy_column: firstname, reason: "line break inside the value replaced by ' '"}
conversion_warnings:
  description: The warnings of the conversion (also shown as task warnings), one per kind.
  returned: success or invalid rows
  type: list
  elements: str
  sample: ["column(s) with no confd equivalent dropped: agentnumber"]
backup_file:
  description: The copy of the previous O(dest).
  returned: when O(backup=true) and O(dest) was replaced
  type: str
  sample: /srv/migration/users-confd.csv.4242.2026-11-25@10:02:03~
diff_summary:
  description: Counts and keys of the rows added, removed, changed (with the changed column names).
  returned: in diff mode, on success
  type: dict
  sample: {added: 1, removed: 0, changed: 1, unchanged: 10, added_keys: ["1010@default"],
           removed_keys: [], changed_keys: [{key: "1001@default", columns: [lastname, password]}]}
"""

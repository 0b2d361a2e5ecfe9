#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: user_import
short_description: Import users into a XiVO server from a confd CSV file, idempotently
version_added: 1.0.0
description:
  - Imports the users of a confd-format CSV file (as written by M(xivo.confd.user_csv) or
    M(xivo.confd.user_export)) into one XiVO server through C(POST /1.1/users/import), and gives
    a result for every user.
  - "Reads the server's users once (C(GET /1.1/users/export), JSON). A row's identity is the first
    of O(keys) that has a value (with O(name_identity), its name when no key has one). Rows already
    on the server are C(unchanged) (or C(updated) with O(update=true)); only missing rows are sent,
    so a re-run does nothing."
  - "Never the wrong person: a match is trusted only when the row's other keys (and
    C(exten@context), C(username), C(email), which the server keeps unique) belong to no other
    server user, and the identity columns (C(firstname), C(lastname), C(username), C(email),
    C(exten@context)) agree with the matched user where both have a value. Otherwise the row is a
    C(conflict): reported with the server users involved and the columns that disagree, never
    C(unchanged), never updated (O(update_identity) allows identity changes on purpose). A key
    matching several server users is a conflict too."
  - "confd handles a request in one transaction and rolls it back entirely when one row is bad.
    The plugin still imports the good rows: rows confd names in a C(400) answer are C(failed) with
    its message and the rest are sent again; a C(500) names no row, so the batch is split in
    halves until the bad rows stand alone."
  - "Never imports a row twice. Only confd's own answers are taken as certain: a C(201) whose
    created list accounts for every row sent (by row number), a C(400) naming rows, a JSON
    C(400)/C(500) error list (a rollback). Anything else after a request was sent - a lost
    connection, a timeout, a proxy's C(502)/C(503)/C(504) or HTML page, a body that is not JSON, a
    created list that does not add up - is settled by reading the server again before any resend:
    rows now on the server are C(created). After a lost connection the rest is sent again after a
    second look; after a timeout or any answer that is not confd's, confd may still be committing,
    so the rest is C(failed) with advice to re-run later. It always sends a sized body (confd
    silently ignores a chunked upload) and counts a C(created) entry with C(user_id: null) as a
    failure."
  - "Never follows a redirect (it would carry the token to another host, maybe in clear text): a
    C(3xx) is an error naming its C(Location)."
  - "One import at a time into one server: a lock per server address and port on this
    controller (two inventory names of one server, or two playbooks, share it), and a lock kept
    on the server itself that every controller sees (O(server_lock)), are held from the read
    the rows are sent from to the end of the import; another import into the same server is
    refused, or waited for (O(lock_timeout)). A run that finds nothing to send takes no lock on
    the server."
  - "Stops at the next batch when the playbook is interrupted (Ctrl-C, SIGTERM) or gone (its
    C(ansible-playbook) process was killed): the rows not sent are C(failed) with the reason, and
    the report says the run was interrupted."
  - Before sending, every row to send is checked against the confd 16.15 rules (O(validate));
    rows that confd would refuse are C(failed) without a request, with the column and the
    reason.
  - Runs on the controller; the XiVO host needs neither SSH nor Python.
author:
  - xivo.confd developers (@xivo-confd)
extends_documentation_fragment:
  - xivo.confd.connection
  - xivo.confd.attributes
  - xivo.confd.server_lock
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
options:
  src:
    description:
      - The confd CSV file on the controller (UTF-8, C(,) separated, confd column names; a BOM is
        tolerated). Unknown columns are refused, because confd silently ignores them and their
        data would be lost.
      - A relative path is looked up like other file modules do (relative to the playbook).
    type: path
    required: true
  conversion:
    description:
      - The registered result of the M(xivo.confd.user_csv) task that wrote O(src) from a legacy
        file (with O(xivo.confd.user_csv#module:invalid_rows=skip)). Then every row of the legacy
        file has exactly one outcome - the rows the conversion left out are C(invalid), with their
        legacy line, column and reason - and every row is named by its line in the legacy file,
        in RV(users), RV(msg) and the reports; C(total) in RV(summary) counts the legacy file's rows.
        O(failed_dest) then holds the legacy records of the rows to fix, byte for byte after the
        legacy header (its encoding and delimiter), so that the fixed file is converted again like
        the legacy one.
      - Refused when it describes another file than O(src).
    type: dict
  keys:
    description:
      - How a row is recognised on the server, in order of preference. Each key is a column, or
        columns joined by C(@) or C(+) (for example C(exten@context), C(firstname+lastname)).
        C(email) is compared without case (as confd does). Every value is compared in one Unicode
        normal form (NFC), so a name typed as C(e) plus a combining accent matches the same name
        stored with C(é) (the row says so in RV(users[].warnings)).
      - A row's identity is the first key it has a value for. C(exten@context) is a key only for
        rows that create a line (C(line_protocol) C(sip) or C(sccp)), since the export shows an
        exten only through its line.
      - C(uuid) is a key on its own, only to update existing users (confd ignores the uuid when it
        creates a user); a row whose uuid is not on the server is C(failed).
      - Secret columns (C(password), C(sip_secret), C(voicemail_password),
        C(call_permission_password)) are refused, since keys are printed in every result and report.
    type: list
    elements: str
    default: [exten@context, username, email]
  name_identity:
    description:
      - A row with no value for any key (for example a file with names only) is recognised by its
        name, C(firstname) then C(lastname), compared without case and extra spaces, so that it is
        imported once and found again on a re-run. Two server users with that name make the row a
        C(conflict); the same name twice in the file is C(failed).
      - With V(false), such a row is C(failed) rather than imported.
    type: bool
    default: true
  share_voicemails:
    description:
      - A row whose voicemail (C(voicemail_number)@C(voicemail_context)) is already the voicemail of
        another server user is a C(conflict) naming that user, like a key of another person, since
        confd 16.15 does not refuse it. It gives that person's voicemail to the new user as well
        (the two share one mailbox) and renames it to the new user's name when the new user gets
        a line.
      - With V(true), such a row is imported; confd then shares the voicemail and renames it. The
        row's RV(users[].warnings) says so, and RV(users[].shared_voicemail) (also in the report)
        records the voicemail, its users and its name before the import.
    type: bool
    default: false
  context_map:
    description:
      - Legacy context name -> target context, each target a context label or name. On Wazo,
        where context names are generated (C(ctx-<tenant>-<type>-<uuid>)) and the human name is
        the label, the contexts of C(context), C(voicemail_context) and C(incall_context) are
        mapped to the tenant's contexts by label; this map names the target when the labels
        differ, for example C(from-extern) to C(incoming).
      - A context that is missing from the tenant, or that two of its contexts share as label
        (and type), fails the rows that name it, with the labels the tenant has.
      - Not used on XiVO, whose rows keep their context names.
    type: dict
    version_added: 4.0.0
  update_identity:
    description:
      - With O(update=true), a matched user whose identity columns (C(firstname), C(lastname),
        C(username), C(email), C(exten@context)) differ from the row is updated rather than
        reported as a C(conflict). Use it only to rename or move users on purpose; a key that
        belongs to another server user stays a conflict.
    type: bool
    default: false
  batch_size:
    description:
      - The most rows per import request.
      - Batches are sized by time within this bound, see O(batch_seconds).
    type: int
    default: 100
  batch_seconds:
    description:
      - How long an import request should take. confd 16.15 spends about 0.2 s per row, linearly,
        in one transaction, and a request that outlives the client's timeout may still commit.
        The first batch holds 10 rows; each next one holds as many rows as fit in this time at the
        rate measured so far (never more than O(batch_size), never more than a quarter of
        O(timeout)). The result lists every request with its rows and seconds (RV(batches)).
    type: float
    default: 30
  lock_timeout:
    description:
      - Seconds to wait for another import into the same server (from this controller, or from
        any controller with O(server_lock=required)) to finish. V(0) refuses at once, naming
        the run that holds the server.
    type: float
    default: 0
  run_id:
    description:
      - An identifier of this run, written in the report; the role gives all servers of one run
        the same one. Generated (it sorts by time) when not set.
    type: str
  diff_limit:
    description:
      - In diff mode, show at most this many users; the counts are always shown, and every user
        is in RV(users) and in the O(report_dest) file.
    type: int
    default: 50
  progress_seconds:
    description:
      - While importing, show a progress line (rows sent of the total, imported, failed) at most
        every this many seconds, at the default verbosity.
      - While the server keeps the task waiting for an answer, a line names it every this many
        seconds (see O(deadline)).
    type: float
    default: 10
  update:
    description:
      - Update existing users whose columns differ from the file, through
        C(PUT /1.1/users/import) with their uuid, sending only the differing columns.
      - Empty boolean or integer cells never unset a value (confd refuses that).
      - On Wazo Platform, which has no update by import, each user is changed on its own
        (C(PUT /1.1/users/<uuid>); its login, name, e-mail and password in wazo-auth); a row
        whose differing columns need another resource (line, extension, SIP endpoint, incall,
        voicemail, call permissions) fails, naming each such column. wazo-auth never shows a
        password, so with O(update_password=true) every row that holds one sets it again.
    type: bool
    default: false
  update_password:
    description:
      - With O(update=true), also update the secret columns (C(password), C(sip_secret),
        C(voicemail_password), C(call_permission_password)) when they differ.
    type: bool
    default: false
  validate:
    description:
      - Check each row that would be sent (created or updated) against the confd 16.15 rules a
        file shows (patterns, lengths, ranges of integers, required columns), and refuse keys
        used twice in the file (the same C(exten@context) twice would give two users one
        extension), before sending anything. Rows already on the server and unchanged are not
        sent, so not checked.
    type: bool
    default: true
  preflight:
    description:
      - Before sending, read the server's configuration and predict every refusal confd would
        give a row to send, with every reason of the row at once (confd itself reports only the
        first one, and rolls back the whole request). It checks contexts that do not exist or
        have the wrong type, extensions and incall numbers outside the context's ranges or already used
        (by another user, an incall, a group, by an earlier row of the file), entities, CTI
        profiles and call permissions that do not exist, SIP names already on a line or held by a
        trunk (with confd's own message, as the real confd 16.15 answers). An extension that exists
        attached to nothing the server lists (free, or held by a queue, a conference room or a
        meetme, which confd 16.15 does not list) is refused too, since the preflight cannot tell. Rows it
        refuses are C(failed) without being sent (C(would_fail) in check mode), so check mode
        predicts the real run.
      - A row it lets through and confd refuses keeps confd's answer, with a warning naming the
        wrong prediction.
      - "It reads C(GET /1.1/contexts), and only when the rows need them C(/1.1/entities),
        C(/1.1/cti_profiles), C(/1.1/callpermissions), C(/1.1/extensions) and
        C(/1.1/endpoints/sip) (a count first; the whole list or exact lookups, whichever costs
        the server less), and C(/1.1/lines/ID) for an extension on a line the export does not
        show. The credentials need the ACLs C(confd.contexts.read), C(confd.entities.read),
        C(confd.cti_profiles.read), C(confd.callpermissions.read), C(confd.extensions.read),
        C(confd.endpoints.sip.read) and C(confd.lines.read); a refused read names its ACL.
        V(false) turns the preflight off, for credentials that may not read the configuration."
      - RV(preflight) says what it read and its estimated cost on the server.
    type: bool
    default: true
  backup_dest:
    description:
      - Write the server's users as they were before the import to this file (confd CSV, mode
        C(0600), secrets included so that it can restore them with this module). Taken from the
        same read that plans the import, so it costs no extra request. Not written in check mode.
    type: path
  report_dest:
    description:
      - Write a JSON report of every user's outcome (the RV(users) and RV(summary) results, no
        secrets) to this file, mode C(0600). It says which run it describes (C(run_id),
        C(started), C(finished), C(complete)), and it is written even when nothing could be
        imported (a bad file, a server that cannot be read, another import running), so that it
        never describes an earlier run as if it were this one.
      - "When the run sends rows, it also records what M(xivo.confd.user_remove) needs to undo
        the run safely (a run that sends nothing creates nothing to undo, and spares the server
        these two reads): the server's identity (C(server_identity): the uuid of
        C(GET /1.1/infos), which needs the ACL C(confd.infos.read), the platform, the API
        address), the highest user id before the run (C(user_id_before)), and for each created user the ids confd returned (C(ids)), its
        values as the server showed them once the run was over (C(created_with), no secret; one
        more user export when the run created users) and a C(digest) of them."
    type: path
  failed_dest:
    description:
      - Write the failed, conflicting and invalid rows, unchanged, to this file (mode C(0600); it
        holds their secrets) so they can be fixed and fed back, as a confd CSV or, with
        O(conversion), as the legacy file's own records. Removed when no row failed.
      - Never the same file as O(src) or the legacy file of O(conversion) (nor O(report_dest) or
        O(backup_dest)) - such a run is refused before anything is sent, since it would write
        over its own input.
      - The file is written byte for byte so that it can be imported again; cells a spreadsheet
        would run as formulas (starting with C(=), C(+), C(-), C(@)) are counted in
        RV(failed_file_formula_cells) and named in a warning.
    type: path
  fail_on_error:
    description:
      - Fail the task when any user failed or is a conflict, after every user was tried. With
        V(false) the task succeeds and the failures are in RV(users) and RV(summary). A file that
        cannot be read always fails the task.
    type: bool
    default: true
  return_unchanged:
    description:
      - Include the C(unchanged) users in RV(users). With V(false) only the users created,
        updated, failed (or that would be) are returned, which keeps the result small on a
        re-run of a large file; RV(summary) and the O(report_dest) file still count and list
        every user.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Reads the server and reports C(would_create), C(would_update) and C(conflict)
      without writing anything, to the server or to files.
  diff_mode:
    support: full
    details: Shows the counts, then at most O(diff_limit) users that are (or would be) created,
      and the columns that change for updated users; secret columns are masked.
seealso:
  - module: xivo.confd.user_csv
  - module: xivo.confd.user_export
  - name: The user_migration role
    description: Converts, backs up, imports and reports across an inventory of XiVO servers.
    link: https://github.com/xivo-confd/xivo.confd/blob/main/roles/user_migration/README.md
'''

EXAMPLES = r'''
- name: Import users with a token from xivo-auth (revoked at the end)
  xivo.confd.user_import:
    host: xivo.example.com
    username: migration
    password: "{{ vault_xivo_ws_password }}"
    ca_path: files/xivo-ca.crt
    src: build/users-confd.csv
    report_dest: reports/xivo.example.com.json
    failed_dest: reports/xivo.example.com-failed.csv

- name: Dry run, showing what would be created
  xivo.confd.user_import:
    host: xivo.example.com
    token: "{{ xivo_token }}"
    ca_path: files/xivo-ca.crt
    src: build/users-confd.csv
  check_mode: true
  diff: true

- name: Also update users whose columns changed, matching by username first
  xivo.confd.user_import:
    host: xivo.example.com
    username: migration
    password: "{{ vault_xivo_ws_password }}"
    auth_method: digest
    ca_path: files/xivo-ca.crt
    src: build/users-confd.csv
    keys: [username, exten@context]
    update: true
    batch_size: 50
'''

RETURN = r'''
users:
  description: One entry per data row of O(src) (of the legacy file with O(conversion)), in file order (without the C(unchanged) ones
    when O(return_unchanged=false)). When the server cannot be read, every row is C(failed) with
    the reason.
  returned: always
  type: list
  elements: dict
  contains:
    row:
      description: Data row number, 1 for the first row after the header (of the legacy file
        with O(conversion)).
      type: int
      sample: 1
    line:
      description: Line of O(src) where the row starts (the header is line 1); with
        O(conversion), its line in the legacy file.
      type: int
      sample: 2
    name:
      description: The user's first and last name, for people reading the report.
      type: str
      sample: Jean Dupont
    key:
      description: The row's identity, C(key=value) (names are shown without case).
      type: str
      sample: exten@context=1000@default
    status:
      description: C(created), C(updated), C(unchanged), C(conflict) (the row's keys point at
        another server user, or its identity columns disagree with its match; nothing was done),
        C(failed), C(invalid) (a row of the legacy file that the conversion refused, see
        O(conversion), never sent), or in check mode C(would_create), C(would_update) and
        C(would_fail) (the row would be refused, every reason in RV(users[].error)). With
        O(preflight=false), check mode cannot predict confd's refusals, so RV(prediction) is
        C(unverified) and each C(would_create)/C(would_update) row says so in its C(warnings).
        C(not_tried) when the row was never sent because the server could not be read or refused
        the credentials (401/403); there is nothing in the row to fix, it is in no file to fix,
        and the task fails; a re-run tries it.
      type: str
      sample: created
    uuid:
      description: The user's uuid on the server, when known.
      type: str
      sample: 7c5b6b3a-0d0e-4b6c-9e4f-2f9c4b1f0a11
    error:
      description: Why the row failed (the server's message, or the local check), without secrets.
      type: str
      sample: "Input Error - Extension '5000' is outside of range for context 'default'"
    column:
      description: The confd column of the first problem of an C(invalid) row.
      type: str
      returned: for invalid rows, when the problem is in one column
    ids:
      description: The ids confd returned for the row (user_id, line_id, extension_id, ...).
      type: dict
      returned: when created or updated
    changed_columns:
      description: The columns that differ from the server (updates).
      type: list
      elements: str
      returned: when the row differs from its server user
    warnings:
      description: What the row reuses or shares on the server (a voicemail of another user),
        an identity value that matched only after Unicode normalisation (NFC), and a prediction
        of the preflight that confd contradicted.
      type: list
      elements: str
      returned: when there is something to say
    shared_voicemail:
      description: Another server user's voicemail that this row shares (with
        O(share_voicemails=true)) - C(number), C(context), C(users) (the uuids it belonged to),
        C(previous_name) (its name before the import, what a rollback puts back) and
        C(renamed_to) (the name confd gives it, or null when the row gets no line and confd
        keeps the name).
      type: dict
      returned: when the row is (or would be) created or updated with another person's voicemail
      sample: {"number": "1001", "context": "default", "users": ["7c5b6b3a-0d0e-4b6c-9e4f-2f9c4b1f0a11"],
               "previous_name": "Bob Jones", "renamed_to": "Alice Smith"}
    server_users:
      description: The uuids of the server users a conflict involves.
      type: list
      elements: str
      returned: for conflicts
summary:
  description: How many rows ended in each status.
  returned: always
  type: dict
  sample: {"created": 2, "updated": 0, "unchanged": 1, "conflict": 0, "failed": 1, "invalid": 1,
           "would_create": 0, "would_update": 0, "would_fail": 0, "not_tried": 0, "total": 5}
prediction:
  description: C(unverified) in check mode with O(preflight=false) - the server's configuration
    was not read, so the rows that would be sent may still be refused by the real run.
  returned: in check mode with O(preflight=false)
  type: str
  sample: unverified
run_id:
  description: The identifier of this run (also in the report).
  returned: always
  type: str
  sample: 20261201T211000.123Z-1a2b3c
timings:
  description: Seconds spent in each phase (C(read_file), C(lock_wait), C(read_server), C(plan),
    C(import), C(reports)).
  returned: always
  type: dict
  sample: {"read_file": 0.01, "read_server": 0.12, "plan": 0.02, "import": 21.3, "reports": 0.01}
batches:
  description: Every import request, in order, with its C(method), C(rows), C(seconds) and the
    C(answer) (the HTTP status, C(uncertain) or C(error)); on a platform without an update by
    import (Wazo), one entry per updated user, C(method=update), with its C(requests).
  returned: when something was sent, or would have been
  type: list
  elements: dict
  sample: [{"method": "POST", "rows": 10, "seconds": 2.3, "answer": 201}]
preflight:
  description: What the preflight read (C(reads), the first 50), how many requests, and their
    estimated server cost in seconds of confd CPU (C(estimated_server_seconds), from the
    reference's measurements of confd 16.15).
  returned: when O(preflight=true) and the server could be read
  type: dict
  sample: {"requests": 3, "estimated_server_seconds": 0.09, "reads": [{"collection": "contexts",
           "params": {}, "items": 4, "cost": 0.04}]}
interrupted:
  description: Why the import stopped before the end (the playbook was interrupted or is gone).
    RV(users) is then empty (the report has every user).
  returned: when the import was interrupted
  type: str
failed_file_formula_cells:
  description: How many cells of the failed-rows file a spreadsheet would run as formulas.
  returned: when the failed-rows file holds such cells
  type: int
error:
  description: Why nothing could be imported (the file could not be read, the server could not
    be reached or read, another import into the same server is running); every row is then
    C(failed) with this reason.
  returned: when nothing could be imported
  type: str
  sample: "cannot connect to xivo.example.com:9486 (user export): Connection refused."
msg:
  description: A one-line summary, naming each failed row (its line, key and reason).
  returned: always
  type: str
src:
  description: The absolute path of the source file.
  returned: success
  type: str
backup_file:
  description: The backup written from the pre-import export.
  returned: when O(backup_dest) is set and not in check mode
  type: str
report_file:
  description: The JSON report written.
  returned: when O(report_dest) is set and not in check mode
  type: str
failed_file:
  description: The CSV of failed rows written.
  returned: when O(failed_dest) is set and rows failed
  type: str
'''

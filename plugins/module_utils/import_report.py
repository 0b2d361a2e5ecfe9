# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one import leaves for people: its result (the one-line message, the diff, the users),
its report file, and the file of the rows to fix. The run (import_run) decides; this writes.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, reports, run_evidence, source_rows)
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import SECRET_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.output_directory import remove_file
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import (
    CHANGING, CREATING, TO_FIX, Status, summarize)
from ansible_collections.xivo.confd.plugins.module_utils.legacy_source import LegacyCsvError
from ansible_collections.xivo.confd.plugins.module_utils.secrets import MASK
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

MAX_FAILURES_IN_MSG = 20
DEFAULT_DIFF_LIMIT = 50


class RunReport:
    """The result and the files of one finished run (an import_run.ImportRun): what it reads
    of the run is its identity (run_id, host, server, src, shown_src), its options, what it
    recorded (timings, evidence, created_values, warnings) and its ``write_file``."""

    def __init__(self, run):
        self.run = run
        self.fix = None     # the rows to fix, for the caller: content, digests, lines

    def result(self, out, header, outcomes, users, importer, error, bad_file, refused,
               started_at):
        """Complete ``out`` (src, run_id and what the run set) into the module's result."""
        run, options = self.run, self.run.options
        summary = summarize(outcomes)
        failed = [o for o in outcomes if o.status in TO_FIX]
        out.update(changed=bool(summary['created'] or summary['updated']
                                or summary['would_create'] or summary['would_update']),
                   users=None, summary=summary, timings=run.timings)
        if importer is not None:
            out['batches'] = importer.batches
            if importer.interrupted:
                out['interrupted'] = importer.interrupted
            elif importer.unreachable:
                # The server stopped answering during the import: unreachable, with what was
                # done before (and the rows whose outcome is unknown) in the report.
                out.update(unreachable=True, error=importer.unreachable)
        if run.diff:
            out['diff'] = import_diff(outcomes, {u.get('uuid'): u for u in users},
                                      options['diff_limit'], options['report_dest'],
                                      check_mode=run.check_mode)
        if run.check_mode and not options['preflight'] and error is None:
            out['prediction'] = 'unverified'
            for outcome in outcomes:
                if outcome.status in (Status.WOULD_CREATE, Status.WOULD_UPDATE):
                    outcome.warnings.append(UNVERIFIED)
            run.warnings.append('check mode with preflight=false: the server\'s configuration '
                                'was not read, so confd\'s refusals could not be predicted; %d '
                                'rows to send are unverified'
                                % (summary['would_create'] + summary['would_update']))
        out['users'] = [o.as_dict() for o in outcomes
                        if options['return_unchanged'] or o.status != Status.UNCHANGED]
        if not run.check_mode and not refused:
            with run.phase('reports'):
                out.update(self.write(header, outcomes, failed, summary, started_at, out))
        out['msg'] = self._message(out, summary, failed, outcomes, error, bad_file)
        if bad_file or ((failed or error or out.get('interrupted') or summary['not_tried'])
                        and options['fail_on_error']):
            out['failed'] = True
        if run.warnings:
            out['warnings'] = run.warnings
        return out

    def _message(self, out, summary, failed, outcomes, error, bad_file):
        run = self.run
        if bad_file:
            return error
        if error is not None:
            return 'nothing was imported into %s: %s' % (run.server, error)
        text = import_message(run.shown_src, summary, failed, outcomes=outcomes,
                              check_mode=run.check_mode,
                              unverified=out.get('prediction') == 'unverified')
        if out.get('unreachable'):
            text = '%s stopped answering: %s. %s' % (run.server, out['error'], text)
        if out.get('interrupted'):
            text = 'interrupted: %s. %s' % (out['interrupted'], text)
        return text

    def write(self, header, outcomes, failed, summary, started_at, out):
        """Write the report and the rows to fix (or remove a stale file of them); returns
        the result's keys that name them."""
        run, options = self.run, self.run.options
        written = {}
        if options['report_dest']:
            path = options['report_dest']
            report = dict(run_id=run.run_id, host=run.host, server=run.server, src=run.src,
                          started=started_at, finished=reports.utc_now(), summary=summary,
                          complete=not out.get('error') and not out.get('interrupted'),
                          timings=run.timings,
                          users=report_entries(outcomes, run.created_values))
            report.update(run.evidence)
            for key in ('error', 'interrupted', 'batches', 'preflight'):
                if out.get(key):
                    report[key] = out[key]
            run.write_file(path, reports.report_json(report).encode('utf-8'))
            written['report_file'] = path
        if failed:
            self.fix = fix_content(header, failed, run.legacy_src, run.conversion, run.warnings,
                                   run.source_values)
        if options['failed_dest']:
            path = options['failed_dest']
            if failed:
                # The only output that holds secrets: the operator fixes it and feeds it back,
                # so it is written byte for byte, and cells a spreadsheet would run are named.
                run.write_file(path, self.fix['content'])
                written['failed_file'] = path
                if self.fix['formula_cells']:
                    written['failed_file_formula_cells'] = len(self.fix['formula_cells'])
                    run.warnings.append(formula_warning(path, self.fix['formula_cells']))
            else:
                remove_file(path)  # a stale list of failures would mislead
        return written


def report_entries(outcomes, created_values):
    """The report's entries: a created user's entry carries what the server showed right
    after the run (``created_values`` by uuid), and a digest of it with the ids confd
    returned."""
    entries = []
    for outcome in outcomes:
        entry = outcome.as_dict()
        if entry.get('status') == Status.CREATED and entry.get('uuid'):
            values = created_values.get(entry['uuid'])
            if values is not None:
                entry['created_with'] = values
            else:
                # The server could not be read back: only the file's cells are known.
                entry['values_from'] = 'file'
            entry['digest'] = run_evidence.digest(entry['uuid'], entry.get('ids'),
                                                  entry.get('created_with'))
        entries.append(entry)
    return entries


def fix_content(header, to_fix, legacy_src=None, conversion=None, warnings=None,
                source_values=None):
    """The file an operator fixes: the rows to fix in the format of the source - for a
    converted legacy file (``legacy_src``), its own records byte for byte after its header
    (its encoding, delimiter and columns, every row the conversion refused included), which
    the role takes again as a legacy file; else confd CSV rows. A dict: ``content`` (bytes),
    ``digests`` ({line: digest of the source's row}), ``lines``, ``legacy``,
    ``formula_cells``. ``warnings``: a list told when the legacy file could not be cut;
    ``source_values``: {line: the source's own cells}, when the rows sent were adapted for the
    server (the file to fix holds the source's form, never the server's)."""
    lines = [o.row.line for o in to_fix]
    converted = [o for o in to_fix if o.status != Status.INVALID]
    source_values = source_values or {}

    def values(outcome):
        return source_values.get(outcome.row.line, outcome.row.values)
    cells = reports.formula_cells([(o.row.line, values(o)) for o in converted], header)
    if legacy_src:
        try:
            content, digests = source_rows.legacy_subset(legacy_src, lines, codec_of(conversion))
            return dict(content=content, digests=digests, lines=lines, legacy=True,
                        formula_cells=cells)
        except (OSError, ValueError, LegacyCsvError) as exc:
            if warnings is not None:
                warnings.append('the rows to fix could not be cut from %s (%s): they are '
                                'written in the confd format' % (legacy_src, exc))
    digests = dict((o.row.line, source_rows.record_digest(confd_csv.body(header, [values(o)])))
                   for o in converted)
    return dict(content=confd_csv.body(header, [values(o) for o in converted]),
                digests=digests, lines=[o.row.line for o in converted], legacy=False,
                formula_cells=cells)


UNVERIFIED = ('unverified: the preflight is off (preflight=false), so the server\'s '
              'configuration was not read and confd may still refuse this row')


def codec_of(conversion):
    """The encoding to read the legacy file with again: the one its conversion used, when
    it is one codec (a file of mixed lines is read line by line again: 'auto')."""
    encoding = (conversion or {}).get('encoding') or 'auto'
    if encoding.startswith('mixed'):
        return 'auto'
    return encoding


def formula_warning(path, cells):
    shown = ', '.join('line %d column %s' % cell for cell in cells[:5])
    more = ' and %d more' % (len(cells) - 5) if len(cells) > 5 else ''
    return ('%s holds %d cells that a spreadsheet would run as formulas (they start with = or '
            '@, a tab or a carriage return, or with + or - followed by something that is not a '
            'number: %s%s). The file is kept byte for byte so that it can '
            'be imported again: open it as text (see the troubleshooting guide, "Opening the '
            'failed-rows file").' % (path, len(cells), shown, more))


def import_message(src, summary, failed, outcomes=(), check_mode=False, unverified=False):
    """The one-line summary: what was done, or in check mode what would be (a dry run
    imports nothing, so it never counts rows "created"), then the rows not imported."""
    if check_mode:
        text = ('%(would_create)d would be created, %(would_update)d would be updated, '
                '%(unchanged)d unchanged, %(conflict)d conflict, %(would_fail)d would fail'
                % summary)
        # The rows a real run would refuse are named like the real run's failures.
        failed = [o for o in outcomes if o.status in (Status.WOULD_FAIL, Status.CONFLICT,
                                                      Status.INVALID)] or failed
    else:
        text = ('%(created)d created, %(updated)d updated, %(unchanged)d unchanged, '
                '%(conflict)d conflict, %(failed)d failed' % summary)
    if summary.get('invalid'):
        text += ', %(invalid)d invalid' % summary
    if summary.get('not_tried'):
        text += ', %(not_tried)d not tried' % summary
    if unverified:
        text += (' (unverified: preflight=false, so confd\'s refusals could not be predicted; '
                 'the real run may refuse some of the rows to send)')
    text += ' (%d rows)' % summary['total']
    if failed:
        details = ['line %d (%s): %s' % (o.row.line, o.key or 'no key', o.error)
                   for o in failed[:MAX_FAILURES_IN_MSG]]
        if len(failed) > MAX_FAILURES_IN_MSG:
            details.append('... and %d more (see the users result)'
                           % (len(failed) - MAX_FAILURES_IN_MSG))
        text += '. Rows of %s %s: %s' % (src, 'that would not be imported' if check_mode
                                         else 'not imported', '; '.join(details))
    return sanitize_message(text, 20000)


def _show(column, value):
    return MASK if column in SECRET_COLUMNS and value else value


def import_diff(outcomes, users_by_uuid, limit=DEFAULT_DIFF_LIMIT, report=None, check_mode=False):
    """A secret-free before/after of the users that are (or would be) created or updated:
    the counts, then at most ``limit`` users (the rest are in the report). In check mode it
    says what would be done: nothing was."""
    before, after = [], []
    shown = 0
    changing = [o for o in outcomes
                if o.status in CHANGING]
    for outcome in changing[:limit]:
        values = outcome.row.values
        name = ('%s %s' % (values.get('firstname', ''), values.get('lastname', ''))).strip()
        shown += 1
        if outcome.status in CREATING:
            after.append('+ %s (%s)' % (outcome.key, name))
        else:
            user = users_by_uuid.get(outcome.uuid, {})
            before.append('~ %s: %s' % (outcome.key, ', '.join(
                '%s=%s' % (c, _show(c, user.get(c, ''))) for c in outcome.changes)))
            after.append('~ %s: %s' % (outcome.key, ', '.join(
                '%s=%s' % (c, _show(c, values.get(c, ''))) for c in outcome.changes)))
        shared = outcome.shared_voicemail
        if shared:
            # Another person's voicemail changes too (share_voicemails): show it.
            voicemail = 'voicemail %s@%s' % (shared['number'], shared['context'])
            before.append('~ %s: name=%s, users %s' % (
                voicemail, shared['previous_name'], ', '.join(shared['users'])))
            after.append('~ %s: name=%s, users %s, and %s' % (
                voicemail, shared['renamed_to'] or shared['previous_name'],
                ', '.join(shared['users']), outcome.key))
    creating = sum(1 for o in changing if o.status in CREATING)
    if check_mode:
        head = '# %d users would be created, %d would be updated' % (
            creating, len(changing) - creating)
    else:
        head = '# %d users created, %d updated' % (creating, len(changing) - creating)
    if len(changing) > shown:
        head += '; the first %d are shown, the others are in %s' % (
            shown, 'the report ' + report if report else 'the users result')
    after.insert(0, head)
    return dict(before_header='server users', after_header='server users after the import'
                + (' (predicted: check mode, nothing was changed)' if check_mode else ''),
                before='\n'.join(before) + ('\n' if before else ''),
                after='\n'.join(after) + '\n')

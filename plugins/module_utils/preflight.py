# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight: every refusal confd would give an import row, predicted from the server's
configuration before anything is sent, with every reason of a row at once.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

confd reports only the first failing step of a row and rolls the whole request back when one row
fails (docs/server-behaviour.md#import-check-order). The preflight reads the configuration once
(preflight_view, preflight_reads: contexts, entities, CTI profiles, call permissions, and the
extensions, SIP endpoints and voicemails the rows name), then walks each row to send through
confd's checks in confd's order, keeping the rows it accepts in its model (a later row meets
what an earlier one creates, as in confd). What differs between servers (list fields, line
protocols, how the server quotes a string, what another tenant's object means) is asked of the
server's Platform.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import preflight_messages as say
from ansible_collections.xivo.confd.plugins.module_utils.platform import platform_named
from ansible_collections.xivo.confd.plugins.module_utils.preflight_view import ServerView


# How a row's note starts when its prediction is partial.
PARTIAL = 'partial prediction: '


def _ranges(context, kinds=('user', 'group', 'queue', 'conference_room', 'incall')):
    found = []
    for kind in kinds:
        for entry in context.get('%s_ranges' % kind) or []:
            try:
                found.append((int(entry['start']), int(entry['end'])))
            except (KeyError, TypeError, ValueError):
                continue
    return found


def _in_range(exten, context):
    """Patterns and outcall contexts are not checked; * or # make confd answer 500, which the
    local rules already refuse."""
    if exten.startswith('_') or context.get('type') == 'outcall':
        return True
    if not exten.isdigit():
        return True
    number = int(exten)
    return any(low <= number <= high for low, high in _ranges(context))


class Preflight:
    """Predicts confd's refusals for the rows to send, from the server's configuration.

    ``users``: the export rows (read once for the plan). Call :meth:`prepare` with the rows
    that will be sent (so the reads can be chosen by cost), then :meth:`check` for each of
    them in file order.
    """

    def __init__(self, client, users, platform=None):
        self.platform = platform_named(platform or 'xivo')
        self.view = ServerView(client, users, self.platform)
        self.reader = self.view.reader
        self.quote = self.platform.quote
        self.notes = []         # what the last checked row will share or reuse (not refusals)
        self.reused = []        # the server objects it will reuse: a rollback must keep them
        self.unseen = 0         # rows whose prediction is partial (what they name is unseen)

    def prepare(self, rows):
        """Read what the rows to send need, choosing the reads by cost. ``rows``: dicts."""
        self.view.prepare(rows)

    def check(self, values, update=False, user=None, accept=True):
        """Every reason confd would refuse this row, as 'column: reason' texts, in confd's
        order. The row is kept in the model (it will be sent) when there is none and
        ``accept`` says that nothing else refuses it. ``notes`` then holds what the row will
        reuse or share (not a refusal)."""
        self.notes = []
        self.reused = []
        if update:
            return update_problems(self.view, self.quote, values, user)
        problems = self._check_create(values)
        if accept and not problems:
            self.view.accept(values)
        return problems

    def partial(self):
        """A warning when some rows' prediction is partial, else None."""
        if not self.unseen:
            return None
        return ('the preflight could not read every tenant of the server (%s): a SIP username '
                'of another tenant is refused by the server, so %d rows were predicted without '
                'knowing whether their SIP username is taken there; credentials of the top '
                'tenant (with %s) make the prediction complete'
                % (self.platform.title, self.unseen, self.platform.acl('tenants.read')))

    def cost(self):
        return dict(requests=len(self.reader.requests), estimated_server_seconds=self.reader.cost)

    # -- a new user: the checks in the order confd makes them ------------------------------

    def _check_create(self, row):
        problems = []
        get = row.get
        # Entity (0 is "no entity" on 16.15: the default one).
        problems.extend(unknown_entity(self.view, get('entity_id') or ''))
        self._voicemail(row, problems)
        # Call permissions: each name, exactly.
        names = [name for name in (get('call_permissions') or '').split(';') if name]
        problems.extend(unknown_call_permissions(self.view, names, self.quote))
        context, extension, incall_extension = row_extensions(row, self.view, self.platform,
                                                              self.quote, problems)
        problems.extend(unknown_cti_profile(self.view, get('cti_profile_name') or '', self.quote))
        has_line = bool(get('context')) and get('line_protocol') in self.platform.line_protocols
        if get('line_protocol') in self.platform.sip_protocols and get('sip_username'):
            if has_line:
                self._sip(get('sip_username'), problems)
            elif self.platform.endpoint_without_line and \
                    self.view.sip_endpoint(get('sip_username')) is not None:
                self.reused.append('sip')      # found by its name, on no line of this row
        for kind, found in (('extension', extension), ('incall_extension', incall_extension)):
            if found is not None and found[0] == 'orphan':
                self.reused.append(kind)
        if has_line:
            line_problems(row, context, extension, self.platform, self.quote, problems)
        incall_problems(row, incall_extension, self.view.context(get('incall_context') or ''),
                        self.platform, self.quote, problems)
        # The same call permission twice.
        if len(names) != len(set(names)) and self.platform.repeated_call_permission_refused:
            problems.append('call_permissions: a call permission is listed twice (confd: '
                            'Resource Error - User is associated with a CallPermission)')
        return problems

    def _voicemail(self, row, problems):
        """An existing number@context is reused (and then shared), else it is created and its
        context must exist. A voicemail exists only in an existing context, so the contexts
        alone tell whether the row can pass."""
        number, context = row.get('voicemail_number') or '', row.get('voicemail_context') or ''
        if not (number and context):
            return
        view = self.view
        if view.contexts is not None and view.context(context) is None:
            problems.append(say.missing_context('voicemail_context', context, self.quote))
            return
        owners = view.export_voicemails.get((number, context), ())
        if owners or view.voicemail_exists(number, context):
            self.reused.append('voicemail')
        # A server user's voicemail is the plan's business (a conflict, or shared with
        # share_voicemails, said there); an earlier row's is the operator's own file.
        if owners and owners[0].get('_row'):
            self.notes.append('the voicemail %s@%s of an earlier row of this file will be shared '
                              'with this user (confd reuses an existing voicemail%s)'
                              % (number, context, ', and renames it when this user gets a line'
                                 if self.platform.renames_shared_voicemail else ''))

    def _sip(self, name, problems):
        """An existing SIP name is reused, and refused when a line already has it, when
        something else holds it, or when it is another tenant's."""
        endpoint = self.view.sip_endpoint(name)
        holder = say.endpoint_holder(endpoint, self.platform.endpoint_fields)
        elsewhere = self.platform.foreign_refusal(endpoint, self.view.tenant)
        if elsewhere:
            problems.append('sip_username: the SIP endpoint %r belongs to another tenant '
                            '(confd: %s)' % (name, elsewhere))
        elif endpoint is not None and endpoint.get('line'):
            problems.append('sip_username: the SIP endpoint %r already belongs to a line%s '
                            '(confd: Resource Error - Line is associated with a Endpoint)'
                            % (name, say.owner_text(endpoint)))
        elif holder is not None:
            problems.append('sip_username: the SIP endpoint %r belongs to %s %s, not to a user '
                            '(confd: %s)' % (name, say.article(holder), holder,
                                             say.endpoint_refusal(holder, endpoint)))
        elif endpoint is not None:
            self.reused.append('sip')
        elif not self.view.every_tenant:
            self.unseen += 1
            self.notes.append(PARTIAL + 'the SIP username %r is not in the tenants the '
                              'credentials can read; another tenant may hold it (the server '
                              'then refuses the row)' % name)


def row_extensions(row, view, platform, quote, problems):
    """The line's context and extension, then the incall's: (context, extension, incall
    extension) as the view describes them (None: none, or to be created); a missing context
    or a number out of its context's ranges is added to ``problems``."""
    get = row.get
    context_name, exten = get('context') or '', get('exten') or ''
    context = view.context(context_name) if context_name else None
    has_line = bool(context_name) and get('line_protocol') in platform.line_protocols
    missing = bool(context_name) and context is None and view.contexts is not None
    if missing and (has_line or exten):
        problems.append(say.missing_context('context', context_name, quote))
    extension = None
    if exten and context_name and not missing:
        extension = view.extension(exten, context_name)
        if extension is None and not _in_range(exten, context):
            problems.append(say.out_of_range('exten', exten, context_name))
    incall_exten, incall_context = get('incall_exten') or '', get('incall_context') or ''
    incall_extension = None
    if incall_exten and incall_context:
        found = view.context(incall_context)
        if found is None and view.contexts is not None:
            problems.append(say.missing_context('incall_context', incall_context, quote))
        else:
            incall_extension = view.extension(incall_exten, incall_context)
            if incall_extension is None and not _in_range(incall_exten, found):
                problems.append(say.out_of_range('incall_exten', incall_exten, incall_context))
    return context, extension, incall_extension


def line_problems(row, context, extension, platform, quote, problems):
    """The line and its extension: whose the number is, and the context's type."""
    exten, context_name = row.get('exten') or '', row.get('context') or ''
    if extension is not None:
        kind, owner = extension
        if kind == 'user':
            problems.append('exten: %s@%s is already the extension of another user%s '
                            '(confd: Resource Error - User is associated with a Line)'
                            % (exten, context_name, say.owner_text(owner)))
        elif kind == 'unlisted':
            problems.append(say.unlisted('exten', exten, context_name, owner, platform.title))
        elif kind not in ('orphan', 'free'):  # free: made by an earlier row
            problems.append('exten: %s@%s is the extension of %s %s%s (confd: %s)' % (
                exten, context_name, say.article(kind), kind, say.owner_text(owner),
                say.extension_refusal(kind, owner, ('associated_id', 'id'), quote)))
    # A wrong context type is a reason whatever holds the number (confd names the holder
    # first): the operator fixes both at once.
    if exten and context is not None and context.get('type') != 'internal':
        problems.append("context: a user's line cannot be in the %s context %r (confd: "
                        "Resource Error - ContextType '%s' cannot be associated)"
                        % (context.get('type'), context_name, context.get('type')))


def incall_problems(row, incall_extension, context, platform, quote, problems):
    """The incall and its number: whose the number is, and the incall context's type."""
    exten, context_name = row.get('incall_exten') or '', row.get('incall_context') or ''
    if not (exten and context_name):
        return
    if incall_extension is not None:
        kind, owner = incall_extension
        if kind == 'incall':
            problems.append('incall_exten: %s@%s is already the number of an incall%s %s'
                            % (exten, context_name, say.owner_text(owner),
                               platform.incall_number_taken))
        elif kind == 'user':
            problems.append('incall_exten: %s@%s is the extension of a user%s (confd: '
                            'Resource Error - Extension is associated with a user)'
                            % (exten, context_name, say.owner_text(owner)))
        elif kind == 'unlisted':
            problems.append(say.unlisted('incall_exten', exten, context_name, owner,
                                         platform.title))
        elif kind not in ('orphan', 'free'):  # free: made by an earlier row
            problems.append('incall_exten: %s@%s is the extension of %s %s (confd: %s)' % (
                exten, context_name, say.article(kind), kind, say.extension_refusal(
                    kind, owner, ('associated_id', 'extension_id'), quote)))
    if context is not None and context.get('type') != 'incall':
        problems.append("incall_context: an incall number cannot be in the %s context %r "
                        "(confd: Resource Error - ContextType '%s' cannot be associated)"
                        % (context.get('type'), context_name, context.get('type')))


# -- an existing user: the refusals of a PUT of the changed columns ----------------------
def update_problems(view, quote, row, user):
    """What the sent cells name (docs/server-behaviour.md#update-by-put)."""
    problems = []
    add = problems.append
    get = row.get
    entity = get('entity_id') or ''
    missing = unknown_entity(view, entity)
    problems.extend(missing)
    if not missing and entity and user is not None and entity != user.get('entity_id') \
            and user.get('line_protocol'):
        add('entity_id: confd does not move a user that has a line to another entity '
            '(confd: Resource Error - User is associated with a Line)')
    for column in ('context', 'voicemail_context'):
        name = get(column) or ''
        if name and view.contexts is not None and view.context(name) is None:
            add(say.missing_context(column, name, quote))
    exten, context_name = get('exten') or '', get('context') or (user or {}).get('context')
    if exten and context_name and view.context(context_name) is not None:
        extension = view.extension(exten, context_name)
        if extension is None and not _in_range(exten, view.context(context_name)):
            add(say.out_of_range('exten', exten, context_name))
        elif extension is not None and extension[0] not in ('free', 'unlisted') and \
                (extension[0] != 'user' or extension[1] is not user):
            add('exten: %s@%s already exists (confd: Resource Error - Extension already '
                'exists)' % (exten, context_name))
    problems.extend(unknown_cti_profile(view, get('cti_profile_name') or '', quote))
    problems.extend(unknown_call_permissions(
        view, [name for name in (get('call_permissions') or '').split(';') if name], quote))
    sip_name = get('sip_username') or ''
    if sip_name and user is not None and sip_name != user.get('sip_username') \
            and view.sip_endpoint(sip_name) is not None:
        add("sip_username: the SIP name %r is taken (confd: Resource Error - SIPEndpoint "
            "already exists ('name': %s))" % (sip_name, quote(sip_name)))
    return problems


# -- names of shared configuration -------------------------------------------------------
def unknown_entity(view, entity):
    entities = view.entities
    if entity and entity != '0' and entity.isdigit() and entities is not None \
            and int(entity) not in entities:
        return ["entity_id: entity %s does not exist on the server (confd: Resource Not "
                "Found - Entity was not found ('id': %s))" % (entity, entity)]
    return []


def unknown_call_permissions(view, names, quote):
    known = view.call_permissions
    if known is None:
        return []
    return ["call_permissions: the call permission %r does not exist on the server (confd: "
            "Resource Not Found - CallPermission was not found ('name': %s))"
            % (name, quote(name)) for name in names if name not in known]


def unknown_cti_profile(view, profile, quote):
    known = view.cti_profiles
    if profile and known is not None and profile not in known:
        return ["cti_profile_name: the CTI profile %r does not exist on the server, names "
                "being case-sensitive (confd: Resource Not Found - CtiProfile was not found "
                "('name': %s))" % (profile, quote(profile))]
    return []

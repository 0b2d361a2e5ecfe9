"""The derived values xivo-dao recomputes after an association changes (its *Fixes classes):
who an extension belongs to (type/typeval) and the caller id of a line's endpoint."""
from .items import USER_CALLER_ID, line_extension, lines_of, sccp_of, sip_of


def plain_owner(db):
    def set_owner(ext, kind, typeval):
        db.extensions.update(ext['id'], type=kind, typeval=typeval)
    return set_owner


def fix_extension(db, ext, set_owner):
    """ExtensionFixes.fix_extension: a line with a user makes it the user's; an incall keeps it;
    otherwise it is free again (type 'user', typeval '0'). Other owners (groups…) are untouched."""
    users = [line['user_id'] for line in lines_of(db, ext) if line['user_id'] is not None]
    if users:
        set_owner(ext, 'user', str(users[-1]))
    elif ext['type'] == 'user' and ext['typeval'] != '0':
        set_owner(ext, 'user', '0')


def fix_caller_id(db, line):
    """LineFixes.fix_caller_id: '"<user's caller id name>" <num>' on the endpoint, only while
    the line has a user (a line that loses its user keeps the old value). It runs after every
    change of the line's user or extension: a line that loses its extension while its user is
    still there gets '"<name>"' alone."""
    user = db.users.get(line['user_id']) if line.get('user_id') else None
    sip, sccp = sip_of(db, line), sccp_of(db, line)
    endpoint = sip or sccp
    if user is None or endpoint is None:
        return
    match = USER_CALLER_ID.match(user.get('caller_id') or '')
    name = match.group('name') if match else ''
    ext = line_extension(db, line)
    num = (match.group('num') if match else None) or (ext['exten'] if ext else None)
    callerid = '"%s"' % name + (' <%s>' % num if num else '')
    (db.sip if sip else db.sccp).update(endpoint['id'], callerid=callerid)

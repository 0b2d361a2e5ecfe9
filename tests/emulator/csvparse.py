"""Request body → rows, as confd 16.x's csvparse + xivo UnicodeDictReader do it
(docs/server-behaviour.md#request-body, docs/server-behaviour.md#csv-parsing).

* split on b"\\n" only, then the excel dialect (a CR inside quotes survives);
* the header is the first line, even blank; blank data lines are skipped, not counted;
* every cell is decoded on its own with the request charset, so decode errors give
  positions from the start of the cell; the codec is looked up only when a cell exists;
* short rows get None, long rows put the extras under the key None (JSON "null").
"""
import codecs
import csv


class Unexpected(Exception):
    """Anything that is not a ServiceError in confd: 500 ["Unexpected error: <msg>"]."""


def _py2_decode_message(exc):
    text = str(exc)
    # Python 2 names the UTF-8 codec 'utf8' in its messages.
    return text.replace("'utf-8' codec", "'utf8' codec")


class Decoder:
    def __init__(self, charset):
        self.charset = charset
        self.codec = None

    def __call__(self, raw):
        if self.codec is None:
            try:
                self.codec = codecs.lookup(self.charset)
            except LookupError:
                raise Unexpected('unknown encoding: %s' % self.charset)
        data = raw.encode('latin-1')
        try:
            return self.codec.decode(data)[0]
        except UnicodeDecodeError as exc:
            raise Unexpected(_py2_decode_message(exc))


def _lines(body):
    for line in body.split(b'\n'):
        if b'\x00' in line:
            raise Unexpected('line contains NUL')
        yield line.decode('latin-1')  # bytes ↔ str 1:1, the csv module then sees "bytes"


def parse(body, charset='utf-8'):
    """Return (header, rows) where rows = [(row_number, {name|None: value})]."""
    decode = Decoder(charset)
    reader = csv.reader(_lines(body))
    try:
        try:
            header = next(reader)
        except StopIteration:
            return [], []
        header = [decode(cell) for cell in header]
        rows = []
        number = 0
        for cells in reader:
            if not cells:
                continue
            number += 1
            cells = [decode(cell) for cell in cells]
            row = dict(zip(header, cells))
            if len(cells) > len(header):
                row[None] = cells[len(header):]
            elif len(cells) < len(header):
                for name in header[len(cells):]:
                    row[name] = None
            rows.append((number, row))
        return header, rows
    except csv.Error as exc:
        message = str(exc)
        if 'new-line character' in message:
            message = ('new-line character seen in unquoted field - do you need to open the '
                       'file in universal-newline mode?')
        raise Unexpected(message)


def json_row(row):
    """details.row as JSON: the None key becomes "null"."""
    return {('null' if k is None else k): v for k, v in row.items()}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming conversion of a legacy web-interface user CSV (``|``, XiVO <= 15.19) into
confd 16.x import rows.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

* :func:`open_source` - one scan of the file, in chunks (a FIFO or pipe: read once, bounded):
  what it is (refusing compressed, binary, UTF-16 without BOM), its encoding (BOMs, UTF-8,
  lines of mixed UTF-8 and cp1252, cp1252, latin-1), its line ends (LF or CR alone), its
  delimiter (``|``, or a tab for Excel's UTF-16 "Unicode text"); a :class:`LegacySource`.
* :func:`iter_records` - PHP ``fgetcsv($h, 0, '|', '"')`` semantics over text lines, yielding
  (physical line of the record's start, cells, flags); :func:`iter_plain_records` - the same
  in one C csv pass for a file the scan found plain.
* :class:`Converter` - header plan, per-row normalisation, validation (confd_rules) and the
  report; ``convert()`` yields the output rows one by one, so memory holds only the
  duplicate-key index and the (capped) lists of reported problems.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import codecs
import csv
import io
import itertools
import operator
import os
import re
import stat
from collections import namedtuple

from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import IMPORT_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.confd_rules import (
    DuplicateIndex, ERROR, JOINED_BY, RowValidator, validate_row,
)
from ansible_collections.xivo.confd.plugins.module_utils import legacy_mapping as lm
from ansible_collections.xivo.confd.plugins.module_utils.text import MAX_LISTED, summarize_items

CHUNK = 1024 * 1024
DELIMITER = '|'
ENCLOSURE = '"'
ESCAPE = '\\'

# Flags of a record.
F_NEWLINE = 1        # a quoted cell held a line break
F_ESCAPE = 2         # a PHP \" escape was read
F_UNTERMINATED = 4   # the file ended inside quotes

DEFAULT_MAX_REPORTED = 1000
CSV_PIECE_ROWS = 1000     # Converter.convert(as_csv=True) yields the CSV text of this many rows


class LegacyCsvError(Exception):
    """The file as a whole cannot be converted (encoding, header). ``line`` when known."""

    def __init__(self, message, line=None):
        super(LegacyCsvError, self).__init__(message)
        self.line = line


# --------------------------------------------------------------------------- the source file

HEAD = 64 * 1024                         # bytes looked at to tell what kind of file it is
MAX_NON_REGULAR = 256 * 1024 * 1024      # what a FIFO, pipe or device may hold (read into memory)

# A BOM says the encoding. UTF-32-LE's BOM starts with UTF-16-LE's, so it is tried first.
BOMS = (
    (codecs.BOM_UTF32_LE, 'utf-32-le'),
    (codecs.BOM_UTF32_BE, 'utf-32-be'),
    (codecs.BOM_UTF8, 'utf-8'),
    (codecs.BOM_UTF16_LE, 'utf-16-le'),
    (codecs.BOM_UTF16_BE, 'utf-16-be'),
)
# Codecs whose text has NUL bytes between ASCII letters: the binary sniffing does not apply.
WIDE_CODECS = frozenset(('utf-16', 'utf-16-le', 'utf-16-be', 'utf-32', 'utf-32-le', 'utf-32-be'))

# Files that are not text, by their first bytes, and what to do instead.
_SAVE_AS_TEXT = 'save the sheet as "Unicode text" (read as is) or as a |-separated CSV'
MAGIC = tuple((re.compile(pattern, re.S), what) for pattern, what in (
    (b'\x1f\x8b', 'a gzip file (compressed): decompress it first (gunzip)'),
    (b'BZh[1-9]1AY&SY', 'a bzip2 file (compressed): decompress it first (bunzip2)'),
    (b'\xfd7zXZ\x00', 'an xz file (compressed): decompress it first (unxz)'),
    (b'PK(?:\x03\x04|\x05\x06)', 'a ZIP archive, such as an Excel .xlsx workbook: ' + _SAVE_AS_TEXT),
    (b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1', 'an Excel 97-2003 workbook (.xls) or another OLE2 '
                                          'document: ' + _SAVE_AS_TEXT),
    (b'%PDF-', 'a PDF document'),
))
# Bytes no text file holds (tab, line feed, vertical tab, form feed and carriage return excepted).
CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0e, 0x20)) + b'\x7f'


def canonical_encoding(name):
    """The codec's canonical name (``LATIN1`` -> ``iso8859-1``); LookupError when unknown."""
    return codecs.lookup(name).name


def bom_of(head):
    """(codec, BOM length) of the BOM ``head`` starts with, or (None, 0)."""
    for bom, codec in BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    return None, 0


def utf16_without_bom(head):
    """'utf-16-le' or 'utf-16-be' when ``head`` looks like UTF-16 text without a BOM (a NUL byte
    beside nearly every ASCII letter, always on the same side), else None."""
    pairs = min(len(head), 4096) // 2
    if pairs < 2:
        return None
    even = head[0:pairs * 2:2].count(0)
    odd = head[1:pairs * 2:2].count(0)
    if odd * 10 >= pairs * 4 and even * 20 < pairs:
        return 'utf-16-le'
    if even * 10 >= pairs * 4 and odd * 20 < pairs:
        return 'utf-16-be'
    return None


def not_text(head, wide=False):
    """Why a file starting with ``head`` (BOM removed) cannot be a legacy CSV, or None.
    ``wide``: the encoding is UTF-16 or UTF-32, whose text is full of NUL bytes."""
    for pattern, what in MAGIC:
        if pattern.match(head):
            return what
    if wide or not head:
        return None
    endian = utf16_without_bom(head)
    if endian:
        return ('UTF-16 text without a BOM (%s, by the NUL bytes beside its letters): set '
                'encoding: %s, or save it again with a BOM' % (endian, endian))
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    if controls * 20 >= len(head):
        return ('a binary file, not text: %d of its first %d bytes are control characters '
                'such as NUL' % (controls, len(head)))
    return None


def decode_line(raw):
    """(text, codec) of one line of a mixed file: UTF-8 when it is valid UTF-8, else cp1252,
    else latin-1 (bytes cp1252 leaves undefined)."""
    try:
        return raw.decode('utf-8'), 'utf-8'
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode('cp1252'), 'cp1252'
    except UnicodeDecodeError:
        return raw.decode('latin-1'), 'latin-1'


class _Shape(object):
    """What a file holds that decides how it is read, fed chunk by chunk (bytes, or the decoded
    text for UTF-16/32): line feeds and carriage returns (which line end), and what the one-pass
    csv reader would read differently from PHP (a backslash, a CR, a blank before a quote)."""

    def __init__(self, binary):
        self.lf = self.cr = self.backslash = self.blank_quote = False
        if binary:
            self._needles = (b'\n', b'\r', b'\\', b' "', b'\t"')
            self._last = b''
        else:
            self._needles = ('\n', '\r', '\\', ' "', '\t"')
            self._last = ''

    def feed(self, piece):
        lf, cr, backslash, space_quote, tab_quote = self._needles
        self.lf = self.lf or lf in piece
        self.cr = self.cr or cr in piece
        self.backslash = self.backslash or backslash in piece
        if not self.blank_quote:
            edge = self._last + piece[:1]          # a blank at the end of the previous chunk
            # A one-character search first: a two-character one is slower, and most files
            # hold no tab.
            self.blank_quote = (space_quote in piece or (tab_quote[:1] in piece
                                                         and tab_quote in piece)
                                or edge in (space_quote, tab_quote))
        self._last = piece[-1:]

    @property
    def newline(self):
        """'\\r' for a file whose lines end with CR alone (classic Mac OS), else '\\n'."""
        return '\r' if self.cr and not self.lf else '\n'

    @property
    def plain(self):
        return not (self.backslash or self.cr or self.blank_quote)


# The first bytes a codec cannot decode: ``line`` (physical, 1-based), ``byte``, ``reason``.
DecodeFailure = namedtuple('DecodeFailure', ('line', 'byte', 'reason'))


def scan(chunks, codec, text_shape=False, stop=True):
    """Decode every chunk with ``codec`` and learn the file's :class:`_Shape` (from the bytes,
    or from the decoded text with ``text_shape``). Returns (shape, DecodeFailure or None); with
    ``stop=False`` a failure ends the decoding but not the shape (bytes only)."""
    decoder = codecs.getincrementaldecoder(codec)('strict')
    shape = _Shape(binary=not text_shape)
    failure = None
    lf = cr = 0                 # line ends before the current chunk
    for chunk in chunks:
        if not text_shape:
            shape.feed(chunk)
        if failure is not None:
            continue
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            failure = _failure(pending + chunk, exc, codec, text_shape, lf, cr)
            if stop or text_shape:
                break
            continue
        piece = text if text_shape else chunk
        if text_shape:
            shape.feed(text)
        lf += piece.count('\n' if text_shape else b'\n')
        if ('\r' if text_shape else b'\r') in piece:
            cr += piece.count('\r' if text_shape else b'\r')
    if failure is None:
        try:
            decoder.decode(b'', final=True)
        except UnicodeDecodeError as exc:
            failure = _failure(exc.object, exc, codec, text_shape, lf, cr)
    return shape, failure


def _failure(data, exc, codec, text_shape, lf, cr):
    before = data[:exc.start]
    if text_shape:
        before = before.decode(codec, 'replace')
        lf, cr = lf + before.count('\n'), cr + before.count('\r')
    else:
        lf, cr = lf + before.count(b'\n'), cr + before.count(b'\r')
    return DecodeFailure(1 + (lf if lf else cr), byte_at(data, exc.start), exc.reason)


def byte_at(data, offset):
    """The value of the byte at ``offset`` (0 past the end)."""
    return ord(data[offset:offset + 1] or b'\0')


def split_chunks(chunks, separator):
    """The lines of a file given as byte chunks, each with its ``separator`` but the last."""
    carry = b''
    for chunk in chunks:
        parts = (carry + chunk).split(separator)
        carry = parts.pop()
        for raw in parts:
            yield raw + separator
    if carry:
        yield carry


def classify_lines(chunks, newline='\n', max_listed=DEFAULT_MAX_REPORTED):
    """For the lines of an 8-bit file that are not ASCII, which codec :func:`decode_line` takes:
    ``{codec: {'count': n, 'lines': [first max_listed line numbers]}}``."""
    found = {}
    for lineno, raw in enumerate(split_chunks(chunks, newline.encode('ascii')), 1):
        if not raw.isascii():
            entry = found.setdefault(decode_line(raw)[1], {'count': 0, 'lines': []})
            entry['count'] += 1
            if len(entry['lines']) < max_listed:
                entry['lines'].append(lineno)
    return found


def _split_lines(binary, separator):
    """The lines of a binary stream, each with its ``separator`` (LF is the stream's own)."""
    if separator == b'\n':
        return iter(binary)
    return split_chunks(iter(lambda: binary.read(CHUNK), b''), separator)


class _MixedLines(object):
    """The text lines of a file whose lines are in different encodings (:func:`decode_line`)."""

    def __init__(self, binary, newline):
        self._binary = binary
        self._lines = _split_lines(binary, newline.encode('ascii'))

    def __iter__(self):
        return self

    def __next__(self):
        return decode_line(next(self._lines))[0]

    next = __next__

    def close(self):
        self._binary.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class LegacySource(object):
    """A legacy file after :func:`open_source` scanned it: ``encoding`` (what the result says),
    ``codec`` (None when each line is decoded on its own), ``newline``, ``delimiter``,
    ``warnings``, ``encoding_lines`` (mixed files), ``regular``. :meth:`records` reads it again:
    a regular file is streamed from the disk, anything else was read into memory once.
    Use it as a context manager: the streams it opened are closed on exit."""

    def __init__(self, path):
        self.path = path
        self.encoding = None
        self.codec = None
        self.newline = '\n'
        self.delimiter = DELIMITER
        self.warnings = []
        self.encoding_lines = None
        self.plain = False
        self.regular = True
        self.data = None            # the bytes of a file that is not a regular one
        self.skip = 0               # the BOM's length
        self._streams = []

    def chunks(self):
        """The file's bytes after the BOM, in chunks of CHUNK."""
        if self.data is not None:
            for start in range(self.skip, len(self.data), CHUNK):
                yield self.data[start:start + CHUNK]
            return
        with open(self.path, 'rb') as handle:
            handle.seek(self.skip)
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    break
                yield chunk

    def open(self):
        """The text lines (each with its line end, split on ``newline`` only: a CR in an LF file
        stays in its line), as an iterator closed with the source."""
        binary = io.BytesIO(self.data) if self.data is not None else open(self.path, 'rb')
        binary.seek(self.skip)
        if self.codec is None:
            stream = _MixedLines(binary, self.newline)
        else:
            stream = io.TextIOWrapper(binary, encoding=self.codec, errors='strict',
                                      newline=self.newline)
        self._streams.append(stream)
        return stream

    def records(self):
        """(line, cells, flags) for every record, like :func:`iter_records` over :meth:`open`;
        a file the scan found plain is read by one C csv reader (:func:`iter_plain_records`)."""
        if self.plain:
            return iter_plain_records(self.open, self.delimiter)
        return iter_records(self.open(), self.delimiter)

    def close(self):
        for stream in self._streams:
            stream.close()
        self._streams = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def read_bounded(path, limit, check_head=None):
    """The bytes of a file that can be read only once (FIFO, pipe, /dev/stdin, a device), read
    once and at most ``limit`` of them; ``check_head(head)`` may refuse the file from its first
    HEAD bytes before the rest is read (/dev/zero never ends)."""
    with open(path, 'rb') as handle:
        head = handle.read(HEAD)
        if check_head is not None:
            check_head(head)
        rest = handle.read(limit + 1 - len(head)) if len(head) == HEAD else b''
    if len(head) + len(rest) > limit:
        raise LegacyCsvError('is not a regular file, so it is read into memory, and it holds more '
                             'than %d MiB (the limit): copy it to a file first' % (limit // 1048576))
    return head + rest


def open_source(path, encoding='auto', max_bytes=MAX_NON_REGULAR,
                max_listed=DEFAULT_MAX_REPORTED):
    """Scan ``path`` and return a :class:`LegacySource`, or raise LegacyCsvError naming what
    the file really is when it cannot be read (a directory, compressed, binary, UTF-16 without
    a BOM, not decodable with the codec asked for, a pipe holding more than ``max_bytes``).

    ``encoding='auto'``: a BOM (UTF-8, UTF-16, UTF-32) is believed; else UTF-8 when the whole
    file is; else, when some lines are UTF-8 and others are not, each line is decoded on its own
    (``encoding`` says ``mixed: utf-8 + cp1252``, ``encoding_lines`` which lines, and a warning
    names them); else cp1252, or latin-1 when cp1252 leaves a byte undefined. Any other value is
    a codec, strict. A regular file is read twice in chunks (scan, then conversion); anything
    else once, into memory."""
    explicit = None if encoding in (None, '', 'auto') else canonical_encoding(encoding)
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise LegacyCsvError('is a directory, not a file')
    source = LegacySource(path)

    def check_head(head):
        bom, skip = bom_of(head)
        if bom and explicit and explicit not in _codecs_of_bom(bom):
            raise LegacyCsvError('starts with a %s BOM but the encoding asked for is %s: use '
                                 'encoding: auto' % (bom.upper(), encoding))
        what = not_text(head[skip:], (explicit or bom) in WIDE_CODECS)
        if what:
            raise LegacyCsvError('cannot be read as a legacy CSV: it is %s' % what)

    if stat.S_ISREG(info.st_mode):
        with open(path, 'rb') as handle:
            head = handle.read(HEAD)
        check_head(head)
    else:
        source.regular = False
        source.data = read_bounded(path, max_bytes, check_head)
        head = source.data[:HEAD]

    bom, skip = bom_of(head)
    if explicit:
        codec = explicit
        if bom == explicit:         # else the codec (utf-8-sig, utf-16, utf-32) removes it
            source.skip = skip
        source.encoding = 'utf-8-sig' if codec == 'utf-8' and source.skip else encoding
    else:
        codec = bom or 'utf-8'
        source.skip = skip
        source.encoding = 'utf-8-sig' if bom == 'utf-8' else codec
    wide = codec in WIDE_CODECS
    shape, failure = scan(source.chunks(), codec, text_shape=wide, stop=bool(explicit or wide))
    if failure is not None:
        if explicit or wide:
            raise LegacyCsvError('cannot be decoded as %s: byte 0x%02x at line %d (%s); use '
                                 'encoding: auto or name the right codec'
                                 % (source.encoding, failure.byte, failure.line, failure.reason),
                                 failure.line)
        _choose_8bit(source, classify_lines(source.chunks(), shape.newline, max_listed))
    else:
        source.codec = codec
    source.newline = shape.newline
    source.plain = shape.plain
    if source.newline == '\r':
        source.warnings.append('the lines end with a CR alone (classic Mac OS): each CR was read '
                               'as a line end')
    if wide:
        _choose_delimiter(source)
    return source


def _codecs_of_bom(bom):
    """The codecs (canonical names) that can read a file starting with this BOM."""
    if bom == 'utf-8':
        return ('utf-8', 'utf-8-sig')
    return (bom, bom[:6])           # utf-16-le: utf-16-le, or utf-16 that reads the BOM


def _choose_8bit(source, found):
    """The encoding of a file that is not all UTF-8, from :func:`classify_lines`."""
    others = [codec for codec in ('cp1252', 'latin-1') if codec in found]
    if 'utf-8' not in found:
        source.codec = source.encoding = others[-1] if others else 'cp1252'
        return
    source.codec = None
    source.encoding = 'mixed: ' + ' + '.join(['utf-8'] + others)
    source.encoding_lines = found
    for codec in others:
        source.warnings.append(
            'mixed encodings: %d line(s) are UTF-8 and %d are not, read as %s (line %s): check '
            'their accented letters' % (found['utf-8']['count'], found[codec]['count'], codec,
                                        summarize_items(found[codec]['lines'], render=str)))


def _choose_delimiter(source):
    """Excel's "Unicode text" export is UTF-16 and tab-separated: a tab delimiter when the header
    (the first non-blank line) holds tabs and no '|'."""
    stream = source.open()
    try:
        for line in stream:
            if line.strip():
                if '\t' in line and DELIMITER not in line:
                    source.delimiter = '\t'
                    source.warnings.append('tab-separated %s file (Excel "Unicode text"): read '
                                           'with the tab as the delimiter' % source.encoding)
                break
    finally:
        stream.close()


# --------------------------------------------------------------------------- PHP fgetcsv

class _Syntax(object):
    """What PHP fgetcsv's reading depends on for one delimiter: the csv dialect that reads a
    record the same way (strict, so that a quote PHP reads differently, such as text after a
    closing quote or an unterminated one, raises csv.Error), the blanks PHP skips before an
    opening quote (white space but the delimiter), and a search for them."""

    def __init__(self, delimiter):
        self.delimiter = delimiter
        self.dialect = type('_Dialect', (csv.Dialect,), dict(
            delimiter=delimiter, quotechar=ENCLOSURE, doublequote=True, skipinitialspace=False,
            strict=True, lineterminator='\n', quoting=csv.QUOTE_MINIMAL))
        self.blanks = ' \t'.replace(delimiter, '')
        # The csv module would keep those blanks and the quote as text.
        self.blank_before_quote = re.compile(r'(?:^|%s)[%s]+"' % (re.escape(delimiter),
                                                                  re.escape(self.blanks)))


SYNTAX = {DELIMITER: _Syntax(DELIMITER), '\t': _Syntax('\t')}


def _strip_eol(text):
    if text.endswith('\n'):
        text = text[:-1]
    if text.endswith('\r'):
        text = text[:-1]
    return text


def iter_records(lines, delimiter=DELIMITER, csv_lines=True, first_line=1):
    """Split text lines (each with its line end) into records like PHP ``fgetcsv`` with ``|``
    (or ``delimiter``) and ``"``: a quoted cell may hold ``|``, ``""`` (one quote), line breaks,
    and PHP escapes (``\\"`` is read as a quote; a backslash before another character is kept
    with it); text after a closing quote is appended up to the next ``|``; quotes inside an
    unquoted cell are literal. Yields ``(line, cells, flags)``, ``line`` being the physical line
    where the record starts, counted from ``first_line``; a blank line yields ``cells == []``.
    ``csv_lines``: read the one-line records that plain CSV quoting reads like PHP with the
    csv module (faster); False runs PHP's state machine on every quoted line.
    """
    syntax = SYNTAX[delimiter]
    blanks = syntax.blanks
    dialect = syntax.dialect
    blank_before_quote = syntax.blank_before_quote.search
    lineno = first_line - 1
    source = iter(lines)
    for line in source:
        lineno += 1
        start = lineno
        if ENCLOSURE not in line:
            if line.endswith('\n'):
                line = line[:-1]
            if line.endswith('\r'):
                line = line[:-1]
            if not line:
                yield start, [], 0
            else:
                yield start, line.split(delimiter), (F_NEWLINE if '\r' in line else 0)
            continue

        # Most quoted lines are plain CSV quoting on one line: the csv module reads them as
        # PHP does, in C. Anything else takes PHP's state machine below.
        if csv_lines and ESCAPE not in line:
            text = _strip_eol(line)
            if '\r' not in text and not blank_before_quote(text):
                try:
                    cells = next(csv.reader((text,), dialect), None)
                except csv.Error:
                    cells = None
                if cells is not None:
                    yield start, cells if cells != [''] else [], 0
                    continue

        # Slow path: PHP's state machine, on a line holding a quote.
        buf = line
        size = len(buf)
        pos = 0
        cells = []
        flags = F_NEWLINE if '\r' in _strip_eol(line) else 0
        while True:
            scan = pos
            while scan < size and buf[scan] in blanks:
                scan += 1
            if scan < size and buf[scan] == ENCLOSURE:
                pos = scan + 1
                parts = []
                ended = False          # the record ended inside this cell (end of file)
                while True:
                    quote = buf.find(ENCLOSURE, pos)
                    escape = buf.find(ESCAPE, pos, quote if quote != -1 else size)
                    if escape != -1 and escape + 1 < size:
                        if buf[escape + 1] == ENCLOSURE:
                            parts.append(buf[pos:escape])
                            parts.append(ENCLOSURE)
                            flags |= F_ESCAPE
                        else:
                            parts.append(buf[pos:escape + 2])
                        pos = escape + 2
                        continue
                    if quote == -1:
                        parts.append(buf[pos:])
                        more = next(source, None)
                        if more is None:
                            flags |= F_UNTERMINATED
                            parts[-1] = _strip_eol(parts[-1])
                            ended = True
                            break
                        lineno += 1
                        flags |= F_NEWLINE
                        buf = more
                        size = len(buf)
                        pos = 0
                        continue
                    if quote + 1 < size and buf[quote + 1] == ENCLOSURE:
                        parts.append(buf[pos:quote + 1])
                        pos = quote + 2
                        continue
                    parts.append(buf[pos:quote])
                    pos = quote + 1
                    break
                if ended:
                    cells.append(''.join(parts))
                    break
                cut = buf.find(delimiter, pos)
                if cut == -1:
                    parts.append(_strip_eol(buf[pos:]))
                    cells.append(''.join(parts))
                    break
                parts.append(buf[pos:cut])
                cells.append(''.join(parts))
                pos = cut + 1
            else:
                cut = buf.find(delimiter, pos)
                if cut == -1:
                    cells.append(_strip_eol(buf[pos:]))
                    break
                cells.append(buf[pos:cut])
                pos = cut + 1
        if len(cells) == 1 and not cells[0]:
            cells = []
        yield start, cells, flags


def iter_plain_records(open_lines, delimiter=DELIMITER):
    """:func:`iter_records` for a file with no backslash, no CR and no blank before a quote
    (what :class:`_Shape` calls plain), in one C csv reader over the whole file: there, strict
    CSV quoting reads every record as PHP does, a quoted line break included, or raises
    csv.Error (text after a closing quote, an unterminated quote, a cell over the csv field
    limit). On csv.Error the file is opened again (``open_lines()``) and read from the start of
    that record by :func:`iter_records`."""
    lines = open_lines()
    reader = csv.reader(lines, SYNTAX[delimiter].dialect)
    start = 1
    try:
        for cells in reader:
            end = reader.line_num
            if end == start:
                if len(cells) == 1 and not cells[0]:        # a line holding only ""
                    cells = []
                yield start, cells, 0
            else:
                yield start, cells, F_NEWLINE
            start = end + 1
        return
    except csv.Error:
        pass
    finally:
        lines.close()
    lines = open_lines()
    try:
        yield from iter_records(itertools.islice(lines, start - 1, None), delimiter,
                                first_line=start)
    finally:
        lines.close()


# --------------------------------------------------------------------------- conversion

class Converter(object):
    """Converts one legacy file. Build it, call :meth:`read_header` with the header cells, then
    iterate :meth:`convert` over the records; read the report attributes at the end.

    Options:
      column_map: legacy header -> confd column (extra mappings; '' or None drops the column).
      defaults: confd column -> value for empty or absent cells (voicemail columns only on rows
        that define a voicemail number).
      unknown_columns: 'fail' or 'drop'.
      newline_replacement: what replaces a line break inside a value.
      validate: check each row against the confd 16.15 rules (and duplicates).
      max_reported: how many problems/notices are kept in the lists (counts stay exact).
    """

    def __init__(self, column_map=None, defaults=None, unknown_columns='fail',
                 newline_replacement=' ', validate=True, max_reported=DEFAULT_MAX_REPORTED):
        self.column_map = dict((lm.normalize_header(k), v) for k, v in (column_map or {}).items())
        self.defaults = dict((k, '' if v is None else _text(v)) for k, v in (defaults or {}).items())
        self.unknown_columns = unknown_columns
        self.newline_replacement = newline_replacement
        self.validate = validate
        self.max_reported = max_reported
        # Report
        self.columns = []             # output header
        self.dropped_columns = []     # legacy headers not written
        self.warnings = []            # file-level messages
        self.invalid_rows = []        # {line, column, legacy_column, reason}, capped
        self.invalid_count = 0        # rows left out (or failing)
        self.invalid_lines = []       # the legacy line of every invalid row (not capped)
        self.row_lines = []           # the legacy line of every row written, in order
        self.problem_count = 0        # problems in those rows
        self.row_warnings = []        # non-fatal notices per row, capped
        self.row_warning_count = 0
        self.rows = 0                 # rows written
        self.data_rows = 0            # non-blank records after the header
        self.blank_lines = 0
        self.header_line = None
        self._index = DuplicateIndex() if validate else None
        self._notice_lines = {}       # kind -> (count, first lines)

    # -- header --------------------------------------------------------------------
    def read_header(self, cells, line=1):
        """Build the per-column plan from the header cells; raises LegacyCsvError."""
        self.header_line = line
        width = len(cells)
        self.width = width
        confd_of = []                 # per legacy cell: confd column or None
        legacy_of = {}                # confd column -> legacy header used
        unknown, na, empty, dropped = [], [], [], []
        invert = None
        for position, raw in enumerate(cells):
            name = lm.normalize_header(raw)
            if not name:
                empty.append(position + 1)
                confd_of.append(None)
                continue
            if name in self.column_map:
                target = self.column_map[name]
                if not target:
                    dropped.append(name)
                    confd_of.append(None)
                    continue
                if target not in IMPORT_COLUMNS:
                    raise LegacyCsvError('column_map maps %r to %r, which is not a confd import '
                                         'column' % (name, target), line)
            elif name in lm.LEGACY_TO_CONFD:
                target = lm.LEGACY_TO_CONFD[name]
                if target is None:
                    na.append(name)
                    confd_of.append(None)
                    continue
            else:
                unknown.append((position + 1, raw.strip()))
                confd_of.append(None)
                continue
            if target in legacy_of:
                raise LegacyCsvError('columns %r and %r both map to the confd column %r'
                                     % (legacy_of[target], name, target), line)
            legacy_of[target] = name
            if name in lm.INVERTED_COLUMNS:
                invert = target
            confd_of.append(target)
        if unknown and width == 1:
            # One header cell: the file is most likely separated by something else than '|',
            # and every column would be "unknown". Say that first.
            diagnosis = delimiter_diagnosis(cells[0])
            if diagnosis:
                raise LegacyCsvError(diagnosis, line)
        if unknown:
            described = describe_unknown(unknown)
            if self.unknown_columns != 'drop':
                raise LegacyCsvError('unknown legacy header(s): %s. Fix the header, map them with '
                                     'column_map, or set unknown_columns=drop.'
                                     % described, line)
            self.warnings.append('unknown column(s) dropped: %s' % described)
            dropped.extend(name for dummy, name in unknown)
        if na:
            self.warnings.append('column(s) with no confd equivalent dropped: %s' % ', '.join(na))
            dropped.extend(na)
        if empty:
            self.warnings.append('header cell(s) with no name ignored (column %s)'
                                 % ', '.join(str(n) for n in empty))
        self.dropped_columns = dropped

        present = set(legacy_of)
        added = set()
        pre1515_context = 'voicemail_number' in present and 'voicemail_context' not in present
        for column in self.defaults:
            if column not in IMPORT_COLUMNS:
                raise LegacyCsvError('defaults names %r, which is not a confd import column' % column)
            added.add(column)
        added.add('call_transfer_enabled')
        if pre1515_context:
            added.add('voicemail_context')
        if 'voicemail_number' in present or 'voicemail_context' in present or added & {
                'voicemail_number', 'voicemail_context'}:
            added.add('voicemail_name')
        columns = [c for c in IMPORT_COLUMNS if c in present or c in added]
        if 'firstname' not in columns:
            raise LegacyCsvError('the header has no firstname column, which confd requires: %s'
                                 % summarize_items([c.strip() for c in cells]), line)
        self.columns = columns
        self.legacy_of = legacy_of
        pos = dict((c, i) for i, c in enumerate(columns))
        self._pos = pos
        # source cell index of each output column; width (an extra '' cell) for added ones
        cell_of = dict((target, i) for i, target in enumerate(confd_of) if target)
        self._take = [cell_of.get(c, width) for c in columns]
        self._invert = pos[invert] if invert else None
        self._protocol = pos.get('line_protocol')
        self._profile = pos.get('cti_profile_name')
        self._mobile = pos.get('mobile_phone_number')
        self._xfer = pos['call_transfer_enabled']
        vm_number = pos.get('voicemail_number')
        self._vm_number = vm_number
        self._vm_context = pos.get('voicemail_context')
        self._context = pos.get('context')
        self._pre1515_context = pre1515_context
        self._vm_name = pos.get('voicemail_name')
        self._firstname = pos['firstname']
        self._lastname = pos.get('lastname')
        self._vm_booleans = [(pos[c], v) for c, v in lm.VOICEMAIL_BOOLEAN_DEFAULTS if c in pos]
        self._defaults_all = [(pos[c], v) for c, v in self.defaults.items()
                              if v and not c.startswith('voicemail_')]
        self._defaults_vm = [(pos[c], v) for c, v in self.defaults.items()
                             if v and c.startswith('voicemail_')]
        return columns

    def legacy_name(self, column):
        if column is None:
            return None
        return self.legacy_of.get(column)

    # -- report helpers -----------------------------------------------------------------
    def _notice(self, line, column, reason, kind=None):
        self.row_warning_count += 1
        if len(self.row_warnings) < self.max_reported:
            self.row_warnings.append({'line': line, 'column': column,
                                      'legacy_column': self.legacy_name(column), 'reason': reason})
        if kind:
            count, lines = self._notice_lines.get(kind, (0, []))
            if len(lines) < 10:
                lines.append(line)
            self._notice_lines[kind] = (count + 1, lines)

    def _invalid(self, line, problems):
        self.invalid_count += 1
        self.invalid_lines.append(line)
        for problem in problems:
            self.problem_count += 1
            if len(self.invalid_rows) < self.max_reported:
                self.invalid_rows.append({'line': line, 'column': problem.column,
                                          'legacy_column': self.legacy_name(problem.column),
                                          'reason': problem.reason})

    def summary_warnings(self):
        """File-level warnings plus one line per kind of row notice."""
        messages = list(self.warnings)
        texts = {
            'newline': 'line break(s) inside a value replaced by %r' % self.newline_replacement,
            'short': 'row(s) shorter than the header padded with empty cells',
            'long': 'row(s) longer than the header: the extra cells were cut',
            'escape': 'PHP \\" escape(s) read as a quote',
            'unterminated': 'the file ends inside a quoted value',
            'protocol': 'row(s) will get no line (line_protocol neither sip nor sccp)',
            'mobile': 'mobile phone number(s) stripped of spaces, dots and dashes',
        }
        for kind, (count, lines) in sorted(self._notice_lines.items()):
            more = ', ...' if count > len(lines) else ''
            messages.append('%d %s (line %s%s)' % (count, texts.get(kind, kind),
                                                   ', '.join(str(n) for n in lines), more))
        return messages

    # -- rows ------------------------------------------------------------------------------
    def convert(self, records, as_csv=False):
        """Yield one output row (list of str, in ``self.columns`` order) per valid record; with
        ``as_csv``, the text ``csv.writer(lineterminator='\\n')`` writes for those rows instead,
        in pieces of up to CSV_PIECE_ROWS lines (a write per line costs more than the line)."""
        width = self.width
        take = self._take
        columns = self.columns
        invert = self._invert
        protocol = self._protocol
        profile = self._profile
        mobile = self._mobile
        xfer = self._xfer
        vm_number = self._vm_number
        vm_context = self._vm_context
        vm_name = self._vm_name
        context = self._context
        pre1515 = self._pre1515_context
        firstname = self._firstname
        lastname = self._lastname
        vm_booleans = self._vm_booleans
        defaults_all = self._defaults_all
        defaults_vm = self._defaults_vm
        validate = self.validate
        if validate:
            quick = RowValidator(columns).quick
            check_duplicates = self._index.bind(columns)
        csv_line = CsvLines(len(columns)).line if as_csv else None
        lines = []                    # as_csv: the CSV lines not yet yielded
        add_line = lines.append
        add_row_line = self.row_lines.append
        inverse = {'0': '1', '1': '0'}
        map_profile = lm.map_profile
        transfer_default = lm.LEGACY_TRANSFER_DEFAULT

        # An output column the file lacks takes the empty cell appended past the last one.
        added = width in take
        if len(take) == 1:
            only = take[0]

            def pick(cells):
                return (cells[only],)
        else:
            pick = operator.itemgetter(*take)
        strip = str.strip

        # Counted in locals (one row costs a few attribute writes less), stored at the end or
        # when the caller stops early.
        rows = data_rows = 0
        try:
            for line, cells, flags in records:
                count = len(cells)
                if count != width:
                    if count == 0:
                        self.blank_lines += 1
                        continue
                    if count < width:
                        cells.extend([''] * (width - count))
                        extra = None
                    else:
                        extra = cells[width:]
                        del cells[width:]
                else:
                    extra = False
                if added:
                    cells.append('')
                values = list(map(strip, pick(cells)))
                # Blank: nothing but white space, in the columns kept or in the others.
                if not values[firstname] and not any(values) and not ''.join(cells).strip():
                    self.blank_lines += 1
                    continue
                data_rows += 1
                if extra is not False:
                    self._size_notice(line, count, extra)
                if flags:
                    self._flag_notices(line, flags, values)
                if defaults_all:
                    for pos, value in defaults_all:
                        if not values[pos]:
                            values[pos] = value
                if defaults_vm and vm_number is not None and values[vm_number]:
                    for pos, value in defaults_vm:
                        if not values[pos]:
                            values[pos] = value
                if not values[xfer]:
                    values[xfer] = transfer_default
                if invert is not None:
                    value = values[invert]
                    values[invert] = inverse.get(value, value)
                if protocol is not None:
                    values[protocol] = values[protocol].lower()
                if profile is not None and values[profile]:
                    values[profile] = map_profile(values[profile])
                if mobile is not None:
                    value = values[mobile]
                    if value and (' ' in value or '.' in value or '-' in value):
                        values[mobile] = value.replace(' ', '').replace('.', '').replace('-', '')
                        self._notice(line, 'mobile_phone_number', 'spaces, dots and dashes removed',
                                     'mobile')
                if pre1515 and values[vm_number] and not values[vm_context]:
                    values[vm_context] = values[context] if context is not None else ''
                if vm_name is not None and (
                        (vm_number is not None and values[vm_number])
                        or (vm_context is not None and values[vm_context])):
                    if not values[vm_name]:
                        values[vm_name] = ('%s %s' % (values[firstname], values[lastname]
                                                      if lastname is not None else '')).strip()
                    for pos, value in vm_booleans:
                        if not values[pos]:
                            values[pos] = value

                if validate:
                    joined = quick(values)
                    if joined is not None:
                        errors = check_duplicates(values, line)
                        if not errors:
                            rows += 1
                            add_row_line(line)
                            if csv_line is None:
                                yield values
                                continue
                            if not (',' in joined or '"' in joined or '\n' in joined
                                    or '\r' in joined):
                                # No cell to quote: the NULs that join the cells are the commas
                                # (CsvLines' rule, inlined: a call per row costs 2-3% here).
                                add_line(joined.replace(JOINED_BY, ','))
                            else:
                                add_line(csv_line(values))
                            if len(lines) == CSV_PIECE_ROWS:
                                yield csv_piece(lines)
                            continue
                        self._invalid(line, errors)
                        continue
                    problems = validate_row(dict(zip(columns, values)))
                    errors = [p for p in problems if p.severity == ERROR]
                    errors.extend(check_duplicates(values, line, not errors))
                    if len(errors) != len(problems):
                        for problem in problems:
                            if problem.severity != ERROR:
                                self._notice(line, problem.column, problem.reason,
                                             'protocol' if problem.column == 'line_protocol'
                                             else None)
                    if errors:
                        self._invalid(line, errors)
                        continue
                rows += 1
                add_row_line(line)
                if csv_line is None:
                    yield values
                    continue
                add_line(csv_line(values))
                if len(lines) == CSV_PIECE_ROWS:
                    yield csv_piece(lines)
            if lines:
                yield csv_piece(lines)
        finally:
            self.rows += rows
            self.data_rows += data_rows

    def _size_notice(self, line, count, extra):
        """A row shorter (``extra`` None) or longer than the header."""
        width = self.width
        if extra is None:
            self._notice(line, None, 'row has %d cell(s), the header %d: padded with empty '
                                     'cells' % (count, width), 'short')
            return
        filled = [str(width + i + 1) for i, c in enumerate(extra) if c.strip()]
        if filled:
            self._notice(line, None, 'row has %d cell(s), the header %d: cut %d extra '
                                     'cell(s), non-empty at position %s'
                         % (count, width, len(extra), ', '.join(filled)), 'long')

    def _flag_notices(self, line, flags, values):
        """Line breaks replaced in ``values``, PHP escapes, an unterminated last quote."""
        replacement = self.newline_replacement
        if flags & F_NEWLINE:
            for i, cell in enumerate(values):
                if '\n' in cell or '\r' in cell:
                    values[i] = cell.replace('\r\n', replacement).replace(
                        '\n', replacement).replace('\r', replacement).strip()
                    self._notice(line, self.columns[i], 'line break inside the value replaced '
                                                        'by %r' % replacement, 'newline')
        if flags & F_ESCAPE:
            self._notice(line, None, 'PHP \\" escape read as a quote', 'escape')
        if flags & F_UNTERMINATED:
            self._notice(line, None, 'the file ends inside a quoted value', 'unterminated')


def csv_piece(lines):
    """The CSV lines as one text, each with its line end; empties ``lines``."""
    lines.append('')
    text = '\n'.join(lines)
    del lines[:]
    return text


class CsvLines(object):
    """``line(values)``: the line ``csv.writer(handle, lineterminator='\\n').writerow(values)``
    writes, without its line end, for rows of ``width`` str cells; a row with no cell to quote
    is joined by commas, which takes a third of the writer's time (most rows of a conversion)."""

    def __init__(self, width):
        self._commas = width - 1
        self._text = None
        # '\n' as the line end, cut off below: it is also what makes the writer quote a cell
        # that holds one.
        self._writer = csv.writer(self, lineterminator='\n')
        # One cell alone and empty is written "" (an empty line would be no row at all).
        self.line = self._line if width > 1 else self._written

    def write(self, text):          # the csv writer writes each row in one call
        self._text = text

    def _written(self, values):
        self._writer.writerow(values)
        return self._text[:-1]

    def _line(self, values):
        text = ','.join(values)
        if text.count(',') == self._commas and not (
                '"' in text or '\n' in text or '\r' in text):
            return text
        return self._written(values)


def describe_unknown(unknown, limit=MAX_LISTED):
    """"'phonenumbre' (column 3, did you mean 'phonenumber'?), ... and 9990 more" for the
    (position, header) pairs of unknown headers: 10,000 columns give one short text, and only
    the headers named are compared with the known ones (difflib is slow)."""
    def render(item):
        number, name = item
        near = lm.closest_header(name)
        return '%r (column %d%s)' % (name, number, ', did you mean %r?' % near if near else '')
    return summarize_items(unknown, limit, render)


def delimiter_diagnosis(header):
    """Why a header read as one cell is one: 'the file is delimited by ';' not '|'', naming
    the columns found that way, or None when no other separator explains it."""
    for separator, name in ((';', "';'"), (',', "','"), ('\t', 'tabs')):
        if separator not in header:
            continue
        names = [part.strip().strip('"').strip() for part in header.split(separator)]
        known = [n for n in names if lm.normalize_header(n) in lm.LEGACY_TO_CONFD
                 or n in IMPORT_COLUMNS]
        text = ("the file is delimited by %s, not '|' (the separator of the legacy web-interface "
                "files): its header is one cell holding %d column names separated by %s%s. Save "
                "it again with '|' as the separator" % (
                    name, len(names), name, ' (%s)' % summarize_items(known) if known else ''))
        if separator == '\t':
            text += (', or as UTF-16 with a BOM (Excel "Unicode text"), which is read with tabs as '
                     'they are')
        if separator == ',' and known and all(n in IMPORT_COLUMNS for n in known):
            text += ('; it looks like a file already in the confd format: give it to '
                     'xivo.confd.user_import (role: xivo_user_migration_csv) without conversion')
        return text + '.'
    return None


def _text(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    return str(value).strip()


def convert_file(path, encoding='auto', **options):
    """Convenience for tests and scripts: (converter, encoding used, list of output rows).
    Holds every row in memory; the action plugin streams instead."""
    with open_source(path, encoding) as source:
        converter, rows = convert_source(source, **options)
        rows = list(rows)
    return converter, source.encoding, rows


def convert_source(source, as_csv=False, **options):
    """Read the header of a :class:`LegacySource` and return (converter, generator of output
    rows, or with ``as_csv`` of their CSV text in pieces); the source's file-level warnings open
    the converter's."""
    converter = Converter(**options)
    converter.warnings.extend(source.warnings)
    return converter, _start(converter, source.records(), as_csv)


def convert_lines(lines, delimiter=DELIMITER, **options):
    """Read the header from text ``lines`` and return (converter, generator of output rows)."""
    converter = Converter(**options)
    return converter, _start(converter, iter_records(lines, delimiter))


def _start(converter, records, as_csv=False):
    """Give the converter the first non-blank record as its header; the rows that follow."""
    for line, cells, flags in records:
        if cells and any(c.strip() for c in cells):
            if flags & F_UNTERMINATED:
                raise LegacyCsvError('the header opens a quote (") that is never closed, so the '
                                     'whole file would be one header cell', line)
            if flags & F_NEWLINE:
                raise LegacyCsvError('the header holds a line break inside quotes', line)
            converter.read_header(cells, line)
            break
        converter.blank_lines += 1
    else:
        raise LegacyCsvError('the file has no header line (it is empty or blank)', 1)
    return converter.convert(records, as_csv)

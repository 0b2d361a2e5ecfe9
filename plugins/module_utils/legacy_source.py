# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a legacy web-interface user CSV (``|``, XiVO <= 15.19) from the disk: what the file
is, how its bytes decode, how its lines end.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

:func:`open_source` scans the file once, in chunks (a FIFO or pipe: read once, bounded): it
refuses what is not text (compressed, binary, UTF-16 without a BOM), finds the encoding (BOMs,
UTF-8, lines of mixed UTF-8 and cp1252, cp1252, latin-1), the line ends (LF, or CR alone) and
the delimiter (``|``, or a tab for Excel's UTF-16 "Unicode text"). The :class:`LegacySource`
it returns gives the text lines and the PHP records (legacy_records) of the file.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
from collections import namedtuple

from ansible_collections.xivo.confd.plugins.module_utils.legacy_records import (
    DELIMITER, iter_records)
from ansible_collections.xivo.confd.plugins.module_utils.text import summarize_items

CHUNK = 1024 * 1024
DEFAULT_MAX_REPORTED = 1000


class LegacyCsvError(Exception):
    """The file as a whole cannot be converted (encoding, header). ``line`` when known."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


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


# The first bytes a codec cannot decode: ``line`` (physical, 1-based), ``byte``, ``reason``.
DecodeFailure = namedtuple('DecodeFailure', ('line', 'byte', 'reason'))


def scan(chunks, codec, wide=False, stop=True):
    """Decode every chunk with ``codec`` and find the file's line end: '\\r' for a file whose
    lines end with CR alone (classic Mac OS), else '\\n' (counted in the decoded text for a
    ``wide`` codec, UTF-16 or UTF-32, in the bytes otherwise). Returns (line end,
    DecodeFailure or None); with ``stop=False`` a failure ends the decoding but not the search
    for line ends (bytes only)."""
    decoder = codecs.getincrementaldecoder(codec)('strict')
    failure = None
    lf = cr = 0                 # line ends before the current chunk
    ends = ('\n', '\r') if wide else (b'\n', b'\r')
    for chunk in chunks:
        piece = chunk
        if failure is None:
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                failure = _failure(pending + chunk, exc, codec, wide, lf, cr)
                if stop or wide:
                    break
            else:
                if wide:
                    piece = text
        lf, cr = lf + piece.count(ends[0]), cr + piece.count(ends[1])
    if failure is None:
        try:
            decoder.decode(b'', final=True)
        except UnicodeDecodeError as exc:
            failure = _failure(exc.object, exc, codec, wide, lf, cr)
    return ('\r' if cr and not lf else '\n'), failure


def _failure(data, exc, codec, wide, lf, cr):
    before = data[:exc.start]
    if wide:
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


class _MixedLines:
    """The text lines of a file whose lines are in different encodings (:func:`decode_line`)."""

    def __init__(self, binary, newline):
        self._binary = binary
        self._lines = _split_lines(binary, newline.encode('ascii'))

    def __iter__(self):
        return self

    def __next__(self):
        return decode_line(next(self._lines))[0]

    def close(self):
        self._binary.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class LegacySource:
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
        """(line, cells, flags) for every record (legacy_records.iter_records)."""
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
    newline, failure = scan(source.chunks(), codec, wide=wide, stop=bool(explicit or wide))
    if failure is not None:
        if explicit or wide:
            raise LegacyCsvError('cannot be decoded as %s: byte 0x%02x at line %d (%s); use '
                                 'encoding: auto or name the right codec'
                                 % (source.encoding, failure.byte, failure.line, failure.reason),
                                 failure.line)
        _choose_8bit(source, classify_lines(source.chunks(), newline, max_listed))
    else:
        source.codec = codec
    source.newline = newline
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

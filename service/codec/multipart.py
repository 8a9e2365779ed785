"""A multipart/form-data body -> the files of one field, split in C for the usual form.

werkzeug's parser (an event and a regular expression per step, in Python) spends about
50 µs a part: 13 ms of a 256-PNG request, more than decoding the PNGs (AMD EPYC). The
form curl -F, requests and browsers write (CRLF lines, the first boundary first, each
part a Content-Disposition and at most a Content-Type, the closing boundary last) is
split here with bytes.split. `files` answers None for anything else, and the caller
asks werkzeug, whose answer is the reference (tests/service/codec/test_multipart.py
holds the two equal): every case this accepts, werkzeug reads the same way.
"""

import re

# RFC 2046's boundary characters, space excluded: no escaping, no padding questions.
_BOUNDARY = re.compile(rb"[0-9A-Za-z'()+_,./:=?-]{1,70}")
# Printable ASCII but the quote, the backslash and, in the name, the %: werkzeug reads
# the escapes \" and %22 as a quote.
_DISPOSITION = re.compile(rb'form-data; name="([ !#$&-\[\]-~]*)"(; filename="[ !#-\[\]-~]*")?',
                          re.IGNORECASE)
_CONTENT_TYPE = re.compile(rb"[\x21-\x7e][\x20-\x7e]*")


def files(body: bytes, boundary: str, field: str, max_parts: int | None) -> list[bytes] | None:
    """Each file's bytes in field `field`, in order, or None where werkzeug must decide.

    body: the whole request body; boundary: the Content-Type's boundary parameter;
    max_parts: the app's MAX_FORM_PARTS (werkzeug answers 413 beyond it).
    """
    delimiter = _delimiter(boundary)
    if delimiter is None or not body.startswith(delimiter + b"\r\n"):
        return None
    closing = b"\r\n" + delimiter + b"--"
    end = body.rfind(closing)
    if end < 0 or body[end + len(closing):] not in (b"", b"\r\n"):
        return None
    parts = body[len(delimiter) + 2:end].split(b"\r\n" + delimiter + b"\r\n")
    # Every "--boundary" in the body must be one of the delimiters split on: werkzeug
    # also takes one after a bare CR or LF, or with trailing blanks, as a delimiter.
    if body.count(delimiter) != len(parts) + 1:
        return None
    if max_parts is not None and len(parts) > max_parts:
        return None
    want = field.encode()
    found = []
    for part in parts:
        data = _file_data(part, want)
        if data is None:
            return None
        found.append(data)
    return found


def _delimiter(boundary: str) -> bytes | None:
    """b"--" + boundary, when the boundary is plain and cannot overlap itself."""
    if not boundary.isascii():  # werkzeug cannot encode it, and reads no files
        return None
    raw = boundary.encode("ascii")
    if not _BOUNDARY.fullmatch(raw):
        return None
    delimiter = b"--" + raw
    # With a border (a prefix that is also a suffix) two delimiters could overlap,
    # and bytes.count would miss one.
    if any(delimiter[:k] == delimiter[-k:] for k in range(1, len(delimiter))):
        return None
    return delimiter


def _file_data(part: bytes, field: bytes) -> bytes | None:
    """The data of a file part of `field`, or None for any other part or header."""
    head, blank, data = part.partition(b"\r\n\r\n")
    if not blank:
        return None
    disposition, typed = None, False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b": ")
        name = name.lower()
        if name == b"content-disposition" and disposition is None:
            disposition = _DISPOSITION.fullmatch(value)
            if disposition is None:
                return None
        elif name == b"content-type" and not typed and _CONTENT_TYPE.fullmatch(value):
            typed = True
        else:
            return None
    if disposition is None or disposition[1] != field or disposition[2] is None:
        return None
    return data

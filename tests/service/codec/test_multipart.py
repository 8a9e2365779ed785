"""The multipart fast path against werkzeug's parser, the reference: wherever the fast
path answers, its files are werkzeug's, byte for byte and in order; the forms real
clients write take the fast path."""

import io

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser

from service.codec.multipart import files
from tests.helpers.bodies import digit_png

FIELD = "image"
MAX_PARTS = 1000  # Flask's MAX_FORM_PARTS
# Boundaries as curl, Python's requests/urllib3, browsers and werkzeug's test client write them.
BOUNDARIES = ["------------------------d74496d66958873e", "6b1c4f1d0e9b4c35a5cbb7c1e0a0e0c1",
              "----WebKitFormBoundary7MA4YWxkTrZu0gW", "---------------WerkzeugFormPart_1.2"]


def werkzeug_files(body: bytes, boundary: str, field: str) -> list[bytes] | str:
    """What request.files.getlist(field) holds, read through werkzeug's own parser, as
    Flask calls it (silent: a malformed body is an empty form); '413' beyond MAX_PARTS."""
    parser = MultiPartParser(max_form_memory_size=500_000, max_form_parts=MAX_PARTS)
    try:
        _, found = parser.parse(io.BytesIO(body), boundary.encode("ascii"), len(body))
    except RequestEntityTooLarge:
        return "413"
    except ValueError:
        return []
    return [f.read() for f in found.getlist(field)]


def build(parts, boundary: str, newline: bytes = b"\r\n", end: bytes = b"\r\n") -> bytes:
    """parts: (name, filename or None, content type or None, data)."""
    out = []
    for name, filename, content_type, data in parts:
        head = f'Content-Disposition: form-data; name="{name}"'
        head += f'; filename="{filename}"' if filename is not None else ""
        head += f"{newline.decode()}Content-Type: {content_type}" if content_type else ""
        out.append(f"--{boundary}".encode() + newline + head.encode() + newline * 2 + data
                   + newline)
    return b"".join(out) + f"--{boundary}--".encode() + end


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_what_clients_send_takes_the_fast_path(boundary):
    png = digit_png()
    parts = [(FIELD, f"{i}.png", "image/png", png[: 40 + i]) for i in range(5)]
    parts.append((FIELD, "", None, b""))  # a browser's file input left empty
    body = build(parts, boundary)
    fast = files(body, boundary, FIELD, MAX_PARTS)
    assert fast is not None
    assert fast == werkzeug_files(body, boundary, FIELD) == [p[3] for p in parts]


@pytest.mark.parametrize("body_of", [
    lambda b: b"preamble\r\n" + build([(FIELD, "a", None, b"x")], b),
    lambda b: build([(FIELD, "a", None, b"x")], b, newline=b"\n"),
    lambda b: build([(FIELD, "a", None, b"x\n--" + b.encode() + b"\nmore")], b),
    lambda b: build([(FIELD, "a", None, b"x\r\n--" + b.encode() + b"--\r\nafter")], b),
    lambda b: build([(FIELD, "a", None, b"x"), ("label", None, None, b"7")], b),
    lambda b: build([(FIELD, "a", None, b"x")], b, end=b"\r\nepilogue"),
    lambda b: build([(FIELD, "a", None, b"x")], b)[:-30],
    lambda b: build([(FIELD, "a%22b", None, b"x")], b).replace(b"a%22b", b"a\\\"b"),
])
def test_other_forms_go_to_werkzeug(body_of):
    boundary = BOUNDARIES[0]
    assert files(body_of(boundary), boundary, FIELD, MAX_PARTS) is None


def test_a_boundary_werkzeug_cannot_encode_goes_to_it():
    body = build([(FIELD, "a", None, b"x")], "?")
    assert files(body, "\u00e9", FIELD, MAX_PARTS) is None
    assert files(body, "?", FIELD, MAX_PARTS) == [b"x"]


def test_more_parts_than_allowed_go_to_werkzeug_for_its_413():
    boundary = BOUNDARIES[1]
    body = build([(FIELD, "a", None, b"x")] * (MAX_PARTS + 1), boundary)
    assert files(body, boundary, FIELD, MAX_PARTS) is None
    assert werkzeug_files(body, boundary, FIELD) == "413"


# Mostly the usual form, so that both ways are taken often.
names = st.sampled_from([FIELD] * 30 + ["img", "Image", "", "image[]", 'im"age', "im%22age"])
filenames = st.sampled_from(["a.png"] * 20 + ["", None, 'q"x', "%22"])
content_types = st.sampled_from([None, "image/png"] * 6 + ["text/plain; x=1", " "])
data = st.binary(max_size=60) | st.sampled_from([b"\r\n", b"--", b"\r\n--", b"\n\n", b"\r\r"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.tuples(names, filenames, content_types,
                                st.lists(data, max_size=4).map(b"".join)), max_size=4),
       boundary=st.sampled_from(BOUNDARIES * 3 + ["x", "ab-ab", "a b", "--"]),
       newline=st.sampled_from([b"\r\n"] * 9 + [b"\n"]),
       end=st.sampled_from([b"\r\n"] * 4 + [b"", b"  \r\n", b"\r\nafter"]),
       mangle=st.tuples(st.sampled_from([0] * 6 + [1, 2]), st.binary(max_size=3)))
def test_wherever_the_fast_path_answers_werkzeug_agrees(parts, boundary, newline, end, mangle):
    body = build(parts, boundary, newline, end)
    cut, noise = mangle
    if cut == 1:
        body = body[: len(body) // 2]
    elif cut == 2:
        at = len(body) // 3
        body = body[:at] + noise + body[at:]
    fast = files(body, boundary, FIELD, MAX_PARTS)
    event("fast path" if fast is not None else "werkzeug")  # --hypothesis-show-statistics
    if fast is not None:
        assert fast == werkzeug_files(body, boundary, FIELD)

"""ETags, one format for every resource (app/http/etags.py): a write's `"3"`, a GET's
`"3-<digest>"`, one tag per content-coding, and what If-Match and If-None-Match accept."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.http.etags import expected_version, header, matches, of_body, of_version
from app.http.problems import PreconditionFailed, PreconditionRequired

BODY = b'{"id":"A1","title":"Municipales : le second tour","version":3}'
# An entity-tag's opaque part (RFC 9110 8.8.3): no quote, no control, no space.
ETAGC = re.compile(r"[\x21\x23-\x7e]+\Z")


# of_version, of_body, header ---------------------------------------------------------------


@pytest.mark.parametrize(("version", "expected"), [(1, '"1"'), (3, '"3"'), (120, '"120"')])
def test_a_write_answers_its_version_quoted(version, expected):
    assert of_version(version) == expected


def test_the_tag_of_a_body_is_the_same_for_the_same_bytes_and_version():
    assert of_body(BODY, 3) == of_body(bytes(BODY), 3)


def test_the_tag_of_a_body_changes_with_any_byte():
    tags = {of_body(BODY, 3)}
    for i in range(len(BODY)):
        changed = bytearray(BODY)
        changed[i] ^= 0x01
        tags.add(of_body(bytes(changed), 3))

    assert len(tags) == len(BODY) + 1


def test_the_tag_of_a_body_starts_with_its_version_and_changes_with_it():
    three, four = of_body(BODY, 3), of_body(BODY, 4)

    assert three.startswith("3-") and four.startswith("4-")
    assert three.split("-", 1)[1] == four.split("-", 1)[1] == of_body(BODY)


@pytest.mark.parametrize("version", [None, "3", True, 3.0])
def test_without_an_integer_version_the_tag_is_the_digest_alone(version):
    tag = of_body(BODY, version)

    assert tag == of_body(BODY)
    assert "-" not in tag and re.fullmatch(r"[0-9a-f]+", tag)


def test_an_empty_body_has_a_tag_too():
    assert of_body(b"") != of_body(b" ")
    assert ETAGC.match(of_body(b""))


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [(None, b'"3-abc"'), ("", b'"3-abc"'), ("br", b'"3-abc-br"'), ("gzip", b'"3-abc-gzip"')],
)
def test_each_content_coding_gets_its_own_strong_tag(encoding, expected):
    assert header("3-abc", encoding) == expected


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=200), st.none() | st.integers(min_value=1, max_value=10**6))
def test_every_tag_sent_is_a_valid_strong_entity_tag(body, version):
    for encoding in (None, "br", "gzip"):
        value = header(of_body(body, version), encoding)
        assert value.startswith(b'"') and value.endswith(b'"') and not value.startswith(b"W/")
        assert ETAGC.match(value[1:-1].decode("ascii"))


# matches (If-None-Match) -------------------------------------------------------------------

TAG = of_body(BODY, 3)


@pytest.mark.parametrize("encoding", [None, "br", "gzip"])
def test_if_none_match_with_the_tag_sent_matches_whatever_the_coding(encoding):
    assert matches(header(TAG, encoding), TAG)


@pytest.mark.parametrize("sent_with", [None, "br", "gzip"])
@pytest.mark.parametrize("asked_with", [None, "br", "gzip"])
def test_the_tag_of_one_coding_validates_another_coding_of_the_same_bytes(sent_with, asked_with):
    # A client that cached the brotli copy and now asks for identity still gets its 304.
    assert matches(header(TAG, sent_with), TAG)
    assert matches(b"W/" + header(TAG, asked_with), TAG)


@pytest.mark.parametrize(
    "value",
    [
        b"*",
        b" * ",
        b"W/" + header(TAG, None),
        b'"0-000", ' + header(TAG, "br"),
        b'"0-000",' + header(TAG, None) + b',"1-111"',
        b"   " + header(TAG, "gzip") + b"   ",
    ],
)
def test_if_none_match_matches_star_weak_tags_and_lists(value):
    assert matches(value, TAG)


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b'""',
        of_body(BODY, 4).encode(),  # another version of the same bytes
        header(of_body(BODY + b" ", 3), None),  # other bytes
        header(TAG[:-1], None),  # a prefix of the tag
        header(TAG + "0", None),
        header(TAG, "deflate"),  # no such coding is ever sent
        b'"0-000", "1-111"',
    ],
)
def test_if_none_match_does_not_match_other_tags(value):
    assert not matches(value, TAG)


# expected_version (If-Match) --------------------------------------------------------------


@pytest.mark.parametrize("if_match", [None, "", "   "])
def test_a_write_without_if_match_is_a_428(if_match):
    with pytest.raises(PreconditionRequired) as caught:
        expected_version(if_match, 3)

    error = caught.value
    assert error.status == 428
    assert error.errors == [{"field": "If-Match", "message": "required"}]


@pytest.mark.parametrize(
    "if_match",
    [
        '"3"',
        ' "3" ',
        'W/"3"',
        "*",
        '"1", "3"',
        '"2",W/"3"',
        f'"{of_body(BODY, 3)}"',  # the ETag a public GET answered
        header(of_body(BODY, 3), "br").decode(),  # the ETag of its brotli copy
        header(of_body(BODY, 3), "gzip").decode(),
    ],
)
def test_if_match_naming_the_current_version_passes(if_match):
    assert expected_version(if_match, 3) == 3


@pytest.mark.parametrize(
    "if_match",
    ['"2"', 'W/"2"', '"30"', '"13"', '"03-abc"', f'"{of_body(BODY, 2)}"', '"1", "2"', f'"{of_body(BODY)}"'],
)
def test_a_stale_if_match_is_a_412_carrying_the_current_etag(if_match):
    with pytest.raises(PreconditionFailed) as caught:
        expected_version(if_match, 3)

    error = caught.value
    assert error.status == 412
    assert error.headers == {"ETag": '"3"'}
    assert if_match.strip() in error.detail and "3" in error.detail


def test_what_a_write_answers_is_what_the_next_write_takes():
    for version in (1, 2, 9, 10, 11, 100):
        assert expected_version(of_version(version), version) == version
        with pytest.raises(PreconditionFailed):
            expected_version(of_version(version), version + 1)

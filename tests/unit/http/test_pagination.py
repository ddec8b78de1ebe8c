"""The cursor codec, list cursors, the keyset condition and the page meta (app/http/pagination.py)."""

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from app.http.pagination import Keyset, Page, after_cursor, decode_cursor, encode_cursor, pack, unpack
from app.http.problems import InvalidParameter

# JSON as orjson writes it: integers within 64 bits, finite floats, any text.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=6,
)
URL_SAFE = re.compile(r"[A-Za-z0-9_-]*\Z")


# pack / unpack ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        [],
        [None],
        [True, False],
        [0, -1, 2**63 - 1, -(2**63)],
        [0.1, -2.5, 1e300],
        ["", "published_at", "Élysée", "日本語", "🎉", 'a "quote"', "back\\slash", "nul\x00"],
        [{"nested": [1, {"deeper": None}]}, []],
        ["-published_at", "2024-03-01T12:00:00+00:00", "01HZX3Q4W5E6R7T8Y9U0I1O2P3"],
    ],
)
def test_pack_then_unpack_gives_the_values_back(values):
    assert unpack(pack(values)) == values


@settings(max_examples=40, deadline=None)
@given(st.lists(JSON, max_size=4))
def test_any_json_list_survives_the_round_trip(values):
    token = pack(values)

    assert unpack(token) == values
    assert URL_SAFE.match(token), "a cursor goes in a query string as it is"
    assert "=" not in token


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a cursor",
        "%%%",
        "x",  # one base64 character is never a whole byte
        "ew",  # base64 of "{": JSON left open
        "W1siYSJd",  # base64 of '[["a"]' : JSON left open
        "ééé",  # not ASCII
    ],
)
def test_unpack_refuses_garbage_with_value_error(garbage):
    with pytest.raises(ValueError):  # any ValueError: what decode_cursor catches
        unpack(garbage)


def test_unpack_refuses_something_that_is_not_text():
    with pytest.raises(ValueError, match="not a cursor"):
        unpack(None)


def test_every_proper_prefix_of_a_token_is_refused():
    token = pack(["-published_at", "2024-03-01T12:00:00+00:00", "01HZX3Q4W5E6R7T8Y9U0I1O2P3"])

    for end in range(len(token)):
        with pytest.raises(ValueError, match="not a cursor"):
            unpack(token[:end])


# encode_cursor / decode_cursor ------------------------------------------------------------

PARIS_SUMMER = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
        datetime(2024, 7, 14, 9, 30, 15, 123456, tzinfo=PARIS_SUMMER),
        datetime(1999, 12, 31, 23, 59, 59),  # naive: stays naive
        None,  # an article with no published_at yet
    ],
)
def test_a_time_cursor_gives_back_the_time_and_the_id(value):
    token = encode_cursor("-published_at", value, "01HZX3Q4W5E6R7T8Y9U0I1O2P3")

    got, row_id = decode_cursor(token, "-published_at", is_time=True)

    assert got == value and row_id == "01HZX3Q4W5E6R7T8Y9U0I1O2P3"
    if value is not None:
        assert got.utcoffset() == value.utcoffset()


@pytest.mark.parametrize("value", ["Zoé", "", None, 42, [3, "2024-03-01T12:00:00+00:00"]])
def test_a_cursor_on_another_column_gives_back_its_value_as_it_was(value):
    token = encode_cursor("relevance", value, "row-7")

    assert decode_cursor(token, "relevance", is_time=False) == (value, "row-7")


OFFSETS = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@settings(max_examples=50, deadline=None)
@given(
    # The range every time the API takes lies in (app/http/schemas.py Instant), whatever the offset.
    st.datetimes(min_value=datetime(1, 1, 3), max_value=datetime(9999, 12, 29), timezones=st.none() | OFFSETS),
    st.text(min_size=1, max_size=30),
    st.sampled_from(["published_at", "-published_at", "updated_at", "-updated_at"]),
)
def test_any_time_cursor_round_trips(value, row_id, sort):
    got, got_id = decode_cursor(encode_cursor(sort, value, row_id), sort, is_time=True)

    assert got_id == row_id
    assert got == value
    assert got.utcoffset() == value.utcoffset()


def test_a_cursor_made_for_another_sort_is_a_400_naming_cursor_and_that_sort():
    token = encode_cursor("published_at", datetime(2024, 3, 1, tzinfo=UTC), "A1")

    with pytest.raises(InvalidParameter) as caught:
        decode_cursor(token, "-updated_at", is_time=True)

    error = caught.value
    assert error.status == 400
    assert error.errors == [{"field": "cursor", "message": "this cursor was made for sort=published_at"}]


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "",
        pack(["-published_at", "2024-03-01T12:00:00+00:00"]),  # no id
        pack(["-published_at", "2024-03-01T12:00:00+00:00", "A1", "extra"]),
        pack(["-published_at", "2024-03-01T12:00:00+00:00", 17]),  # an id is text
        pack(["-published_at", "yesterday", "A1"]),  # not a time
        pack(["-published_at", 1709294400, "A1"]),  # a number is not a time either
        pack({"sort": "-published_at"}),
        pack(None),
        encode_cursor("-published_at", datetime(2024, 3, 1, tzinfo=UTC), "A1")[:-2],  # cut short
    ],
)
def test_a_tampered_or_foreign_cursor_is_a_400_naming_cursor(token):
    with pytest.raises(InvalidParameter) as caught:
        decode_cursor(token, "-published_at", is_time=True)

    assert caught.value.status == 400
    assert caught.value.errors == [{"field": "cursor", "message": "not a cursor this API issued"}]


# after_cursor -----------------------------------------------------------------------------

ARTICLE = sa.table("article", sa.column("published_at", sa.DateTime(timezone=True)), sa.column("id", sa.String))
WHEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("descending", "operator"), [(True, "<"), (False, ">")])
def test_after_cursor_is_one_row_value_comparison(descending, operator):
    condition = after_cursor(ARTICLE.c.published_at, ARTICLE.c.id, WHEN, "A1", descending=descending)
    compiled = condition.compile()

    assert str(compiled) == f"(article.published_at, article.id) {operator} (:param_1, :param_2)"
    assert compiled.params == {"param_1": WHEN, "param_2": "A1"}
    assert " OR " not in str(compiled).upper()


def test_after_cursor_picks_exactly_the_rows_strictly_after_the_cursor_in_both_directions():
    # An in-memory SQLite, only to evaluate the row-value comparison on real rows.
    table = sa.Table("item", sa.MetaData(), sa.Column("rank", sa.Integer), sa.Column("id", sa.String))
    rows = [(rank, f"id{n}") for n, rank in enumerate([1, 2, 2, 2, 3, 5, 5])]
    engine = sa.create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"rank": r, "id": i} for r, i in rows])
        for cursor in [(2, "id2"), (5, "id5"), (1, "id0"), (0, ""), (9, "z")]:
            for descending in (False, True):
                condition = after_cursor(table.c.rank, table.c.id, cursor[0], cursor[1], descending=descending)
                got = {tuple(r) for r in conn.execute(sa.select(table.c.rank, table.c.id).where(condition))}
                expected = {r for r in rows if (r < cursor if descending else r > cursor)}
                assert got == expected, (cursor, descending)
    engine.dispose()


# Page.meta --------------------------------------------------------------------------------


def test_meta_of_a_page_with_more_after_it():
    page = Page(items=["a", "b"], limit=2, next_cursor="abc")

    assert page.meta() == {"limit": 2, "has_more": True, "next_cursor": "abc"}


def test_meta_of_the_last_page():
    assert Page(items=["a"], limit=20).meta() == {"limit": 20, "has_more": False, "next_cursor": None}


@pytest.mark.parametrize("total", [0, 1, 12345])
def test_meta_carries_the_total_when_it_was_counted_even_zero(total):
    meta = Page(items=[], limit=5, total=total).meta()

    assert meta["total"] == total
    assert set(meta) == {"limit", "has_more", "next_cursor", "total"}


# Keyset -----------------------------------------------------------------------------------


def test_keyset_refuses_a_cursor_of_another_sort_before_any_query():
    pager = Keyset(column=ARTICLE.c.id, sort="id")
    token = encode_cursor("slug", None, "a")

    with pytest.raises(InvalidParameter) as caught:
        pager.page(None, sa.select(ARTICLE.c.id), cursor=token, limit=10)

    assert caught.value.errors[0]["field"] == "cursor"


def test_keyset_refuses_a_key_its_column_cannot_take():
    pager = Keyset(column=ARTICLE.c.id, sort="id", parse=int)

    with pytest.raises(InvalidParameter) as caught:
        pager.page(None, sa.select(ARTICLE.c.id), cursor=encode_cursor("id", None, "twelve"), limit=10)

    assert caught.value.errors == [{"field": "cursor", "message": "not a cursor this API issued"}]


class _Base(DeclarativeBase):
    pass


class Thing(_Base):
    __tablename__ = "thing"
    id: Mapped[int] = mapped_column(primary_key=True)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
def test_keyset_pages_through_every_row_once_in_order(descending, limit):
    ids = [3, 5, 8, 13, 21, 34, 55]
    engine = sa.create_engine("sqlite://")  # in memory, only to run the pager's queries
    _Base.metadata.create_all(engine)
    pager = Keyset(column=Thing.id, sort="-id" if descending else "id", descending=descending, parse=int)
    seen, cursor, pages = [], None, 0
    with Session(engine) as session:
        session.add_all([Thing(id=i) for i in ids])
        session.flush()
        while True:
            rows, cursor = pager.page(session, sa.select(Thing), cursor=cursor, limit=limit)
            pages += 1
            assert len(rows) <= limit
            seen += [row.id for row in rows]
            if cursor is None:
                break
    engine.dispose()

    assert seen == sorted(ids, reverse=descending)
    assert pages == max(1, -(-len(ids) // limit))

"""Every time the API accepts lies in one range (app/http/schemas.py `Instant`): outside it, a
400 (query, cursor) or 422 (body) naming the field, never the 500 of an OverflowError."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.http.pagination import pack
from tests.support.editorial import create, desk, publish

QUERY_TIMES = ("published_after", "published_before", "updated_since")
# Past Python's years once in UTC (they made an OverflowError), and just past the range's ends.
OUTSIDE = (
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T00:00:00Z",
    "0001-01-01T23:59:59Z",
)
INSIDE = ("9999-12-30T23:59:59Z", "0001-01-02T00:00:00Z", "9999-12-31T09:59:59+14:00", "2026-12-06T12:00:00+02:00")
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def _errors_name(response, field: str) -> bool:
    return [e["field"] for e in response.json().get("errors", [])] == [field]


@pytest.mark.parametrize("value", OUTSIDE)
@pytest.mark.parametrize("name", QUERY_TIMES)
def test_a_list_time_outside_the_range_is_a_400_naming_it(client, name, value):
    response = client.get("/v1/articles", params={name: value})

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _errors_name(response, name)


@pytest.mark.parametrize("value", INSIDE)
@pytest.mark.parametrize("name", QUERY_TIMES)
def test_a_list_time_inside_the_range_is_taken(client, name, value):
    assert client.get("/v1/articles", params={name: value}).status_code == 200


@pytest.mark.parametrize("value", OUTSIDE)
def test_publishing_at_a_time_outside_the_range_is_a_422_naming_at(client, session, value):
    headers = desk(session)
    article = create(client, headers)

    response = publish(client, headers, article["id"], at=value)

    assert response.status_code == 422, response.text
    assert _errors_name(response, "at")
    assert client.get(f"/v1/articles/{article['id']}", headers=headers).json()["status"] == "draft"


def test_publishing_at_the_last_time_of_the_range_schedules(client, session):
    headers = desk(session)
    article = create(client, headers)

    response = publish(client, headers, article["id"], at="9999-12-31T09:59:59+14:00")

    assert response.status_code == 200, response.text
    assert response.json()["scheduled_at"] == "9999-12-30T19:59:59Z"


@pytest.mark.parametrize("value", OUTSIDE)
def test_an_article_published_at_a_time_outside_the_range_is_a_422(client, session, value):
    response = client.post(
        "/v1/articles",
        json={"title": "Hors du temps", "status": "published", "published_at": value},
        headers=desk(session),
    )

    assert response.status_code == 422, response.text
    assert _errors_name(response, "published_at")


@pytest.mark.parametrize("sort", ["-published_at", "updated_at"])
def test_a_cursor_holding_a_time_outside_the_range_is_a_400_naming_cursor(client, sort):
    forged = pack([sort, "9999-12-31T23:59:59-14:00", "0" * 26])

    response = client.get("/v1/articles", params={"sort": sort, "cursor": forged})

    assert response.status_code == 400, response.text
    assert _errors_name(response, "cursor")


def test_a_relevance_cursor_holding_a_time_outside_the_range_is_a_400(client):
    forged = pack(["relevance", [1, "0001-01-01T00:00:00+01:00"], "0" * 26])

    response = client.get("/v1/articles", params={"q": "syrie", "cursor": forged})

    assert response.status_code == 400, response.text
    assert _errors_name(response, "cursor")


# Any time Python can write down, with any offset an ISO 8601 time may carry: the strategy that
# would have found the OverflowError, as schemathesis' date-time strings rarely reach the ends.
OFFSETS = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)).map(
    lambda delta: timezone(timedelta(minutes=delta // timedelta(minutes=1)))
)
TIMES = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=OFFSETS)


def _inside(value: datetime) -> bool:
    try:
        return EARLIEST <= value.astimezone(UTC) < LATEST
    except OverflowError:
        return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(QUERY_TIMES), value=TIMES)
@example(name="published_after", value=datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14))))
@example(name="updated_since", value=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
def test_any_time_is_taken_or_refused_by_the_range_never_a_500(client, name, value):
    response = client.get("/v1/articles", params={name: value.isoformat()})

    if _inside(value):
        assert response.status_code == 200, (value, response.text)
    else:
        assert response.status_code == 400, (value, response.text)
        assert _errors_name(response, name)

"""Errors as the API reports them (app/http/problems.py): field names from pydantic locations,
field errors from query parameters, bodies and merged documents, and RFC 9457 problem+json."""

import asyncio
from typing import Annotated, Any

import httpx
import orjson
import pytest
from fastapi import Body, FastAPI, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.articles.schemas import BLOCK_TYPES, ArticleCreate
from app.http import problems
from app.http.problems import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    field_errors,
    field_path,
    problem_response,
    render,
    summary,
)

TYPE_BASE = "https://gazette.dev/problems/"  # as docs/API.md promises


@pytest.fixture
def block_tags(monkeypatch):
    """The body blocks' `type` tags registered, as app.wiring.install() does; restored after."""
    monkeypatch.setattr(problems, "UNION_TAGS", set(BLOCK_TYPES))


def _errors(document: dict) -> list[dict]:
    """What pydantic says of an article document validated on its own (locations unprefixed)."""
    with pytest.raises(ValidationError) as caught:
        ArticleCreate.model_validate(document)
    return caught.value.errors()


def _by_field(found: list[dict[str, str]]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in found}


# field_path -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        ((), ""),
        (("title",), "title"),
        (("tags", 2), "tags[2]"),
        (("quotes", 0, "text"), "quotes[0].text"),
        (("a", 0, 1, "b"), "a[0][1].b"),
        (("quotes", 0, "speaker", "constrained-str"), "quotes[0].speaker"),
        (("quotes", 0, "speaker", "NamedRef", "name"), "quotes[0].speaker.name"),
        (("published_at", "function-after[_utc(), datetime]"), "published_at"),
        (("x", "tagged-union[A,B]", "y"), "x.y"),
        (("x", "lax-or-strict[lax=union[int,str],strict=int]"), "x"),
        (("x", "json-or-python[json=int,python=int]"), "x"),
        (("x", "union[int,str]"), "x"),
        (("x", "str"), "x"),
        (("x", "int"), "x"),
    ],
)
def test_field_path_names_fields_as_the_body_spells_them(loc, expected):
    assert field_path(loc) == expected


@pytest.mark.usefixtures("block_tags")
@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("body", 3, "paragraph", "text"), "body[3].text"),
        (("body", 0, "heading", "level"), "body[0].level"),
        (("body", 0, "list", "items", 7), "body[0].items[7]"),
        # A block whose field is named like its tag: the tag goes, the field stays.
        (("body", 0, "quote", "quote"), "body[0].quote"),
        (("body", 0, "html", "html"), "body[0].html"),
        # A tag-like name that is not between an index and a field is a field.
        (("image", "url"), "image.url"),
        (("body", 0, "paragraph", "image"), "body[0].image"),
        (("body", 0, "image"), "body[0].image"),
    ],
)
def test_the_tag_of_a_body_block_names_no_field(loc, expected):
    assert field_path(loc) == expected


def test_an_unregistered_tag_is_taken_for_a_field(monkeypatch):
    monkeypatch.setattr(problems, "UNION_TAGS", set())

    assert field_path(("body", 3, "paragraph", "text")) == "body[3].paragraph.text"


@pytest.mark.usefixtures("block_tags")
def test_field_path_of_real_pydantic_errors_on_an_article():
    errors = _errors(
        {
            "title": "x",
            "body": [{"type": "paragraph", "text": "ok"}, {"type": "heading", "text": "t", "level": 9}],
            "quotes": [{"text": "q", "speaker": {"nam": "Zoé"}}],
            "image": {"url": "ftp://example.org/x.jpg"},
        }
    )

    assert {field_path(e["loc"]) for e in errors} == {
        "body[1].level",
        "quotes[0].speaker",
        "quotes[0].speaker.name",
        "quotes[0].speaker.nam",
        "image.url",
    }


# field_errors -----------------------------------------------------------------------------


@pytest.mark.usefixtures("block_tags")
def test_a_document_validated_on_its_own_keeps_its_own_body_field():
    errors = _errors({"title": "x", "body": [{"type": "heading", "text": "t", "level": 9}], "bogus": 1})

    found = field_errors(errors, in_body=True, located=False)

    assert _by_field(found) == {
        "body[0].level": "Input should be less than or equal to 4",
        "bogus": "unknown field",
    }


@pytest.mark.usefixtures("block_tags")
def test_a_located_error_loses_only_fastapis_location():
    # FastAPI puts "body" (or "query", ...) before the model's own location.
    errors = [{**e, "loc": ("body", *e["loc"])} for e in _errors({"title": "", "body": [{"type": "paragraph"}]})]

    found = field_errors(errors, in_body=True)

    assert [e["field"] for e in found] == ["title", "body[0].text"]
    assert found[1]["message"] == "Field required"


@pytest.mark.usefixtures("block_tags")
def test_located_false_is_what_keeps_a_leading_body_field():
    errors = _errors({"title": "x", "body": [{"type": "heading", "text": "t", "level": 9}]})

    assert field_errors(errors, in_body=True, located=False)[0]["field"] == "body[0].level"
    assert field_errors(errors, in_body=True, located=True)[0]["field"] == "[0].level"


@pytest.mark.parametrize(("in_body", "message"), [(True, "unknown field"), (False, "unknown parameter")])
def test_an_unknown_name_is_an_unknown_field_in_a_body_and_an_unknown_parameter_in_a_query(in_body, message):
    where = "body" if in_body else "query"
    error = {"type": "extra_forbidden", "loc": (where, "colour"), "msg": "Extra inputs are not permitted"}

    assert field_errors([error], in_body=in_body) == [{"field": "colour", "message": message}]


@pytest.mark.parametrize(
    ("error", "in_body", "expected"),
    [
        ({"type": "missing", "loc": ("body",), "msg": "Field required"}, True, "body"),
        ({"type": "missing", "loc": ("query", "limit"), "msg": "Field required"}, False, "limit"),
        ({"type": "int_parsing", "loc": ("path", "version"), "msg": "bad"}, False, "version"),
        ({"type": "missing", "loc": ("header", "x-request-id"), "msg": "Field required"}, False, "x-request-id"),
        ({"type": "value_error", "msg": "bad"}, True, "body"),
        ({"type": "value_error", "msg": "bad"}, False, "request"),
        ({"type": "value_error", "loc": (), "msg": "bad"}, False, "request"),
    ],
)
def test_the_field_of_an_error_without_a_field_of_its_own(error, in_body, expected):
    assert field_errors([error], in_body=in_body)[0]["field"] == expected


def test_an_error_without_a_message_says_invalid():
    assert field_errors([{"loc": ("query", "limit")}], in_body=False) == [{"field": "limit", "message": "invalid"}]


def test_every_error_is_kept_in_order():
    errors = [{"loc": ("query", name), "msg": f"bad {name}"} for name in ("limit", "sort", "cursor", "q")]

    found = field_errors(errors, in_body=False)

    assert [e["field"] for e in found] == ["limit", "sort", "cursor", "q"]
    assert [e["message"] for e in found] == ["bad limit", "bad sort", "bad cursor", "bad q"]


# field_errors on what FastAPI really raises --------------------------------------------------


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(20, ge=1, le=100)


def _app() -> FastAPI:
    app = FastAPI()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, exc):
        items = exc.errors()
        in_body = any(e.get("loc", ("",))[0] == "body" for e in items)
        found = field_errors(items, in_body=in_body)
        return problem_response(422, "Validation failed", summary(found), errors=found, instance=request.url.path)

    @app.get("/things")
    def things(params: Annotated[_Params, Query()]):
        return {}

    @app.post("/articles")
    def create(article: Annotated[ArticleCreate, Body()]):
        return {}

    return app


def _errors_of(method: str, path: str, **kwargs: Any) -> list[dict[str, str]]:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, **kwargs)

    response = asyncio.run(call())
    assert response.status_code == 422
    return response.json()["errors"]


@pytest.mark.usefixtures("block_tags")
def test_fastapi_errors_on_a_request_body_are_named_as_the_body_spells_them():
    document = {"title": "x", "body": [{"type": "list", "items": ["a", 3]}], "colour": "red"}

    errors = _errors_of("POST", "/articles", json=document)

    assert _by_field(errors) == {"body[0].items[1]": "Input should be a valid string", "colour": "unknown field"}


def test_malformed_json_names_the_body_not_a_list_index():
    errors = _errors_of("POST", "/articles", content=b'{"title": ', headers={"Content-Type": "application/json"})

    assert errors == [{"field": "body", "message": "JSON decode error"}]


def test_fastapi_errors_on_query_parameters_name_the_parameter():
    errors = _errors_of("GET", "/things", params={"limit": "0", "colour": "red"})

    assert _by_field(errors) == {"limit": "Input should be greater than or equal to 1", "colour": "unknown parameter"}


# problem_response and render ---------------------------------------------------------------


def test_a_problem_is_rfc_9457_json_with_its_own_media_type():
    errors = [{"field": "limit", "message": "too big"}]
    response = problem_response(400, "Invalid parameter", "limit: too big", errors=errors, instance="/v1/articles")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["cache-control"] == "no-store"
    assert orjson.loads(response.body) == {
        "type": TYPE_BASE + "invalid-parameter",
        "title": "Invalid parameter",
        "status": 400,
        "detail": "limit: too big",
        "instance": "/v1/articles",
        "errors": errors,
    }


def test_a_problem_without_instance_or_errors_leaves_them_out():
    body = orjson.loads(problem_response(503, "Service unavailable", "The database does not answer.").body)

    assert set(body) == {"type", "title", "status", "detail"}
    assert problem_response(404, "Not found", "x", errors=[]).body == orjson.dumps(
        {"type": TYPE_BASE + "not-found", "title": "Not found", "status": 404, "detail": "x"}
    )


@pytest.mark.parametrize(
    ("title", "slug", "expected"),
    [
        ("Malformed JSON", None, "malformed-json"),
        ("Method not allowed", None, "method-not-allowed"),
        ("Error", None, "error"),
        ("Malformed JSON", "bad-request", "bad-request"),
    ],
)
def test_the_type_uri_is_the_slug_or_the_title_made_one(title, slug, expected):
    body = orjson.loads(problem_response(400, title, "d", slug=slug).body)

    assert body["type"] == TYPE_BASE + expected


def test_headers_are_added_and_may_replace_cache_control():
    response = problem_response(
        404, "Not found", "d", headers={"Cache-Control": "public, max-age=10", "Retry-After": "1"}
    )

    assert response.headers["cache-control"] == "public, max-age=10"
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("error_class", "status"),
    [
        (BadRequest, 400),
        (Unauthorized, 401),
        (Forbidden, 403),
        (NotFound, 404),
        (MethodNotAllowed, 405),
        (Conflict, 409),
        (PreconditionFailed, 412),
        (PayloadTooLarge, 413),
        (UnsupportedMediaType, 415),
        (ValidationFailed, 422),
        (PreconditionRequired, 428),
        (TooManyRequests, 429),
        (ServiceUnavailable, 503),
    ],
)
def test_each_error_renders_with_its_status_title_and_type(error_class, status):
    response = render(error_class("Something is off."), instance="/v1/x")
    body = orjson.loads(response.body)

    assert response.status_code == body["status"] == status
    assert body["title"] == error_class.title
    assert body["type"] == TYPE_BASE + body["title"].lower().replace(" ", "-")
    assert body["detail"] == "Something is off." and body["instance"] == "/v1/x"
    assert "errors" not in body


def test_an_invalid_parameter_names_its_field_in_detail_and_errors():
    body = orjson.loads(render(InvalidParameter("cursor", "not a cursor this API issued")).body)

    assert body["status"] == 400 and body["type"] == TYPE_BASE + "invalid-parameter"
    assert body["detail"] == "cursor: not a cursor this API issued"
    assert body["errors"] == [{"field": "cursor", "message": "not a cursor this API issued"}]


def test_an_errors_headers_reach_the_response():
    error = PreconditionFailed("stale", headers={"ETag": '"4"'})

    assert render(error).headers["etag"] == '"4"'
    assert isinstance(error, AppError) and error.headers == {"ETag": '"4"'}


def test_summary_names_the_first_five_errors():
    errors = [{"field": f"f{n}", "message": f"m{n}"} for n in range(7)]

    assert summary(errors) == "f0: m0; f1: m1; f2: m2; f3: m3; f4: m4"
    assert summary([]) == ""

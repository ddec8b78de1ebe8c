"""HTTP caching of public GETs: validators, 304s, Cache-Control, Vary, Surrogate-Key, compression."""

import gzip
import math
import time

import brotli

from tests.support.editorial import desk
from tests.support.factories import make_article, make_person, make_source

PAST = "Thu, 01 Jan 2015 00:00:00 GMT"
FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"
LONG_BODY = [{"type": "paragraph", "text": "Un long paragraphe sur la Syrie. " * 60}]


def _raw(client, path: str, accept_encoding: str) -> tuple[dict, bytes]:
    """Headers and the body as sent (httpx would otherwise decode it)."""
    with client.stream("GET", path, headers={"Accept-Encoding": accept_encoding}) as response:
        return response.headers, b"".join(response.iter_raw())


def test_public_get_carries_strong_etag_last_modified_and_cache_control(client, session):
    article = make_article(session)

    response = client.get(f"/v1/articles/{article.id}")

    assert response.status_code == 200
    assert response.headers["etag"].startswith(f'"{article.version}-') and not response.headers["etag"].startswith("W/")
    assert response.headers["last-modified"].endswith(" GMT")
    assert response.headers["cache-control"] == ("public, max-age=60, stale-while-revalidate=30, stale-if-error=86400")


def test_vary_names_accept_encoding_and_authorization(client, session):
    article = make_article(session)

    vary = {v.strip().lower() for v in client.get(f"/v1/articles/{article.id}").headers["vary"].split(",")}

    assert {"accept-encoding", "authorization"} <= vary


def test_lists_carry_validators_too(client, session):
    make_article(session)

    response = client.get("/v1/articles")

    assert response.headers["etag"] and response.headers["last-modified"]
    assert response.headers["cache-control"].startswith("public, max-age=60")


def test_surrogate_key_names_the_article_and_what_it_shows(client, session):
    article = make_article(session, quotes=[{"text": "Nous parlons.", "speaker": {"name": "John Kerry"}}])

    keys = client.get(f"/v1/articles/{article.id}").headers["surrogate-key"].split()

    assert f"article:{article.id}" in keys and "person:john-kerry" in keys
    assert "articles" not in keys  # one article is not a list: a write elsewhere leaves it alone


def test_surrogate_key_of_a_list_names_the_list_and_each_article(client, session):
    first, second = make_article(session), make_article(session)

    keys = client.get("/v1/articles").headers["surrogate-key"].split()

    assert {"articles", f"article:{first.id}", f"article:{second.id}"} <= set(keys)


def test_matching_if_none_match_gives_304_without_a_body(client, session):
    article = make_article(session)
    etag = client.get(f"/v1/articles/{article.id}").headers["etag"]

    response = client.get(f"/v1/articles/{article.id}", headers={"If-None-Match": etag})

    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag and "cache-control" in response.headers


def test_other_if_none_match_gives_the_whole_response(client, session):
    article = make_article(session)

    response = client.get(f"/v1/articles/{article.id}", headers={"If-None-Match": '"1-0000", W/"2"'})

    assert response.status_code == 200 and response.json()["id"] == article.id


def test_if_modified_since_the_last_modified_gives_304(client, session):
    article = make_article(session)
    client.get(f"/v1/articles/{article.id}")
    time.sleep(1.1)  # HTTP dates have whole seconds: a Last-Modified validates once its second is over
    last_modified = client.get(f"/v1/articles/{article.id}").headers["last-modified"]

    response = client.get(f"/v1/articles/{article.id}", headers={"If-Modified-Since": last_modified})

    assert response.status_code == 304 and response.content == b""


def test_if_modified_since_before_the_last_change_gives_200(client, session):
    article = make_article(session)

    response = client.get(f"/v1/articles/{article.id}", headers={"If-Modified-Since": PAST})

    assert response.status_code == 200


def test_if_none_match_wins_over_if_modified_since(client, session):
    article = make_article(session)

    response = client.get(
        f"/v1/articles/{article.id}", headers={"If-None-Match": '"stale"', "If-Modified-Since": FUTURE}
    )

    assert response.status_code == 200


def test_gzip_when_asked(client, session):
    article = make_article(session, body=LONG_BODY)
    plain_headers, plain = _raw(client, f"/v1/articles/{article.id}", "identity")

    headers, body = _raw(client, f"/v1/articles/{article.id}", "gzip")

    assert headers["content-encoding"] == "gzip" and "content-encoding" not in plain_headers
    assert gzip.decompress(body) == plain and len(body) < len(plain)
    assert headers["etag"] != plain_headers["etag"]  # each coding is its own representation


def test_brotli_is_preferred_when_both_are_accepted(client, session):
    article = make_article(session, body=LONG_BODY)
    _, plain = _raw(client, f"/v1/articles/{article.id}", "identity")

    headers, body = _raw(client, f"/v1/articles/{article.id}", "gzip, deflate, br")

    assert headers["content-encoding"] == "br" and brotli.decompress(body) == plain


def test_the_etag_of_a_compressed_copy_validates(client, session):
    article = make_article(session, body=LONG_BODY)
    etag = client.get(f"/v1/articles/{article.id}", headers={"Accept-Encoding": "br"}).headers["etag"]

    response = client.get(f"/v1/articles/{article.id}", headers={"Accept-Encoding": "br", "If-None-Match": etag})

    assert response.status_code == 304


def test_small_bodies_go_uncompressed(client, session):
    make_article(session)

    response = client.get("/v1/articles", params={"fields": "id"}, headers={"Accept-Encoding": "gzip, br"})

    assert "content-encoding" not in response.headers


def test_head_gives_the_headers_of_get_without_a_body(client, session):
    article = make_article(session)
    got = client.get(f"/v1/articles/{article.id}")

    response = client.head(f"/v1/articles/{article.id}")

    assert response.status_code == 200 and response.content == b""
    assert response.headers["etag"] == got.headers["etag"]
    assert response.headers["content-length"] == str(len(got.content))


def test_a_reader_with_a_key_gets_a_private_answer(client, session):
    article = make_article(session)
    headers = desk(session, "content:read")
    client.get(f"/v1/articles/{article.id}")

    response = client.get(f"/v1/articles/{article.id}", headers=headers)

    assert response.headers["cache-control"] == "private, no-store"
    assert "gazette-cache" not in response.headers and "surrogate-key" not in response.headers


def test_a_missing_article_is_kept_only_briefly(client, session):
    response = client.get("/v1/articles/01nothinghere0000000000000")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["cache-control"] == "public, max-age=10"
    assert "article:01nothinghere0000000000000" in response.headers["surrogate-key"].split()


def test_bad_parameters_are_never_cached(client, session):
    response = client.get("/v1/articles", params={"limit": 500})

    assert response.status_code == 400 and response.headers["cache-control"] == "no-store"


def test_metrics_and_health_are_not_cached(client, session):
    for path in ("/metrics", "/healthz", "/readyz"):
        client.get(path)
        response = client.get(path)

        assert response.headers["cache-control"] == "no-store" and "gazette-cache" not in response.headers


def test_an_article_answered_below_the_router_is_the_routes_answer_byte_for_byte(client, session):
    make_person(session, "john-kerry")
    make_source(session, "reuters", kind="photo_agency")
    article = make_article(
        session,
        kicker="Diplomatie",
        quotes=[{"text": "Nous parlons.", "speaker": "john-kerry"}],
        attributions=[{"source": "reuters", "role": "read_on", "label": "Lu sur Reuters"}],
        image={"url": "https://img.example/1.jpg", "credit": "©Reuters", "credit_source": "reuters"},
    )
    # Last-Modified names the second before the last write until that second has passed.
    time.sleep(math.ceil(time.time()) - time.time() + 0.02)
    for url in (f"/v1/articles/{article.id}", f"/v1/articles/slug/{article.slug}"):
        direct = client.get(url)  # no key, no query: the direct route (app/articles/fast_path.py)
        routed = client.get(url, params={"format": "json"})  # a query: FastAPI's route
        head = client.head(url)

        assert direct.status_code == routed.status_code == head.status_code == 200
        assert direct.content == routed.content and direct.json()["quotes"][0]["speaker"]["slug"] == "john-kerry"
        for name in ("content-type", "etag", "last-modified", "cache-control", "vary", "surrogate-key"):
            assert direct.headers[name] == routed.headers[name] == head.headers[name], (url, name)
        assert head.content == b""


def test_an_article_the_direct_route_cannot_show_is_the_routes_problem(client, session):
    draft = make_article(session, status="draft")

    for url in (
        f"/v1/articles/{draft.id}",
        f"/v1/articles/slug/{draft.slug}",
        "/v1/articles/nope",
        "/v1/articles/slug",
        "/v1/articles/slug/nope",
    ):
        response = client.get(url)

        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404

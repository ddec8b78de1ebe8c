"""The hottest public read, answered below FastAPI: GET /v1/articles/{id}, anonymous, no query.

It is what every front end asks for most. When the response cache does not hold it (or is
off), the cache middleware asks here before it asks the app: the article then costs its
queries and its serialisation, and no routing, dependency injection or parameter
validation (a third of a cold read, measured in bench/). It answers with the very bytes
the route would send, from the same services. Whatever it does not answer itself, an
article that is not public or a failure, goes on to the route, which answers it as usual
(404, 503 …) with its error handling.
"""

import re

import orjson
from sqlmodel import Session

from app.db import get_read_engine
from app.errors import NotFound
from app.services import articles

ARTICLE = re.compile(r"/v1/articles/([^/]+)")
ROUTE = "/v1/articles/{article_id}"


def match(path: str, query_string: bytes) -> str | None:
    """The article id when this request is one the direct route answers."""
    if query_string:
        return None
    found = ARTICLE.fullmatch(path)
    return found.group(1) if found else None


def render(article_id: str) -> bytes | None:
    """The article's public JSON, as GET /v1/articles/{id} sends it; None when not public.
    Blocking: run it in the threadpool."""
    with Session(get_read_engine()) as session:
        try:
            article = articles.get(session, article_id)
        except NotFound:
            return None
        return orjson.dumps(articles.represent(session, article))

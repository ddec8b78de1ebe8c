"""A list page with what the response cache needs of it, and the public lists answered
below the router (app.main installs them beside the single article's direct route).

What a list page costs the cache: its surrogate keys, newest `updated_at` and earliest
expiry (app/cache/surrogates.py). The middleware used to find them by parsing the page it
had just been sent and walking every item: 1.45 ms of a 20-item page of articles under
cProfile, more than the page's queries (bench/README.md). Here the page is assembled from
each item's own bytes (set in with orjson.Fragment: the page is byte for byte what
serialising the items in place gives), each item is walked once per distinct bytes and
remembered (`surrogates.item_facts`), and the facts are handed to the middleware with the
response (`hand`), which then parses nothing.

`DirectList` answers an anonymous read of a list with the very function its route calls,
without FastAPI's routing, dependency injection and parameter binding, and with one hop to
the threadpool instead of three, or none: on SQLite, a page its list calls bounded (`inline`:
a catalogue page by its key, or quotes walked from one index, nothing searched or counted)
is read right on the event loop, as the cold article is (app/articles/fast_path.py), since
a hop costs more than the page's reads from a local file (bench/README.md, "Lists on the
event loop, filtered pages prepared"). Whatever it
is not sure to answer as the route would (a repeated or unknown parameter, a value the
route's model refuses, an error the service raises) goes on to the route, which answers it
as usual.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

import orjson
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import URL
from starlette.responses import Response
from starlette.types import Scope

from app.cache.middleware import HANDED, NOT_TRIED, TO_ROUTE, Direct, Handed, NotTried, ToRoute
from app.cache.surrogates import page_facts
from app.http.pagination import Page
from app.http.problems import AppError
from app.http.responses import page_response
from app.store.engine import get_read_engine


@dataclass(frozen=True, slots=True)
class Listed:
    """A list page's body and what the response cache needs of it (the `Answer` of
    app/cache/middleware.py): keys of the items (the list's own, from its path and query,
    the middleware adds), their newest `updated_at`, their earliest expiry."""

    body: bytes
    keys: frozenset[str]
    newest: str | None
    expires: str | None
    version: None = None
    keys_text: str = ""
    raw_headers: list[tuple[bytes, bytes]] = field(default_factory=list)  # as the route sends them


Item = dict[str, Any] | bytes  # an item, or its JSON already serialised (a stored document's)


def respond(
    scope: Scope | None,
    kind: str,
    items: Sequence[Item],
    envelope: Callable[[list[orjson.Fragment]], Response],
) -> Response:
    """The response `envelope` makes of the items (serialised each on its own, set in as
    they are), with its facts handed to the cache when `scope` is a request's the cache sees."""
    parts = [item if isinstance(item, bytes) else orjson.dumps(item) for item in items]
    response = envelope([orjson.Fragment(part) for part in parts])
    hand(scope, _listed(kind, parts, response))
    return response


def page(scope: Scope | None, kind: str, items: Sequence[Item], page: Page, url: URL) -> Response:
    """`respond` with the one list envelope and its Link header (http.responses.page_response)."""
    return respond(scope, kind, items, lambda fragments: page_response(fragments, page, url))


def hand(scope: Scope | None, known: "Listed") -> None:
    slot = scope.get(HANDED) if scope is not None else None
    if slot is not None:
        slot.known = known


def _listed(kind: str, parts: list[bytes], response: Response) -> Listed:
    keys, newest, expires = page_facts(kind, parts)
    body = response.body if isinstance(response.body, bytes) else bytes(response.body)
    return Listed(body, keys, newest, expires, raw_headers=response.raw_headers)


P = TypeVar("P", bound=BaseModel)
# What a list's route answers an anonymous reader: (session, params, url, scope) → a Response
# made by `respond` or `page`, with its facts handed through `scope`.
Answer = Callable[[Session, P, URL, Scope], Response]


class DirectList(Direct, Generic[P]):
    """The Direct of app/cache/middleware.py for one public list: `path` as served, the
    route's query model, and what the route answers (`Answer`), the same function."""

    def __init__(
        self, path: str, params: type[P], answer: Answer[P], *, inline: Callable[[P], bool] | None = None
    ) -> None:
        super().__init__(self._match, self._route, self._render, first=self._first if inline is not None else None)
        self.path, self.params, self.answer, self.inline = path, params, answer, inline
        # What the route reads of the query: any other name goes to the route (a 400, or ignored).
        self.names = frozenset(info.alias or name for name, info in params.model_fields.items())

    def _match(self, scope: Scope) -> tuple[P, URL] | None:
        if scope["path"] != self.path:
            return None
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        given = dict(pairs)
        # Repeated, unknown or blank parameters: the route's own binding decides (and may refuse).
        if len(given) != len(pairs) or not self.names.issuperset(given) or not all(given.values()):
            return None
        try:
            params = self.params.model_validate(given)
        except ValidationError:
            return None
        return params, URL(scope=scope)

    def _route(self, _: Any) -> str:
        return self.path

    async def _first(self, argument: tuple[P, URL]) -> Listed | NotTried | ToRoute:
        """On SQLite, a page `inline` calls bounded, read here on the event loop (no hop to the
        threadpool); any other, or on PostgreSQL (its reads wait on the network): NOT_TRIED,
        and `_render` reads it in the threadpool."""
        if self.inline is None or not self.inline(argument[0]) or get_read_engine().dialect.name != "sqlite":
            return NOT_TRIED
        answered = self._render(argument)
        return TO_ROUTE if answered is None else answered

    def _render(self, argument: tuple[P, URL], look: bool = True) -> Listed | None:
        """Blocking: in the threadpool. None when the route must answer (the service refused
        the query: the route answers its problem+json)."""
        params, url = argument
        slot = Handed()
        with Session(get_read_engine()) as session:
            try:
                self.answer(session, params, url, {HANDED: slot})
            except AppError:
                return None
        if slot.known is None:
            raise LookupError(f"{self.path}: its answer was not made by app.cache.lists.respond")
        return slot.known

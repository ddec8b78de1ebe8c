"""The Gazette API as this site reads it: public GETs over HTTP, nothing else.

Each page opens one `Reader`, which counts the requests it sends: the page reports the count
in its `X-Api-Requests` header, so what a page costs the API is measured, not guessed.
"""

from dataclasses import dataclass, field
from typing import Any

import httpx


class NotFound(Exception):
    """The API answered 404 or 410: the page does not exist (any more)."""


@dataclass
class Moved(Exception):
    """The API answered 301 for an old slug: the article lives under `slug` now."""

    slug: str


@dataclass
class Refused(Exception):
    """The API refused the request (a 400): `detail` says why, `field` names the parameter."""

    detail: str
    field: str | None = None


@dataclass
class Reader:
    client: httpx.AsyncClient
    requests: list[str] = field(default_factory=list)

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        params = {name: value for name, value in params.items() if value is not None}
        self.requests.append(path)
        answer = await self.client.get(path, params=params)
        if answer.status_code in (404, 410):
            raise NotFound(path)
        if answer.status_code == 301:
            raise Moved(answer.headers["location"].rsplit("/", 1)[-1].split("?", 1)[0])
        if answer.status_code == 400:
            problem = answer.json()
            errors = problem.get("errors") or [{}]
            raise Refused(problem.get("detail") or problem.get("title", "bad request"), errors[0].get("field"))
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found

    async def menu(self) -> list[dict[str, Any]]:
        """The category tree, in menu order: one request for the whole menu."""
        tree: list[dict[str, Any]] = (await self.get("/v1/categories", tree="true"))["data"]
        return tree

    async def article(self, slug: str) -> dict[str, Any]:
        """One article, whole: body, quotes (speaker and role), attributions, image, comments."""
        return await self.get(f"/v1/articles/slug/{slug}")

    async def jsonld(self, slug: str) -> dict[str, Any]:
        """The same article as schema.org NewsArticle, for the page's head."""
        return await self.get(f"/v1/articles/slug/{slug}", format="jsonld")

    async def articles(self, **params: Any) -> dict[str, Any]:
        """A page of articles: `{"data": [...], "meta": {"next_cursor", "has_more", …}}`."""
        return await self.get("/v1/articles", **params)


def find_path(tree: list[dict[str, Any]], slug: str) -> list[dict[str, Any]]:
    """The categories from the top of the menu down to `slug` (the breadcrumb); empty when absent."""
    for node in tree:
        if node["slug"] == slug:
            return [node]
        below = find_path(node.get("children", []), slug)
        if below:
            return [node, *below]
    return []

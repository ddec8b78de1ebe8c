"""Reading server-sent events as a client does: blocks of `field: value` lines, a blank line
ending each; lines starting with `:` are comments (heartbeats)."""

from collections.abc import AsyncIterator, Iterator

import orjson


class Parser:
    """Fed one line at a time; says what each line completes: an event, a comment, or nothing."""

    def __init__(self) -> None:
        self.event: dict = {}

    def feed(self, line: str) -> dict | None:
        if line.startswith(":"):
            return {"comment": line[1:].strip()}
        if line:
            name, _, value = line.partition(":")
            self.event[name] = value.removeprefix(" ")
            return None
        event, self.event = self.event, {}
        if "data" in event:
            event["data"] = orjson.loads(event["data"])
        return event or None


def events(response) -> Iterator[dict]:
    """The events (and comments) of a streaming httpx response, as they come."""
    parser = Parser()
    for line in response.iter_lines():
        if (event := parser.feed(line)) is not None:
            yield event


async def aevents(response) -> AsyncIterator[dict]:
    """The same, from an httpx.AsyncClient's streaming response."""
    parser = Parser()
    async for line in response.aiter_lines():
        if (event := parser.feed(line)) is not None:
            yield event

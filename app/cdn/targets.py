"""What a purge looks like to each CDN: one request per batch of surrogate keys, or one that
purges everything. Each follows its vendor's documented purge-by-tag API (docs/caching.md
names the pages); all of them are external services but Varnish, whose VCL ships in deploy/.
"""

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from app.cache.surrogates import AKAMAI_ALL_TAG, akamai_tag
from app.settings import Settings

EVERYTHING = "*"


@dataclass
class Request:
    """One HTTP request to the CDN's API."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Target:
    """A CDN: `requests(keys)` for a batch of at most `batch` keys, `everything()` for a purge of all."""

    name = "?"
    batch = 100

    def requests(self, keys: list[str]) -> list[Request]:
        raise NotImplementedError

    def everything(self) -> list[Request]:
        raise NotImplementedError

    def sign(self, request: Request) -> Request:
        return request


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


class Varnish(Target):
    """`PURGE /` with `xkey-purge: key key …` (varnish-modules' xkey, deploy/varnish/gazette.vcl);
    `xkey-purge: *` bans everything. The header stays well under Varnish's 8 KB per header."""

    name = "varnish"
    batch = 200
    HEADER_BYTES = 6_000

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/"

    def requests(self, keys: list[str]) -> list[Request]:
        out: list[Request] = []
        current: list[str] = []
        for key in keys:
            if current and sum(len(k) + 1 for k in current) + len(key) > self.HEADER_BYTES:
                out.append(Request("PURGE", self.url, {"xkey-purge": " ".join(current)}))
                current = []
            current.append(key)
        if current:
            out.append(Request("PURGE", self.url, {"xkey-purge": " ".join(current)}))
        return out

    def everything(self) -> list[Request]:
        return [Request("PURGE", self.url, {"xkey-purge": EVERYTHING})]


class Fastly(Target):
    """`POST /service/{id}/purge` with `Surrogate-Key: k1 k2 …` (at most 256 keys) and
    `Fastly-Key`; `POST /service/{id}/purge_all` for everything."""

    name = "fastly"
    batch = 256

    def __init__(self, url: str, service: str, token: str, soft: bool = False) -> None:
        self.base, self.service, self.token, self.soft = url.rstrip("/"), service, token, soft

    def _headers(self) -> dict[str, str]:
        headers = {"Fastly-Key": self.token, "Accept": "application/json"}
        if self.soft:
            headers["Fastly-Soft-Purge"] = "1"
        return headers

    def requests(self, keys: list[str]) -> list[Request]:
        url = f"{self.base}/service/{self.service}/purge"
        return [Request("POST", url, {**self._headers(), "Surrogate-Key": " ".join(keys)})]

    def everything(self) -> list[Request]:
        headers = {"Fastly-Key": self.token, "Accept": "application/json"}  # purge_all is never soft
        return [Request("POST", f"{self.base}/service/{self.service}/purge_all", headers)]


class Cloudflare(Target):
    """`POST /client/v4/zones/{zone}/purge_cache` with `{"tags": [...]}` (at most 100 a call)
    and a bearer API token; `{"purge_everything": true}` for everything. The origin's
    Surrogate-Key is copied to `Cache-Tag` (docs/caching.md)."""

    name = "cloudflare"
    batch = 100

    def __init__(self, url: str, zone: str, token: str) -> None:
        self.url = f"{url.rstrip('/')}/client/v4/zones/{zone}/purge_cache"
        self.token = token

    def _request(self, body: dict[str, Any]) -> Request:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        return Request("POST", self.url, headers, _json(body))

    def requests(self, keys: list[str]) -> list[Request]:
        return [self._request({"tags": keys})]

    def everything(self) -> list[Request]:
        return [self._request({"purge_everything": True})]


class Akamai(Target):
    """Fast Purge v3 by cache tag: `POST /ccu/v3/invalidate/tag/{network}` with
    `{"objects": [...]}`, signed with EdgeGrid (EG1-HMAC-SHA256). Akamai has no purge of
    everything by tag: everything is the tag every Gazette response carries, `gazette`."""

    name = "akamai"
    batch = 500
    ALL_TAG = AKAMAI_ALL_TAG
    MAX_BODY = 131_072  # the signed part of a body, as EdgeGrid clients hash it

    def __init__(
        self,
        url: str,
        network: str,
        client_token: str,
        client_secret: str,
        access_token: str,
        action: str = "invalidate",
    ) -> None:
        self.base, self.network, self.action = url.rstrip("/"), network, action
        self.client_token, self.client_secret, self.access_token = client_token, client_secret, access_token

    def requests(self, keys: list[str]) -> list[Request]:
        url = f"{self.base}/ccu/v3/{self.action}/tag/{self.network}"
        tags = sorted({akamai_tag(k) for k in keys})
        return [Request("POST", url, {"Content-Type": "application/json"}, _json({"objects": tags}))]

    def everything(self) -> list[Request]:
        return self.requests([self.ALL_TAG])

    def sign(self, request: Request, *, timestamp: str | None = None, nonce: str | None = None) -> Request:
        """EdgeGrid's Authorization header (Akamai's documented client authentication)."""
        timestamp = timestamp or datetime.now(UTC).strftime("%Y%m%dT%H:%M:%S+0000")
        nonce = nonce or str(uuid.uuid4())
        head = (
            f"EG1-HMAC-SHA256 client_token={self.client_token};access_token={self.access_token};"
            f"timestamp={timestamp};nonce={nonce};"
        )
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        content_hash = (
            base64.b64encode(hashlib.sha256(request.body[: self.MAX_BODY]).digest()).decode()
            if request.method == "POST" and request.body
            else ""
        )
        data = "\t".join([request.method, parts.scheme, parts.netloc, path, "", content_hash, head])
        key = base64.b64encode(_hmac(self.client_secret.encode(), timestamp)).decode()
        signature = base64.b64encode(_hmac(key.encode(), data)).decode()
        return Request(
            request.method,
            request.url,
            {**request.headers, "Authorization": f"{head}signature={signature}"},
            request.body,
        )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class GenericHttp(Target):
    """`POST {url}` with `{"keys": [...]}` or `{"everything": true}`, and `Authorization:
    Bearer {token}` when a token is set: for a CDN or a cache of your own behind a small hook."""

    name = "http"
    batch = 500

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url, self.token = url, token

    def _request(self, body: dict[str, Any]) -> Request:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return Request("POST", self.url, headers, _json(body))

    def requests(self, keys: list[str]) -> list[Request]:
        return [self._request({"keys": keys})]

    def everything(self) -> list[Request]:
        return [self._request({"everything": True})]


class TargetError(ValueError):
    """The purger's settings do not name a usable target."""


def _need(settings: Settings, *names: str) -> None:
    missing = [f"GAZETTE_{n.upper()}" for n in names if not getattr(settings, n)]
    if missing:
        raise TargetError(f"GAZETTE_PURGER_TARGET={settings.purger_target} needs {', '.join(missing)}.")


def from_settings(settings: Settings) -> Target:
    """The target the GAZETTE_PURGER_* settings describe."""
    kind, url = settings.purger_target, settings.purger_url
    target: Target
    if kind == "varnish":
        target = Varnish(url or "http://127.0.0.1:6081")
    elif kind == "fastly":
        _need(settings, "purger_service", "purger_token")
        target = Fastly(url or "https://api.fastly.com", str(settings.purger_service), str(settings.purger_token))
    elif kind == "cloudflare":
        _need(settings, "purger_service", "purger_token")
        target = Cloudflare(
            url or "https://api.cloudflare.com", str(settings.purger_service), str(settings.purger_token)
        )
    elif kind == "akamai":
        _need(settings, "purger_url", "akamai_client_token", "akamai_client_secret", "akamai_access_token")
        target = Akamai(
            str(url),
            settings.purger_service or "production",
            str(settings.akamai_client_token),
            str(settings.akamai_client_secret),
            str(settings.akamai_access_token),
        )
    elif kind == "http":
        _need(settings, "purger_url")
        target = GenericHttp(str(url), settings.purger_token)
    else:
        raise TargetError("Set GAZETTE_PURGER_TARGET to varnish, fastly, cloudflare, akamai or http.")
    if settings.purger_batch:
        target.batch = min(target.batch, settings.purger_batch)
    return target


def send(client: httpx.Client, target: Target, request: Request) -> httpx.Response:
    """Send one request; an answer other than 2xx raises httpx.HTTPStatusError."""
    signed = target.sign(request)
    response = client.request(signed.method, signed.url, headers=signed.headers, content=signed.body or None)
    response.raise_for_status()
    return response

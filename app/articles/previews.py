"""Preview tokens: signed, expiring links that open one unpublished article without a key.

A token names one article id and its expiry, signed (itsdangerous) with the server's signing
key: GAZETTE_SECRET_KEY, or the key the server made and keeps in the database (app/store/secrets.py).
It opens that article whatever its status, except once deleted, and its pending version
(changes staged on it while it is live, app/articles/pending.py); for any other article it
changes nothing. A token that is tampered with or expired is a 401.
"""

from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

from app.articles import reads
from app.http.problems import NotFound, Unauthorized
from app.store import secrets
from app.store.models import Article
from app.store.models.common import iso, utcnow

DEFAULT_TTL = timedelta(hours=24)
MAX_TTL = timedelta(days=7)
_SALT = "gazette.article-preview"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secrets.signing_key(), salt=_SALT)


def issue(session: Session, article_id: str, *, ttl: timedelta = DEFAULT_TTL) -> dict[str, Any]:
    """A token for `article_id` (which must exist and not be deleted), valid for `ttl`."""
    article = session.get(Article, article_id)
    if article is None or article.deleted_at is not None:
        raise NotFound(f"No article with id {article_id!r}.")
    expires_at = utcnow() + min(ttl, MAX_TTL)
    token = _serializer().dumps({"article": article.id, "exp": int(expires_at.timestamp())})
    return {"token": token, "expires_at": iso(expires_at), "url": f"/v1/articles/{article.id}?preview={token}"}


def _article_of(token: str) -> str:
    """The article id a valid token names; 401 when it is not ours or has expired."""
    invalid = Unauthorized(
        "This preview token is not valid or has expired.",
        headers={"WWW-Authenticate": 'Bearer realm="gazette", error="invalid_token"'},
    )
    try:
        # The signature's own age check is a backstop; each token carries its own expiry.
        payload = _serializer().loads(token, max_age=int(MAX_TTL.total_seconds()) + 60)
    except BadSignature:
        raise invalid from None
    if not isinstance(payload, dict) or not isinstance(payload.get("article"), str):
        raise invalid
    if not isinstance(payload.get("exp"), int) or payload["exp"] < utcnow().timestamp():
        raise invalid
    return payload["article"]


def open_article(session: Session, article_id: str, token: str) -> Article:
    """The article a preview link opens: its own article (unless deleted), or, when the
    token names another one, whatever the public may see."""
    if _article_of(token) != article_id:
        return reads.get(session, article_id)
    article = session.get(Article, article_id)
    if article is None or article.deleted_at is not None:
        raise NotFound(f"No article with id {article_id!r}.")
    return article


def check_pending(token: str, article_id: str) -> None:
    """A preview token opening `article_id`'s pending version: 401 when the token is not valid,
    404 (nothing to see) when it names another article."""
    if _article_of(token) != article_id:
        raise NotFound(f"Article {article_id!r} has no pending version.")

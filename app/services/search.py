"""Full-text search. (Being built: see the search issue. index_article is its write hook.)"""

from sqlmodel import Session

from app.models import Article


def index_article(session: Session, article: Article) -> None:
    """Bring the search index up to date with `article`, in the caller's transaction."""

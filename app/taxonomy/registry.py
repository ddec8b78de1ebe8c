"""What differs between the five slugged resources when they are written: their shapes, the
fields that show inside articles and quotes, a category's parent, and what deleting one does."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import Session, SQLModel, col

from app.http.problems import Conflict, InvalidParameter, ValidationFailed
from app.store.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleTag,
    Attribution,
    Author,
    Category,
    Person,
    Quote,
    Source,
    Tag,
    UpdateAttribution,
    resources,
)
from app.taxonomy import categories, directory, hooks
from app.taxonomy.schemas import (
    AuthorCreate,
    AuthorUpdate,
    CategoryCreate,
    CategoryUpdate,
    PersonCreate,
    PersonUpdate,
    SourceCreate,
    SourceUpdate,
    TagCreate,
    TagUpdate,
)

# The five resources, and the bodies that create and change them.
Model = Category | Person | Source | Tag | Author
CreateBody = CategoryCreate | PersonCreate | SourceCreate | TagCreate | AuthorCreate
UpdateBody = CategoryUpdate | PersonUpdate | SourceUpdate | TagUpdate | AuthorUpdate
ModelT = TypeVar("ModelT", bound=Model)


def _no_hook(session: Session, row: Any, values: dict[str, Any]) -> dict[str, Any]:
    return values


@dataclass(frozen=True)
class Kind:
    """One slugged resource as the write services see it."""

    model: type[Model]
    create: type[CreateBody]
    update: type[UpdateBody]
    in_articles: frozenset[str]  # fields whose change alters article representations
    in_quotes: frozenset[str] = frozenset()
    # (session, row or None, validated values) → column values; may raise 422.
    to_columns: Callable[[Session, Any, dict[str, Any]], dict[str, Any]] = _no_hook
    to_document: Callable[[Session, Any], dict[str, Any]] = field(default=lambda session, row: {})

    @property
    def resource_type(self) -> str:
        """ "category": change feed type, event prefix, slug_redirect type (app/store/models/resources.py)."""
        return resources.BY_MODEL[self.model].name

    @property
    def plural(self) -> str:
        """ "categories": path and list purge key."""
        return resources.BY_MODEL[self.model].plural

    def represent(self, session: Session, row: Any) -> dict[str, Any]:
        if self.model is Category:
            return categories.represent_one(session, row)
        return directory.represent(row)


# Category: the parent is a slug on the wire and an id in the table; no cycles ---------------


def _category_columns(session: Session, row: Category | None, values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    parent_slug = values.pop("parent", None)
    values["parent_id"] = None
    if parent_slug is not None:
        parent = session.scalars(select(Category).where(col(Category.slug) == parent_slug)).first()
        if parent is None:
            raise ValidationFailed(
                f"No category with slug {parent_slug!r}.",
                errors=[{"field": "parent", "message": f"no category with slug {parent_slug!r}"}],
            )
        if row is not None and row.id in _ancestors(session, parent.id):
            raise ValidationFailed(
                f"{parent_slug!r} is {row.slug!r} itself or one of its subcategories.",
                errors=[{"field": "parent", "message": "a category cannot sit under itself or its subcategories"}],
            )
        values["parent_id"] = parent.id
    return values


def _ancestors(session: Session, category_id: str) -> set[str]:
    """`category_id` and every category above it."""
    parents = dict(session.execute(select(col(Category.id), col(Category.parent_id))).all())
    found: set[str] = set()
    current: str | None = category_id
    while current is not None and current not in found:
        found.add(current)
        current = parents.get(current)
    return found


def _category_document(session: Session, row: Category) -> dict[str, Any]:
    parent = session.get(Category, row.parent_id) if row.parent_id else None
    return {"parent": parent.slug if parent else None}


# Deleting: what still points at the resource decides ------------------------------------


def _some(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def delete_category(session: Session, row: Category, *, reassign_to: str | None) -> set[str]:
    """409 while subcategories sit under it, or articles are filed under it and no
    `reassign_to` names where they go; with it, those articles move (and their versions go up)."""
    children = list(session.scalars(select(col(Category.slug)).where(col(Category.parent_id) == row.id)))
    if children:
        raise Conflict(f"Category {row.slug!r} has subcategories ({_some(children)}): move or delete them first.")
    article_ids = set(
        session.scalars(select(col(ArticleCategory.article_id)).where(col(ArticleCategory.category_id) == row.id))
    )
    article_ids |= set(session.scalars(select(col(Article.id)).where(col(Article.category_id) == row.id)))
    if not article_ids:
        return set()
    if reassign_to is None:
        raise Conflict(
            f"Category {row.slug!r} holds {len(article_ids)} article(s); "
            "pass ?reassign_to=<slug> to move them to another category first.",
            errors=[{"field": "reassign_to", "message": "required while the category holds articles"}],
        )
    target = session.scalars(select(Category).where(col(Category.slug) == reassign_to)).first()
    if target is None or target.id == row.id:
        raise InvalidParameter("reassign_to", f"no other category with slug {reassign_to!r}")
    already = select(col(ArticleCategory.article_id)).where(col(ArticleCategory.category_id) == target.id)
    session.execute(
        delete(ArticleCategory).where(
            col(ArticleCategory.category_id) == row.id, col(ArticleCategory.article_id).in_(already)
        )
    )
    session.execute(
        update(ArticleCategory)
        .where(col(ArticleCategory.category_id) == row.id)
        .values(category_id=target.id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Article)
        .where(col(Article.category_id) == row.id)
        .values(category_id=target.id)
        .execution_options(synchronize_session=False)
    )
    hooks.ARTICLES_CHANGED(session, article_ids)
    return {"articles", "feeds", f"category:{target.slug}"}


def _refuse_if_referenced(session: Session, row: Any, what: list[tuple[str, ColumnElement[bool]]]) -> None:
    found = [f"{session.scalar(select(func.count()).where(cond))} {noun}" for noun, cond in what]
    found = [f for f in found if not f.startswith("0 ")]
    if found:
        raise Conflict(
            f"{type(row).__name__} {row.slug!r} is still referenced by {', '.join(found)}; "
            "change or delete those first."
        )


def delete_person(session: Session, row: Person, **_: Any) -> set[str]:
    """409 while any quote is theirs: quotes need a speaker."""
    _refuse_if_referenced(session, row, [("quote(s)", col(Quote.person_id) == row.id)])
    return set()


def delete_source(session: Session, row: Source, **_: Any) -> set[str]:
    """409 while attributions, quotes or photo credits name it: they would lose their credit."""
    _refuse_if_referenced(
        session,
        row,
        [
            ("attribution(s)", col(Attribution.source_id) == row.id),
            ("live blog update attribution(s)", col(UpdateAttribution.source_id) == row.id),
            ("quote(s)", col(Quote.source_id) == row.id),
            ("photo credit(s)", col(Article.image_credit_source_id) == row.id),
        ],
    )
    return set()


def _detacher(link: type[ArticleTag | ArticleAuthor], column: SQLCoreOperations[str]) -> Callable[..., set[str]]:
    def detach(session: Session, row: Any, **_: Any) -> set[str]:
        """Tags and authors are labels: deleting one takes it off its articles."""
        article_ids = set(session.scalars(select(col(link.article_id)).where(column == row.id)))
        session.execute(delete(link).where(column == row.id))
        hooks.ARTICLES_CHANGED(session, article_ids)
        return {"articles", "feeds"} if article_ids else set()

    return detach


KINDS: dict[type[SQLModel], Kind] = {
    Category: Kind(
        Category,
        CategoryCreate,
        CategoryUpdate,
        frozenset({"name", "slug"}),
        to_columns=_category_columns,
        to_document=_category_document,
    ),
    Person: Kind(
        Person,
        PersonCreate,
        PersonUpdate,
        frozenset({"name", "slug"}),
        frozenset({"name", "slug", "current_role", "organization"}),
    ),
    Source: Kind(
        Source,
        SourceCreate,
        SourceUpdate,
        frozenset({"name", "slug", "kind"}),
        frozenset({"name", "slug"}),
    ),
    Tag: Kind(Tag, TagCreate, TagUpdate, frozenset({"name", "slug"})),
    Author: Kind(Author, AuthorCreate, AuthorUpdate, frozenset({"name", "slug"})),
}

DELETE_RULES: dict[type[SQLModel], Callable[..., set[str]]] = {
    Category: delete_category,
    Person: delete_person,
    Source: delete_source,
    Tag: _detacher(ArticleTag, col(ArticleTag.tag_id)),
    Author: _detacher(ArticleAuthor, col(ArticleAuthor.author_id)),
}

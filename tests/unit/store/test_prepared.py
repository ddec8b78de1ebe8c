"""Prepared statements (app/store/sql.py) answer what SQLAlchemy Core answers, on either engine."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, event, exc, insert, literal, select, update
from sqlmodel import Session

from app.store.engine import get_engine, rows
from app.store.models import Article, ArticleRevision, Quote, SiteSetting
from app.store.sql import Prepared
from tests.support.factories import make_article, make_person

_ROWS = select(
    Article.id,
    Article.body,
    Article.published_at,
    Article.status,
    Article.comments_enabled,
    Article.kicker,
    literal("article").label("kind"),
).where(Article.id == bindparam("id"))


def test_rows_come_back_as_core_gives_them_types_included(session):
    make_person(session, "anne-hidalgo")
    article = make_article(session, kicker=None, quotes=[{"text": "Nous tiendrons.", "speaker": "anne-hidalgo"}])
    core = session.connection().execute(_ROWS, {"id": article.id}).all()
    prepared = rows(session, Prepared(_ROWS), {"id": article.id})

    assert [tuple(r) for r in prepared] == [tuple(r) for r in core]
    row = prepared.first()
    assert isinstance(row.body, list) and row.body  # JSON, decoded
    assert isinstance(row.published_at, datetime)  # a datetime on SQLite too, not its text
    assert row.kicker is None and row.kind == "article"
    assert prepared.scalar() == article.id
    assert rows(session, Prepared(_ROWS), {"id": "nothing"}).first() is None


def test_parameters_go_through_their_types(session):
    article = make_article(session)
    stmt = Prepared(
        insert(ArticleRevision.__table__).values(
            {
                name: bindparam(name, type_=ArticleRevision.__table__.c[name].type)
                for name in ("article_id", "number", "version", "created_at", "status", "snapshot")
            }
        )
    )
    at = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    rows(
        session,
        stmt,
        {
            "article_id": article.id,
            "number": 99,
            "version": 99,
            "created_at": at,
            "status": "published",
            "snapshot": {"title": "Un titre", "tags": ["paris"]},
        },
    )
    stored = session.scalars(select(ArticleRevision).where(ArticleRevision.number == 99)).one()
    assert stored.snapshot == {"title": "Un titre", "tags": ["paris"]}
    assert stored.created_at.replace(tzinfo=UTC) == at


def test_a_list_of_parameter_sets_runs_once_for_each_and_counts_rows(session):
    first, second = make_article(session), make_article(session)
    stmt = Prepared(
        update(Article.__table__).where(Article.__table__.c.id == bindparam("id_")).values(kicker=bindparam("kicker"))
    )
    done = rows(session, stmt, [{"id_": first.id, "kicker": "Un"}, {"id_": second.id, "kicker": "Deux"}])
    assert done == []
    one = rows(session, stmt, {"id_": first.id, "kicker": "Encore"})
    assert one.rowcount == 1 and rows(session, stmt, {"id_": "nothing", "kicker": "x"}).rowcount == 0
    found = dict(session.connection().execute(select(Article.id, Article.kicker)).all())
    assert found == {first.id: "Encore", second.id: "Deux"}


def test_driver_errors_arrive_as_sqlalchemy_errors(session):
    make_person(session, "anne-hidalgo")
    article = make_article(session, quotes=[{"text": "Nous tiendrons.", "speaker": "anne-hidalgo"}])
    quote = session.scalars(select(Quote).where(Quote.article_id == article.id)).one()
    duplicate = Prepared(
        insert(SiteSetting.__table__).values(
            key=bindparam("key"),
            value=bindparam("value", type_=SiteSetting.__table__.c.value.type),
            updated_at=bindparam("at", type_=SiteSetting.__table__.c.updated_at.type),
            version=1,
        )
    )
    values = {"key": "twice", "value": {}, "at": datetime.now(UTC)}
    rows(session, duplicate, values)
    with pytest.raises(exc.IntegrityError):
        with session.begin_nested():
            rows(session, duplicate, values)
    assert quote.id  # the session goes on after the savepoint's rollback
    assert rows(session, Prepared(select(SiteSetting.key).where(SiteSetting.key == "twice"))).scalar_one() == "twice"


def test_listeners_of_cursor_execute_see_prepared_statements(session):
    seen: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(get_engine(), "before_cursor_execute", listen)
    try:
        with Session(get_engine()) as other:
            rows(other, Prepared(_ROWS), {"id": "nothing"})
    finally:
        event.remove(get_engine(), "before_cursor_execute", listen)
    assert any(
        statement.lstrip().upper().startswith("SELECT") and "article.published_at" in statement for statement in seen
    )


def test_what_cannot_be_prepared_is_refused_when_first_run(session):
    expanding = Prepared(select(Article.id).where(Article.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="expanding"):
        rows(session, expanding, {"ids": ["a"]})
    python_default = Prepared(insert(Article.__table__).values(slug=bindparam("slug"), title=bindparam("title")))
    with pytest.raises(ValueError, match="default"):
        rows(session, python_default, {"slug": "s", "title": "t"})

"""If-Match parsing and the atomic check-and-bump that keeps two writers from both winning."""

import pytest
from sqlmodel import Session

from app.http.etags import expected_version
from app.http.problems import PreconditionFailed, PreconditionRequired
from app.kit.writes import bump
from app.store.engine import get_engine
from app.store.models import Tag
from tests.support.factories import make_tag


@pytest.mark.parametrize("header", ['"3"', 'W/"3"', '"2", "3"', "*", '"3-9f86d081884c"', '"3-9f86d081884c-br"'])
def test_if_match_naming_the_current_version_passes(header):
    assert expected_version(header, 3) == 3


@pytest.mark.parametrize("header", [None, "", "  "])
def test_missing_if_match_is_precondition_required(header):
    with pytest.raises(PreconditionRequired):
        expected_version(header, 3)


@pytest.mark.parametrize("header", ['"2"', "3x", '"abc"', '"2-9f86d081884c"'])
def test_if_match_naming_another_version_is_precondition_failed(header):
    with pytest.raises(PreconditionFailed):
        expected_version(header, 3)


def test_only_one_of_two_writers_holding_the_same_version_wins(session):
    tag_id = make_tag(session, "syrie").id
    with (
        Session(get_engine(), expire_on_commit=False) as first,
        Session(get_engine(), expire_on_commit=False) as second,
    ):
        mine, theirs = first.get(Tag, tag_id), second.get(Tag, tag_id)
        first.commit(), second.commit()  # both now hold version 1, read before either wrote
        bump(first, mine, 1, {"name": "Syria"})
        first.commit()

        with pytest.raises(PreconditionFailed):
            bump(second, theirs, 1, {"name": "Syrie !"})  # the UPDATE's WHERE version = 1 finds nothing
        second.rollback()

    session.expire_all()
    stored = session.get(Tag, tag_id)
    assert (stored.name, stored.version) == ("Syria", 2)

"""Which batches `gazette import --jobs` may write side by side (app/transfer/parallel.py)."""

import pytest

from app.transfer.parallel import independent

ARTICLE = b'{"type": "article", "data": {"external_id": "a-1", "title": "Un titre"}}'


@pytest.mark.parametrize(
    ("raw", "side_by_side"),
    [
        (ARTICLE, True),
        (b'{"type": "article", "data": {"external_id": "a-2", "translation_of": "01abc"}}', False),
        (b'{"type": "tag", "data": {"slug": "syrie", "name": "Syrie"}}', False),
        (b'{"type": "translation_group", "data": {"articles": ["a-1", "a-2"]}}', False),
        (b'["not", "an", "object"]', False),
        (b'{"type": "article", "data": "not an object"}', False),
        (b"{not json", False),
        (None, False),  # a line over the length limit: its error is written here, in its place
    ],
)
def test_only_batches_of_articles_naming_no_other_go_side_by_side(raw, side_by_side):
    assert independent([(1, ARTICLE), (2, raw)]) is side_by_side

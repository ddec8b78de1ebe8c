"""Which replicas a process knows (app/store/replicas.py): the list and the older single setting."""

import pytest

from app.settings import get_settings
from app.store.replicas import _lsn, label, replica_urls


@pytest.fixture
def settings_from(monkeypatch):
    def use(**env: str) -> None:
        for name in ("GAZETTE_DATABASE_REPLICA_URL", "GAZETTE_DATABASE_REPLICA_URLS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_the_list_and_the_single_setting_are_both_read_without_repeats(settings_from):
    settings_from(
        GAZETTE_DATABASE_REPLICA_URLS="postgresql://r1/g, postgresql://r2/g,,",
        GAZETTE_DATABASE_REPLICA_URL="postgresql://r2/g",
    )
    assert replica_urls() == ["postgresql://r1/g", "postgresql://r2/g"]
    settings_from(GAZETTE_DATABASE_REPLICA_URL="postgresql://old/g")
    assert replica_urls() == ["postgresql://old/g"]
    settings_from()
    assert replica_urls() == []


def test_a_replica_is_named_without_its_password():
    assert label("postgresql://gazette:s3cret@db-replica:5433/gazette") == "db-replica:5433/gazette"


def test_wal_positions_compare_as_numbers():
    assert _lsn("0/16B3748") < _lsn("0/A0000000") < _lsn("1/0")
    assert _lsn(None) is None

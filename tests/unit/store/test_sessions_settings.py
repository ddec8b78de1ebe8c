"""What every PostgreSQL connection of the app runs with (app/store/engine.py SESSION_SETTINGS):
JIT off, beside whatever `options` the database URL gives."""

import pytest
from sqlalchemy.engine import make_url

from app.store.engine import make_engine
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's session settings")


@pytest.mark.parametrize("reads", [False, True], ids=["writes", "reads"])
def test_jit_is_off_and_the_urls_own_options_are_kept(database_url, reads):
    url = make_url(database_url).update_query_dict({"options": "-c statement_timeout=4321"})
    engine = make_engine(url.render_as_string(hide_password=False), reads=reads)
    try:
        with engine.connect() as connection:
            jit = connection.exec_driver_sql("SHOW jit").scalar_one()
            timeout = connection.exec_driver_sql("SHOW statement_timeout").scalar_one()
    finally:
        engine.dispose()
    assert (jit, timeout) == ("off", "4321ms")

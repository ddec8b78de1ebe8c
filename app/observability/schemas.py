"""What the service paths answer: liveness and readiness."""

from typing import Literal

from app.http.schemas import ReadModel


class Health(ReadModel):
    """The process answers."""

    status: Literal["ok"]


class Readiness(ReadModel):
    """The database answers, at the migrations' head: this process may take traffic."""

    status: Literal["ready"]

"""What the service paths answer: liveness and readiness."""

from typing import Literal

from pydantic import Field

from app.http.schemas import ReadModel, sometimes


class Health(ReadModel):
    """The process answers."""

    status: Literal["ok"]


class ReplicaState(ReadModel):
    """A read replica, as this process sees it."""

    name: str = Field(description="host:port/database")
    up: bool = Field(description="Whether it answered the last look.")
    lag_seconds: float | None = Field(
        description="How long ago the primary first stood past what it has replayed (0: caught up); null when down."
    )
    in_use: bool = Field(description="Whether this process's public reads go to it now.")


class Readiness(ReadModel):
    """The database answers, at the migrations' head: this process may take traffic."""

    status: Literal["ready"]
    reads_from: str = sometimes("With read replicas: `primary`, or the replica public reads go to now.")
    replicas: list[ReplicaState] = sometimes(
        "With read replicas: each one's state. A replica past GAZETTE_REPLICA_MAX_LAG_SECONDS, or down, "
        "is out of use; the node is still ready, reading from the primary."
    )

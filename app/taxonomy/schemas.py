"""References to people and sources as writes give them: a slug, or a name to create one."""

from pydantic import Field

from app.http.schemas import Slug, Strict, Url
from app.store.models.people import SourceKind


class NamedRef(Strict):
    """A person or source not known yet, created on the fly from its name."""

    name: str = Field(min_length=1, max_length=200)
    slug: Slug | None = None
    kind: SourceKind | None = None
    description: str | None = Field(None, max_length=5000)
    current_role: str | None = Field(None, max_length=300)
    organization: str | None = Field(None, max_length=300)
    homepage: Url | None = None


RefIn = Slug | NamedRef

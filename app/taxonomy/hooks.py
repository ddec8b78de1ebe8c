"""What a write to a category, person, source, tag or author does to the articles that link
to it: app.articles registers on these (in app.wiring), since articles sit above taxonomy."""

from app.kit.hooks import Hook

# (session, article ids): the articles' versions go up, and each meets the index, the change
# feed, the webhooks and the purge as any article change does.
ARTICLES_CHANGED: Hook[...] = Hook("taxonomy.articles_changed")
# (session, article ids): the articles' stored bodies show a name that changed.
BODIES_STALE: Hook[...] = Hook("taxonomy.bodies_stale")

"""Live blogs: an article that follows an event as it happens, in updates of its own.

An update has its own body blocks, author, publication time, key-event and pinned flags,
and version; it is public exactly when its article is. Its routes sit under the article
(`/v1/articles/{id}/updates…`), its reads in `queries.py`, its writes in `writes.py`.
"""

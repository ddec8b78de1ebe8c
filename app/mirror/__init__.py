"""`gazette mirror`: a local SQLite copy of a Gazette's public content, kept in sync over HTTP.

A client of the public API and nothing else: it imports nothing of the server, so it runs
against any Gazette (docs/sync.md).
"""

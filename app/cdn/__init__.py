"""`gazette purger`: the purges Gazette broadcasts, sent on to a CDN (docs/caching.md)."""

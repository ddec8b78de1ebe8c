"""A reference front end for Gazette: a server-rendered site that reads only the public API."""

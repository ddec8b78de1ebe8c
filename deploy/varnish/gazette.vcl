# Varnish in front of Gazette (Varnish 6/7 with varnish-modules' xkey; Debian: apt-get install
# varnish varnish-modules). Copy this file, set the backend, start varnishd with it, and run
# `gazette purger` with GAZETTE_PURGER_TARGET=varnish (docs/production.md, "Behind a CDN").
#
# - Caches what Gazette says may be cached (its Cache-Control), for as long as it says.
# - Passes requests with Authorization or ?preview= (they are never cached), and everything
#   but GET and HEAD of /v1/ and /feeds/.
# - Grace is stale-if-error (read from Cache-Control). While Gazette's /readyz answers (the
#   probe below), a stale object is served for at most req.grace = 30 s, refreshed in the
#   background: stale-while-revalidate (keep it equal to GAZETTE_CACHE_STALE_WHILE_REVALIDATE).
#   While it fails, stale objects are served for the whole stale-if-error.
# - Purges by surrogate key: Gazette's Surrogate-Key header is indexed by xkey, and
#   `PURGE /` with `xkey-purge: key key …` (what `gazette purger` sends) drops every object
#   holding one of the keys; `xkey-purge: *` bans everything.
# - Strips Gazette's own cache header (Gazette-Cache) and adds Varnish's X-Cache.
# - Passes the change stream (GET /v1/changes with Accept: text/event-stream) straight to
#   Gazette, with its Last-Event-ID, and streams its events to the client as they come:
#   never cached, never coalesced with another client's request, never buffered
#   (docs/sync.md, "Behind a proxy or a CDN").
vcl 4.1;

import std;
import xkey;

probe gazette_ready {
    .url = "/readyz";
    .interval = 2s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
}

backend gazette {
    .host = "127.0.0.1";   # a Gazette node (or a load balancer in front of several)
    .port = "8000";
    .probe = gazette_ready;
}

# Who may purge: the machines `gazette purger` runs on.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge == "*") {
            ban("obj.status != 0");
            return (synth(200, "Banned everything"));
        }
        if (req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.n-gone + " objects"));
        }
        return (synth(400, "Name the keys in xkey-purge"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/v1/changes([?]|$)" && req.http.Accept ~ "text/event-stream") {
        # A change stream: every client its own, from its own Last-Event-ID (sent on as it came).
        # Passed, not piped: Varnish still logs it and adds X-Cache.
        return (pass);
    }
    if (req.http.Authorization || req.url ~ "[?&]preview=") {
        return (pass);   # a key or a preview token: private answers, never kept
    }
    if (req.url !~ "^/(v1|feeds)/") {
        return (pass);   # /healthz, /readyz, /metrics, /docs, /openapi.json
    }
    unset req.http.Cookie;  # Gazette reads no cookie
    if (std.healthy(req.backend_hint)) {
        # Healthy: serve a stale object no longer than stale-while-revalidate says (Gazette's
        # default, GAZETTE_CACHE_STALE_WHILE_REVALIDATE). Sick: the whole grace, stale-if-error.
        set req.grace = 30s;
    }
    return (hash);
}

sub vcl_backend_fetch {
    if (bereq.http.Accept ~ "text/event-stream") {
        # A stream is quiet between changes but for a heartbeat (15 s by default,
        # GAZETTE_STREAM_HEARTBEAT_SECONDS): wait longer than that between two of its writes.
        set bereq.between_bytes_timeout = 120s;
    }
}

sub vcl_backend_response {
    if (beresp.http.Content-Type ~ "^text/event-stream") {
        # Each event to the client as it comes, as Gazette sent it: no gzip, no ESI, no storage.
        set beresp.do_stream = true;
        set beresp.do_gzip = false;
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1") + "s", beresp.grace);
    }
    if (beresp.http.Cache-Control ~ "(private|no-store)") {
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    return (deliver);
}

sub vcl_deliver {
    unset resp.http.xkey;
    unset resp.http.Gazette-Cache;   # the origin's, which would say MISS on every Varnish hit
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}

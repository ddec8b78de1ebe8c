#!/bin/sh
# The streaming replica: copied from the primary with pg_basebackup on first start (-R writes
# primary_conninfo and standby.signal), then a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h db-primary -U replicator -q; do sleep 1; done
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h db-primary -U replicator -D "$PGDATA" \
    -R -X stream -C -S replica1 -c fast
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c max_connections=200

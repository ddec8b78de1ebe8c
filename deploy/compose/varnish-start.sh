#!/bin/sh
# Varnish with deploy/varnish/gazette.vcl as shipped, its backend set to the first node of
# VARNISH_BACKENDS (host:port, space-separated), and a round-robin director over all of them.
set -eu
shipped=${VARNISH_VCL:-/etc/varnish/gazette.vcl}
vcl=${VARNISH_VCL_OUT:-/tmp/gazette.vcl}
first=${VARNISH_BACKENDS%% *}
sed -e "s/\.host = \"127.0.0.1\";/.host = \"${first%:*}\";/" -e "s/\.port = \"8000\";/.port = \"${first#*:}\";/" \
  "$shipped" > "$vcl"
{
  echo 'import directors;'
  i=1
  for node in $VARNISH_BACKENDS; do
    [ "$i" -gt 1 ] && echo "backend gazette_$i { .host = \"${node%:*}\"; .port = \"${node#*:}\"; .probe = gazette_ready; }"
    i=$((i + 1))
  done
  echo 'sub vcl_init {'
  echo '    new nodes = directors.round_robin();'
  echo '    nodes.add_backend(gazette);'
  i=1
  for node in $VARNISH_BACKENDS; do
    [ "$i" -gt 1 ] && echo "    nodes.add_backend(gazette_$i);"
    i=$((i + 1))
  done
  echo '}'
  echo 'sub vcl_backend_fetch {'
  echo '    set bereq.backend = nodes.backend();'
  echo '}'
} >> "$vcl"
if [ "${1:-}" = "--check" ]; then  # compile it and stop (tests/contracts/test_compose.py)
  exec varnishd -C -f "$vcl" -n "${vcl%.vcl}.n"
fi
exec varnishd -F -f "$vcl" -a :80 -s "malloc,${VARNISH_SIZE:-256m}"

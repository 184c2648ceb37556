#!/usr/bin/env bash
# httpd.wasm under `wasmkern run --tcplisten` on Linux, loaded by curl: files byte-identical
# (a 4 MiB one among them), Content-Length and Content-Type, HEAD, 404, 405, several URLs on
# one keep-alive connection, then hostile clients (httpd_client.py hostile) after which it
# still serves; then issue 19's loads: a 50 MiB file byte-identical, and `ab -n 5000 -c 32`
# (apache2-utils) with and without keep-alive, no request failed. Prints the MB/s and
# requests/s it saw (measurements, never checked). The files go under $TMPDIR (ctest sets the
# build directory).
# usage: httpd-hosted.sh WASMKERN USERLAND-DIR
set -uo pipefail
wasmkern=$1
userland=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ok=1
fail() { echo "httpd-hosted: $*"; ok=0; }

www=$work/www
mkdir -p "$www/sub" "$work/got"
printf '<html><body>hello</body></html>\n' >"$www/index.html"
printf 'body { color: red; }\n' >"$www/sub/style.css"
printf 'spaced\n' >"$www/a b.txt"
: >"$www/empty.txt"
head -c 4194304 /dev/urandom >"$www/big.bin"
head -c 100000 /dev/urandom >"$www/mid.dat"
head -c 52428800 /dev/urandom >"$www/large.bin"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$wasmkern" run --dir "$www::/srv" --tcplisten "127.0.0.1:$port" "$userland/httpd.wasm" -q /srv \
  >"$work/server.out" 2>&1 &
server_pid=$!
url=http://127.0.0.1:$port
# The socket listens before the program starts; wait only for the process to get there.
for _ in $(seq 100); do
  curl -s -o /dev/null "$url/" && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done

for f in index.html sub/style.css empty.txt big.bin mid.dat; do
  curl -sS -o "$work/got/file" "$url/$f" || fail "GET /$f failed"
  cmp -s "$www/$f" "$work/got/file" || fail "GET /$f: not the file's bytes"
done
curl -sS -o "$work/got/file" "$url/a%20b.txt" && cmp -s "$www/a b.txt" "$work/got/file" || fail "escaped name"
curl -sS -o "$work/got/file" "$url/" && cmp -s "$www/index.html" "$work/got/file" || fail "/ is not index.html"

headers=$(curl -sS -D - -o /dev/null "$url/big.bin" | tr -d '\r')
grep -qx "Content-Length: 4194304" <<<"$headers" || fail "big.bin Content-Length: $headers"
grep -qx "Content-Type: application/octet-stream" <<<"$headers" || fail "big.bin Content-Type"
headers=$(curl -sS -D - -o /dev/null "$url/sub/style.css" | tr -d '\r')
grep -qx "Content-Type: text/css" <<<"$headers" || fail "style.css Content-Type: $headers"
headers=$(curl -sS -I "$url/index.html" | tr -d '\r')
grep -q "^HTTP/1.1 200" <<<"$headers" && grep -qx "Content-Length: 32" <<<"$headers" || fail "HEAD: $headers"
[ "$(curl -s -o /dev/null -w '%{size_download}' -I "$url/big.bin")" = 0 ] || fail "HEAD sent a body"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$url/missing")" = 404 ] || fail "missing file not 404"
[ "$(code "$url/sub/missing.css")" = 404 ] || fail "missing file in a folder not 404"
[ "$(code -X POST -d x "$url/index.html")" = 405 ] || fail "POST not 405"
[ "$(code -X DELETE "$url/index.html")" = 405 ] || fail "DELETE not 405"
[ "$(code --path-as-is "$url/../../etc/passwd")" = 403 ] || fail "traversal not refused"

# Several URLs on one connection: curl reports one connect for the first and none after.
connects=$(curl -sS -o /dev/null -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' \
  "$url/index.html" "$url/mid.dat" "$url/missing" "$url/big.bin")
[ "$connects" = "1 0 0 0 " ] || fail "keep-alive: connects per request '$connects'"

python3 "$here/httpd_client.py" hostile "$port" >"$work/hostile.out" 2>&1 || fail "hostile clients: $(cat "$work/hostile.out")"
curl -sS -o "$work/got/file" "$url/big.bin" && cmp -s "$www/big.bin" "$work/got/file" || fail "big.bin after the hostile clients"
kill -0 "$server_pid" 2>/dev/null || fail "the server died: $(cat "$work/server.out")"

large_speed=$(curl -sS -o "$work/got/file" -w '%{speed_download}' "$url/large.bin") \
  && cmp -s "$www/large.bin" "$work/got/file" || fail "GET /large.bin (50 MiB): not the file's bytes"
rm -f "$work/got/file"
python3 "$here/httpd_client.py" ab "$port" /index.html 5000 >"$work/ab.out" 2>&1 || fail "$(cat "$work/ab.out")"
python3 "$here/httpd_client.py" ab "$port" /index.html 5000 -k >>"$work/ab.out" 2>&1 || fail "$(cat "$work/ab.out")"
kill -0 "$server_pid" 2>/dev/null || fail "the server died under ab: $(cat "$work/server.out")"

if [ $ok = 1 ]; then
  speed=$(curl -sS -o /dev/null -w '%{speed_download}' "$url/big.bin")
  echo "httpd-hosted: 4 MiB file at $(python3 -c "print(f'{$speed / 1e6:.1f}')") MB/s"
  echo "httpd-hosted: 50 MiB file at $(python3 -c "print(f'{$large_speed / 1e6:.1f}')") MB/s"
  sed 's/^/httpd-hosted: /' "$work/ab.out"
  python3 "$here/httpd_client.py" rate "$port" /index.html 2000 | sed 's/^/httpd-hosted: /'
fi
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=""
[ $ok = 1 ] || { echo "----- server -----"; cat "$work/server.out"; exit 1; }
echo "httpd-hosted: ok"

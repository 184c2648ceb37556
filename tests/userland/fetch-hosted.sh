#!/usr/bin/env bash
# fetch.wasm under `wasmkern run --net` on Linux (wasmkern.sock_connect on Linux sockets):
# files from a python3 http.server and from httpd.wasm (itself under wasmkern run), byte-identical
# on stdout and with -o, a chunked body, 404 and a closed port as errors, no --net as a clear
# error, bad URLs, a name resolved (localhost); udp_probe's datagrams to a python3 echo server
# and hostile UDP calls. Prints the KB/s fetch reported (never checked).
# usage: fetch-hosted.sh WASMKERN USERLAND-DIR
set -uo pipefail
wasmkern=$1
userland=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
ok=1
fail() { echo "fetch-hosted: $*"; ok=0; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fetch() { "$wasmkern" run --net --dir "$work::/w" "$userland/fetch.wasm" "$@"; }

www=$work/www
mkdir -p "$www"
head -c 3000000 /dev/urandom >"$www/big.bin"
printf 'hello\n' >"$www/small.txt"
: >"$www/empty.txt"

# A python3 server: HTTP/1.0 answers with Content-Length; /chunked answers in chunks.
py_port=$(free_port)
python3 - "$py_port" "$www" >"$work/py.log" 2>&1 <<'PY' &
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/chunked":
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for part in (b"first chunk\n", b"x" * 5000, b"\nlast\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        super().do_GET()
    def log_message(self, *args):
        pass
handler = functools.partial(Handler, directory=sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
PY
pids+=($!)
httpd_port=$(free_port)
"$wasmkern" run --dir "$www::/srv" --tcplisten "127.0.0.1:$httpd_port" "$userland/httpd.wasm" -q /srv \
  >"$work/httpd.log" 2>&1 &
pids+=($!)
for port in "$py_port" "$httpd_port"; do
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/small.txt" && break
    sleep 0.1
  done
done

for port in "$py_port" "$httpd_port"; do
  for f in big.bin small.txt empty.txt; do
    fetch "http://127.0.0.1:$port/$f" >"$work/got" 2>"$work/err" || fail "$port/$f: status $?: $(cat "$work/err")"
    cmp -s "$www/$f" "$work/got" || fail "$port/$f on stdout: not the file's bytes"
  done
  rm -f "$work/out.bin"
  fetch -v -o /w/out.bin "http://127.0.0.1:$port/big.bin" 2>"$work/err" || fail "$port -o: $(cat "$work/err")"
  cmp -s "$www/big.bin" "$work/out.bin" || fail "$port/big.bin with -o: not the file's bytes"
  echo "fetch-hosted: port $port: $(cat "$work/err")"
done

fetch "http://127.0.0.1:$py_port/chunked" >"$work/got" 2>"$work/err" || fail "chunked: $(cat "$work/err")"
python3 -c 'import sys; sys.stdout.buffer.write(b"first chunk\n" + b"x" * 5000 + b"\nlast\n")' >"$work/want"
cmp -s "$work/want" "$work/got" || fail "chunked body differs"

fetch "http://localhost:$httpd_port/small.txt" >"$work/got" 2>"$work/err" || fail "localhost: $(cat "$work/err")"
cmp -s "$www/small.txt" "$work/got" || fail "localhost: not the file's bytes"

# Errors: each a non-zero exit with a message naming what went wrong, nothing on stdout.
expect_error() { # STATUS PATTERN ARGS...
  local want=$1 pattern=$2
  shift 2
  "$@" >"$work/got" 2>"$work/err"
  local status=$?
  [ "$status" = "$want" ] || fail "$*: status $status, not $want ($(cat "$work/err"))"
  grep -q -- "$pattern" "$work/err" || fail "$*: no '$pattern' in: $(cat "$work/err")"
  [ ! -s "$work/got" ] || fail "$*: wrote to stdout"
}
expect_error 1 "404" fetch "http://127.0.0.1:$httpd_port/missing"
expect_error 1 "404" fetch "http://127.0.0.1:$py_port/missing"
closed=$(free_port)
expect_error 1 "connection refused\|Connection refused" fetch "http://127.0.0.1:$closed/"
expect_error 1 "no network right" "$wasmkern" run "$userland/fetch.wasm" "http://127.0.0.1:$httpd_port/small.txt"
expect_error 1 "only http://" fetch "https://127.0.0.1/"
expect_error 1 "port" fetch "http://127.0.0.1:99999/"
expect_error 1 "port" fetch "http://127.0.0.1:0/"
expect_error 1 "no host" fetch "http:///x"
expect_error 1 "cannot resolve" fetch "http://no-such-host.invalid/"
expect_error 1 "cannot resolve" fetch "http://bad..name/"
expect_error 1 "Invalid argument\|invalid" fetch "http://255.255.255.255:80/"
expect_error 2 "usage" fetch
expect_error 2 "usage" fetch -x http://127.0.0.1/
fetch --help | grep -q "usage: fetch" || fail "--help"

udp_port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$udp_port" >"$work/udp.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
PY
pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/udp.log" && break; sleep 0.1; done
"$wasmkern" run --net "$userland/udp_probe.wasm" 127.0.0.1 "$udp_port" >"$work/udp" 2>&1 || fail "udp_probe: $(cat "$work/udp")"
grep -q "^udp_probe: ok" "$work/udp" || fail "udp_probe: $(cat "$work/udp")"

# The import's own checks, through a hand-written module: bad pointers, lengths, ports.
"$wasmkern" run --net "$userland/net_abuse.wasm" 127.0.0.1 "$httpd_port" >"$work/abuse" 2>&1 || fail "net_abuse: $(cat "$work/abuse")"
grep -q "^net_abuse: ok" "$work/abuse" || fail "net_abuse: $(cat "$work/abuse")"

[ "$ok" = 1 ] && echo "fetch-hosted: ok"
[ "$ok" = 1 ]

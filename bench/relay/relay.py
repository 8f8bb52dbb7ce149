#!/usr/bin/env python3
"""The floor for `bench gateway`: a bare relay between the bench and the mirror registry.

Given to the gateway benchmark in place of a syncgateway build (SYNCGATEWAY_BENCH_BASELINE), it
answers `sync` by doing nothing (the build before it filled the mirror) and `serve --config F` by
listening where F's gateway.listen says: /healthz and /api/status are answered here, and every
/v2/bench/pull/... request goes to F's gateway.mirror as /v2/mirror/pull/..., its answer relayed
back with blocking 1 MiB recv and sendall, one thread per connection. Nothing is parsed but the
request head; "Connection: close" to the mirror marks the end of each answer.
"""
import re
import socket
import sys
import threading

CHUNK = 1 << 20


def head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return None
        data += more
    return data


def answer(conn, body):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))


def handle(conn, mirror):
    with conn:
        request = head(conn)
        if request is None:
            return
        line, _, rest = request.partition(b"\r\n")
        method, path, version = line.split(b" ")
        if path == b"/healthz":
            return answer(conn, b"{}")
        if path == b"/api/status":
            return answer(conn, b'{"lastSync":{}}')
        path = path.replace(b"/v2/bench/pull/", b"/v2/mirror/pull/", 1)
        headers = [h for h in rest.split(b"\r\n") if h and not h.lower().startswith((b"connection:", b"host:"))]
        upstream = socket.create_connection(mirror)
        with upstream:
            upstream.sendall(b"%s %s %s\r\nHost: %s:%d\r\nConnection: close\r\n%s\r\n\r\n" % (method, path, version, mirror[0].encode(), mirror[1], b"\r\n".join(headers)))
            buffer = bytearray(CHUNK)
            view = memoryview(buffer)
            while True:
                read = upstream.recv_into(view)
                if read == 0:
                    break
                conn.sendall(view[:read])


def main():
    if sys.argv[1] != "serve":
        return 0
    config = open(sys.argv[sys.argv.index("--config") + 1]).read()
    port = int(re.search(r"listen: http://127\.0\.0\.1:(\d+)", config).group(1))
    host, mirror_port = re.search(r"mirror: ([\d.]+):(\d+)", config).groups()
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn, (host, int(mirror_port))), daemon=True).start()


sys.exit(main())

"""A keep-alive HTTP/1.1 site that stamps each request with the kernel's receive time (SO_TIMESTAMPNS).

A stamp taken in user space (an HTTP server's request handler) includes however long the process took to wake up
and reach the handler: 3-7 ms now and then on a loaded machine, which is as large as the rate-limit spacing the
test measures. The kernel stamps each packet when it arrives, so the spacing measured here is the spacing on the
wire. Linux only; standard library only.

The kernel stamps in CLOCK_REALTIME, which is fine for gaps: NTP slewing bends a 20 ms gap by at most 500 ppm
(10 us), and only a wall-clock step during the run (none on a synced machine) would distort one gap. For TCP the
stamp is that of the last segment the read consumed: a GET head fits in one segment on loopback and a keep-alive
client sends the next request only after this answer, so one read carries one request and its stamp is the
arrival of its first byte.

Protocol: prints "PORT <n>" on stdout once listening; GET /__stamps answers {"stamps": [ms, ...], "unstamped": n}
(n: requests whose read carried no kernel stamp and got the user-space clock instead, which the caller must
refuse) and is not itself stamped. Every other request gets 200 "ok", keep-alive.
"""
import json
import selectors
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = 35  # Linux; Python's socket module does not name it
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"

stamps = []
unstamped = 0
sel = selectors.DefaultSelector()


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.first_ts = None  # kernel time of the read that delivered buf[0]


def kernel_ms(ancdata):
    """The kernel's receive time in ms, or None when the read carried none."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = struct.unpack("qq", data[:16])
            return sec * 1000.0 + nsec / 1e6
    return None


def send(conn, payload):
    conn.sock.setblocking(True)
    try:
        conn.sock.sendall(payload)
    finally:
        conn.sock.setblocking(False)


def serve(conn, ts):
    """Answers every complete request in conn.buf; any after the first began in this read, stamped `ts`."""
    global unstamped
    while True:
        end = conn.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = conn.buf[:end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        total = end + 4 + length
        if len(conn.buf) < total:
            return
        path = head.split(" ")[1] if " " in head else ""
        conn.buf = conn.buf[total:]
        if path == "/__stamps":
            body = json.dumps({"stamps": stamps, "unstamped": unstamped}).encode()
            send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        else:
            if conn.first_ts is None:
                unstamped += 1
                stamps.append(time.clock_gettime(time.CLOCK_REALTIME) * 1000.0)
            else:
                stamps.append(conn.first_ts)
            send(conn, OK)
        conn.first_ts = ts


def on_readable(conn):
    try:
        data, ancdata, _flags, _addr = conn.sock.recvmsg(65536, socket.CMSG_SPACE(16))
    except (BlockingIOError, InterruptedError):
        return
    except ConnectionError:
        data, ancdata = b"", []
    if not data:
        sel.unregister(conn.sock)
        conn.sock.close()
        return
    ts = kernel_ms(ancdata)
    # Between reads the buffer holds at most the start of one request (serve answered every complete one), whose
    # first byte came with an earlier read; anything else in it starts in this read.
    if not conn.buf:
        conn.first_ts = ts
    conn.buf += data
    serve(conn, ts)


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # On the listening socket too: the kernel only stamps packets once some socket asked for it, and a request can
    # arrive on a new connection before accept() returns.
    server.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    server.setblocking(False)
    sel.register(server, selectors.EVENT_READ, None)
    print("PORT %d" % server.getsockname()[1], flush=True)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                sock, _ = server.accept()
                sock.setblocking(False)
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(sock, selectors.EVENT_READ, Conn(sock))
            else:
                on_readable(key.data)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)

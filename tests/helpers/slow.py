"""Slow clients: connections that trickle a request's headers a byte at a time, and
requests whose bodies are half sent, which a worker holds until the rest comes."""

import socket
import threading
import time

from tests.helpers.bodies import instances_json
from tests.helpers.servers import HOST, request

HEAD = b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
FULL_WITHIN = 20.0  # seconds for a worker to take in the requests Held sends


class Tricklers:
    """`count` connections to 127.0.0.1:`port`, each sending the next byte of HEAD every
    `interval` seconds from a background thread, for as long as the `with` lasts.
    `.cut` counts the connections the server closed meanwhile."""

    def __init__(self, port: int, count: int = 64, interval: float = 0.5):
        self.port, self.count, self.interval = port, count, interval
        self.socks: list[socket.socket] = []
        self.cut = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self):
        for _ in range(self.count):
            self.socks.append(socket.create_connection((HOST, self.port), timeout=5))
        self._thread.start()
        time.sleep(self.interval)  # every connection has sent a byte and waits on the next
        return self

    def _trickle(self) -> None:
        sent = 0
        while not self._stop.wait(self.interval):
            for sock in list(self.socks):
                try:
                    sock.sendall(HEAD[sent % len(HEAD):sent % len(HEAD) + 1])
                except OSError:  # the server closed it: counted, not retried
                    self.socks.remove(sock)
                    self.cut += 1
            sent += 1

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)
        for sock in self.socks:
            sock.close()
        return False


def send_half(sock: socket.socket, body: bytes) -> None:
    """A JSON POST /predict's head (Connection: close) and the first half of `body`."""
    head = (f"POST /predict HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    sock.sendall(head + body[: len(body) // 2])


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (or resets) the connection."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    sock.close()
    return b"".join(chunks)


def finish(sock: socket.socket, body: bytes) -> tuple[int, bytes]:
    """Sends the rest of send_half's body: (status, payload) of the answer."""
    sock.sendall(body[len(body) // 2:])
    head, _, payload = read_all(sock).partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


class Held:
    """`count` POSTs to 127.0.0.1:`port` with half their bodies sent, for as long as the
    `with` lasts: the worker holds each one. On entry, one-image POSTs are sent until one
    is refused with 503 (the worker is full; at most FULL_WITHIN s); on exit, the rest of
    each body, and `.statuses` gets their answers."""

    def __init__(self, port: int, count: int):
        self.port, self.count, self.statuses = port, count, []
        self.body = instances_json(1)
        self.socks = [socket.create_connection((HOST, port), timeout=FULL_WITHIN)
                      for _ in range(count)]

    def __enter__(self):
        for sock in self.socks:
            send_half(sock, self.body)
        deadline = time.monotonic() + FULL_WITHIN
        probe = ("POST", "/predict", self.body)
        while request(self.port, *probe, headers={"Content-Type": "application/json"})[0] != 503:
            if time.monotonic() > deadline:
                self.__exit__()
                raise AssertionError(f"the worker was not full within {FULL_WITHIN} s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        for sock in self.socks:
            try:
                self.statuses.append(finish(sock, self.body)[0])
            except OSError as e:
                self.statuses.append(repr(e))
        return False

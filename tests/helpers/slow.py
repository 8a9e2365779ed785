"""Slow clients: connections that trickle a request's headers a byte at a time."""

import socket
import threading
import time

from tests.helpers.servers import HOST

HEAD = b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"


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

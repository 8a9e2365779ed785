"""The gunicorn worker: gevent, with READ_TIMEOUT on every connection.

A greenlet per connection, not a thread: a client that sends its request a byte
now and then costs a little memory and one of WORKER_CONNECTIONS, not one of a few
threads, so slow clients cannot take the worker's attention from the others.
gunicorn already bounds the wait for each request's headers by `keepalive`; here
every read of a connection is bounded by READ_TIMEOUT, so a client that stalls in
the middle of a body is cut off too (the app answers 408). Past MAX_INFLIGHT requests
held, a worker answers 503 itself, before the body is read (shedding.py).

Each worker also serves the Open Inference Protocol over gRPC on GRPC_PORT (unless it is
0), from its own Flask app: service/grpc/serving.py, imported here only after the fork.
Told to go (SIGTERM, a HUP, max_requests), a worker drains gRPC as it drains HTTP, at
the same time; on a HUP it first hands the port over to its successor (handover.py).
"""

import sys
import time

import gevent
from gunicorn import util
from gunicorn.arbiter import Arbiter
from gunicorn.http import wsgi
from gunicorn.workers import ggevent
from gunicorn.workers.base_async import AsyncWorker

from service import settings
from service.server import handover, shedding


class GeventWorker(ggevent.GeventWorker):
    def init_process(self):
        self.read_timeout = settings.server()["READ_TIMEOUT"]
        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        self.shedder = shedding.Shedder(settings.server()["MAX_INFLIGHT"], self.wsgi, self.log,
                                        self.cfg.keepalive)

    def handle(self, listener, client, addr):
        # gunicorn's gevent handle() makes the socket block without a timeout; this
        # sets READ_TIMEOUT instead and goes on with the async worker's handle().
        client.settimeout(self.read_timeout)
        AsyncWorker.handle(self, self.named.get(id(listener), listener), client, addr)

    def handle_request(self, listener_name, req, sock, addr):
        started = time.perf_counter()
        admitted = self.shedder.admit(req)
        if admitted is False:
            self.shedder.refuse(req, sock, started, self.alive)
        else:
            try:
                if admitted:
                    # Back of the line: the requests read before this one run first
                    # (the loop runs its callbacks in order), and the worker reads, and
                    # sheds, what has come in meanwhile.
                    gevent.sleep(0)
                super().handle_request(listener_name, req, sock, addr)
            finally:
                if admitted:
                    self.shedder.done()
            # A kept-alive client whose next request is already in the socket would be
            # read again at once, ahead of every other connection: under saturation a few
            # connections got served and the rest waited for seconds. Yielding to the
            # event loop after each request serves the connections in turn. A request
            # held within the bound needs no second yield: the next one read goes to the
            # back of the line before it runs.
            if admitted is None:
                gevent.sleep(0)
        if admitted is False or self.shedder.full:
            self.shedder.next_requests(req, sock, self, refused=admitted is False)

    def run(self):
        ggevent.StreamServer = _accepting(self.shedder)  # this process's gunicorn builds it
        wsgi.Response = OneWrite
        self.named = {id(s): _Named(s) for s in self.sockets}
        try:
            self._serve()
        finally:
            self.shedder.report()  # what it shed since its last line

    def _serve(self) -> None:
        server = self._start_grpc()
        if server is None:
            super().run()
            return
        where = handover.directory(self.ppid)
        if where is not None:
            handover.serving(where, self.pid)
        draining = gevent.spawn(self._drain_grpc_when_told, server, where)
        try:
            super().run()  # HTTP, until told to go, then its drain
        finally:
            self.alive = False  # run() may end otherwise too: its parent gone, say
            draining.join(timeout=self.cfg.graceful_timeout + handover.HANDOVER_SECONDS)

    def _start_grpc(self):
        """This worker's gRPC server, or None when GRPC_PORT is 0."""
        values = settings.server()
        if not values["GRPC_PORT"]:
            return None
        from service.grpc import serving  # grpc and numpy: in the worker, never the master

        try:
            return serving.start(self.wsgi, values["BIND_HOST"], values["GRPC_PORT"],
                                 self.worker_connections, gevent=True, gate=self.shedder)
        except RuntimeError as e:  # grpcio's "Failed to bind to address ..."
            self.log.error("cannot serve gRPC on %s: %s; free the port, choose another "
                           "GRPC_PORT, or set GRPC_PORT=0 to serve no gRPC",
                           serving.address(values["BIND_HOST"], values["GRPC_PORT"]), e)
            sys.exit(Arbiter.WORKER_BOOT_ERROR)  # the master stops: the start has failed

    def _drain_grpc_when_told(self, server, where) -> None:
        from service.grpc import serving

        while self.alive:
            gevent.sleep(0.1)
        t0 = time.monotonic()
        if where is not None:
            handover.leaving(where, self.pid)
            handover.wait_for_successor(where, self.pid, self.ppid)
        serving.stop(server, grace=max(1.0, self.cfg.graceful_timeout - (time.monotonic() - t0)))
        if where is not None:
            handover.gone(where, self.pid)


def _accepting(shedder):
    """gunicorn's StreamServer takes one connection per turn of the event loop when there
    are several workers, so that idle workers share them. But a busy worker's turns are
    long (each runs the requests it holds: 20 ms for a 256-image batch), and a burst of
    connections then waited seconds in the listen backlog, where no bound sees them. A
    worker that holds requests takes all that wait, and sheds what it cannot hold."""
    class StreamServer(ggevent.StreamServer):
        _one = 100  # gevent's default, and gunicorn's with one worker

        @property
        def max_accept(self) -> int:
            return self.pool.size if shedder.held else self._one

        @max_accept.setter
        def max_accept(self, value: int) -> None:
            self._one = value

    return StreamServer


class _Named:
    """A listener whose address is read once, up front. gunicorn asks each connection's
    listener for it as the connection's first request is read; a stopping worker has
    closed its listeners by then for the connections it accepted last, and the question
    failed (EBADF): those connections were closed unanswered, which wrk counted as socket
    errors at each worker's restart under 1,024 connections."""

    def __init__(self, sock):
        self._sock, self._name = sock, sock.getsockname()

    def getsockname(self):
        return self._name

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _Kept:
    """A socket stand-in that keeps what is sent to it."""

    data = b""

    def sendall(self, data: bytes) -> None:
        self.data += data


class OneWrite(wsgi.Response):
    """gunicorn's response, with its head sent together with the first bytes of the body.

    gunicorn sends the head and the body in two sendall()s: two TCP segments with
    TCP_NODELAY, two wake-ups of the client, and gevent asks the socket for its buffer
    size before each (bench/profile/: a third of the worker's samples were in send(2)).
    The head waits here for the body's first bytes, or for the end of the response, or
    for a chunked or sendfile body, which frame their bytes themselves.
    """

    _head = b""

    def send_headers(self):
        if self.headers_sent:
            return
        real, self.sock = self.sock, _Kept()
        try:
            super().send_headers()
        finally:
            self._head, self.sock = self.sock.data, real

    def _emit_body(self, data):
        if self._head and not self.chunked:
            data, self._head = self._head + data, b""
        self._send_head()
        super()._emit_body(data)

    def sendfile(self, respiter):
        self.send_headers()
        self._send_head()
        return super().sendfile(respiter)

    def close(self):
        self.send_headers()
        self._send_head()
        super().close()

    def _send_head(self) -> None:
        if self._head:
            head, self._head = self._head, b""
            util.write(self.sock, head)

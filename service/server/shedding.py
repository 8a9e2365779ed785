"""Load shedding in the worker: at most MAX_INFLIGHT requests held, the rest answered 503.

A gevent worker reads every request that arrives and would queue it: past what two
workers can serve, everyone's wait grew with the load (p99 5 s at 256 connections).
Here a worker holds at most MAX_INFLIGHT requests, in flight or waiting for the CPU;
one more is answered 503 at once, from the worker, with Retry-After and the JSON error
of its protocol (heads.py), before its body is read and without entering the app.
Requests held wait their turn in the order they were read (workers.py), so the wait
is at most about MAX_INFLIGHT requests' work on any worker, however the connections
are spread over the workers. GET, HEAD and OPTIONS are never shed nor counted: the
probes, /metrics, the page and the metadata are cheap and must answer under overload.

A refused connection is read again PAUSE later, not at once: 1,024 connections each
sending again within microseconds of its 503 kept the worker answering 503s, and the
requests it held got a fifth of the CPU. A client that waits as Retry-After asks never
notices. While the worker is still full then, the connection's next request is read
here (heads.plain): a refusal costs about 30 microseconds instead of gunicorn's 100.
"""

import time

import gevent
from gunicorn.http.body import LengthReader

from service.http import shapes
from service.server import heads

PAUSE = 0.15  # seconds before a refused connection is read again
REPORT_EVERY = 10.0  # seconds between a worker's lines on what it shed
SLOW = 0.005  # seconds: a 503 slower than this is counted apart in those lines


class Shedder:
    """One worker's bound: `admit()` before a request, `done()` after one admitted;
    `bound` 0 admits everything."""

    def __init__(self, bound: int, app, log, keepalive: float):
        self.bound, self.held, self.log, self.keepalive = bound, 0, log, keepalive
        metrics = getattr(app, "extensions", {}).get("metrics")  # service/observe/metrics.py
        self._count = getattr(metrics, "count_shed", None)
        self._since, self._shed, self._slow, self._slowest = 0.0, 0, 0, 0.0

    @property
    def full(self) -> bool:
        return 0 < self.bound <= self.held

    def admit(self, req) -> bool | None:
        """True: held, call done() after it; None: never shed; False: over the bound."""
        if not self.bound or req.method in heads.NEVER_SHED:
            return None
        if self.held >= self.bound:
            return False
        self.held += 1
        return True

    def hold(self) -> bool | None:
        """admit() for a gRPC call (service/grpc/calls.py), counted with the HTTP requests.
        A call held waits its turn behind those read before it, as they do (workers.py),
        so that the calls that arrive meanwhile are counted, and shed, before it runs."""
        if not self.bound:
            return None
        if self.held >= self.bound:
            return False
        self.held += 1
        try:
            gevent.sleep(0)
        except BaseException:  # killed while waiting (the worker's forced stop)
            self.held -= 1
            raise
        return True

    def refused(self) -> None:
        """A gRPC call over the bound: counted in this worker's lines, then let go PAUSE
        later (it fails with RESOURCE_EXHAUSTED). Calls share connections, so there is no
        connection to read later, as HTTP's; a client that calls again at once then waits
        as a refused HTTP client does, instead of keeping the worker refusing."""
        self._note(None, 0.0)
        gevent.sleep(PAUSE)

    def done(self) -> None:
        self.held -= 1

    def refuse(self, req, sock, started: float, alive: bool) -> None:
        """Answers 503 to a request gunicorn parsed and drops its body; StopIteration
        when the connection must close after it (so does a stopping worker's)."""
        drop = not heads.must_close(req)  # a body small enough to read and drop
        close = not drop or not alive
        incoming = next((v for n, v in req.headers if n == heads.HEADER.upper()), None)
        sock.sendall(heads.response(req.version, req.path, incoming, close))
        self._note(_protocol(req.path), time.perf_counter() - started)
        try:
            # Read to its end even when the connection closes next (a stopping worker's):
            # a socket closed with a body unread is reset, and the client may then see
            # the reset (wrk: a read error) instead of the 503.
            while drop and req.body.read(1 << 16):
                pass
        except OSError:  # the client went silent (READ_TIMEOUT) or away
            close = True
        if close:
            raise StopIteration()

    def next_requests(self, req, sock, worker, refused: bool) -> None:
        """After `req`: PAUSE if it was refused; then, while the worker is full, answers
        the connection's next plain requests 503 here, each after PAUSE. Returns when the
        next request is for gunicorn's parser; StopIteration: close the connection."""
        try:
            while True:
                if refused:
                    gevent.sleep(PAUSE)
                # A stopping worker leaves the next request to gunicorn, which answers it
                # and closes: closing here would reset a request already sent.
                if not worker.alive or not self.full or not _body_read(req):
                    return
                refused = self._refuse_plain(req.unreader, sock)
                if not refused:
                    return
        except OSError as e:  # gone, or silent for `keepalive` s or READ_TIMEOUT
            raise StopIteration() from e

    def _refuse_plain(self, unreader, sock) -> bool:
        """Answers the connection's next request if it is plain (heads.py) and the worker
        still full; False, with what was read put back, if not."""
        timeout = sock.gettimeout()
        sock.settimeout(self.keepalive)  # as gunicorn waits for a next request
        try:
            data = unreader.read()
        finally:
            sock.settimeout(timeout)
        if not data:
            raise StopIteration()  # the client closed the connection
        started = time.perf_counter()
        found = heads.plain(data) if self.full else None
        if found is None:
            unreader.unread(data)
            return False
        path, length, incoming, head = found
        sock.sendall(heads.response((1, 1), path, incoming, False))
        self._note(_protocol(path), time.perf_counter() - started)
        rest = len(data) - head - length
        if rest > 0:
            unreader.unread(data[-rest:])  # the next request, sent without waiting
        elif rest < 0 and len(unreader.read(-rest)) < -rest:
            raise StopIteration()  # the client closed in the middle of the body
        return True

    def _note(self, protocol: str | None, seconds: float) -> None:
        """Counts a refusal (in http_requests_shed_total by `protocol`, unless None: gRPC's
        are in grpc_server_handled_total); every REPORT_EVERY seconds of shedding, one
        line on them."""
        if self._count is not None and protocol is not None:
            self._count(protocol)
        now = time.monotonic()
        if not self._shed:
            self._since = now
        self._shed += 1
        self._slow += seconds > SLOW
        self._slowest = max(self._slowest, seconds)
        if now - self._since >= REPORT_EVERY:
            self.report()

    def report(self) -> None:
        """One line on the refusals since the last one (none: no line). bench/overload/
        reads its `shed` field."""
        if not self._shed:
            return
        seconds = time.monotonic() - self._since
        self.log.warning(
            "shed %d requests in %.0f s (%d took over %.0f ms, the slowest %.3f ms): this "
            "worker held MAX_INFLIGHT=%d requests; add replicas (or workers, if CPUs are "
            "idle)", self._shed, seconds, self._slow, SLOW * 1e3, self._slowest * 1e3,
            self.bound, extra={"shed": {"count": self._shed, "seconds": round(seconds, 3),
                                        "over_5ms": self._slow,
                                        "slowest_ms": round(self._slowest * 1e3, 3)}})
        self._shed, self._slow, self._slowest = 0, 0, 0.0


def _protocol(path: str) -> str:
    return "v2" if shapes.is_v2(path) else "rest"


def _body_read(req) -> bool:
    """Whether all of `req`'s body has left the socket: only then is what follows on it
    the next request's head (gunicorn's parser drops the rest of a body itself)."""
    reader = req.body.reader
    return isinstance(reader, LengthReader) and reader.length == 0 and not req.body.failed

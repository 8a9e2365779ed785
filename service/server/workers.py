"""The gunicorn worker: gevent, with READ_TIMEOUT on every connection.

A greenlet per connection, not a thread: a client that sends its request a byte
now and then costs a little memory and one of WORKER_CONNECTIONS, not one of a few
threads, so slow clients cannot take the worker's attention from the others.
gunicorn already bounds the wait for each request's headers by `keepalive`; here
every read of a connection is bounded by READ_TIMEOUT, so a client that stalls in
the middle of a body is cut off too (the app answers 408).
"""

import gevent
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker as _GeventWorker

from service import settings


class GeventWorker(_GeventWorker):
    def init_process(self):
        self.read_timeout = settings.server()["READ_TIMEOUT"]
        super().init_process()

    def handle(self, listener, client, addr):
        # gunicorn's gevent handle() makes the socket block without a timeout; this
        # sets READ_TIMEOUT instead and goes on with the async worker's handle().
        client.settimeout(self.read_timeout)
        AsyncWorker.handle(self, listener, client, addr)

    def handle_request(self, listener_name, req, sock, addr):
        super().handle_request(listener_name, req, sock, addr)
        # A kept-alive client whose next request is already in the socket would be read
        # again at once, ahead of every other connection: under saturation a few
        # connections got served and the rest waited for seconds. Yielding to the event
        # loop after each request serves the connections in turn.
        gevent.sleep(0)

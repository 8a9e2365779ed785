"""The gunicorn worker: gevent, with READ_TIMEOUT on every connection.

A greenlet per connection, not a thread: a client that sends its request a byte
now and then costs a little memory and one of WORKER_CONNECTIONS, not one of a few
threads, so slow clients cannot take the worker's attention from the others.
gunicorn already bounds the wait for each request's headers by `keepalive`; here
every read of a connection is bounded by READ_TIMEOUT, so a client that stalls in
the middle of a body is cut off too (the app answers 408).
"""

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

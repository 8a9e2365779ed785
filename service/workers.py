"""The gunicorn worker: gthread, with connection closes kept off its main loop.

gunicorn's gthread worker closes a finished connection on its main thread, and
closes "gracefully": it waits up to 2 s for the client to close its side first. A
client that stalls on purpose never does, so every connection cut off by
READ_TIMEOUT froze the worker's main loop, which accepts and dispatches every
other connection, for 2 s; 8 such clients stopped a worker for 16 s. Here the
thread that served the connection does that closing, and the main loop goes on.
"""

from gunicorn.workers.gthread import ThreadWorker as GthreadWorker


class ThreadWorker(GthreadWorker):
    def handle(self, conn):
        keep_alive = super().handle(conn)
        if keep_alive is False:
            # The main thread's close that follows finds the socket closed and returns.
            conn.close(graceful=True)
        return keep_alive

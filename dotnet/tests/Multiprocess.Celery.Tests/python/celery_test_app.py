"""The Celery app the interop tests run real Python workers and clients with.

Broker and backend come from the environment so that each test run points it at its own redis-server.
"""
import os
import time

from celery import Celery

broker = os.environ["CELERY_TEST_BROKER"]
app = Celery("celery_test_app", broker=broker, backend=os.environ.get("CELERY_TEST_BACKEND", broker))
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    accept_content=["json", "pickle"],
    result_accept_content=["json", "pickle"],
    task_serializer=os.environ.get("CELERY_TEST_TASK_SERIALIZER", "json"),
    result_serializer=os.environ.get("CELERY_TEST_RESULT_SERIALIZER", "json"),
    task_track_started=True,
    broker_transport_options={"visibility_timeout": float(os.environ.get("CELERY_TEST_VISIBILITY", "3600"))},
)


@app.task(name="tests.add")
def add(x, y):
    return x + y


@app.task(name="tests.echo")
def echo(*args, **kwargs):
    return [list(args), kwargs]


@app.task(name="tests.fail")
def fail(message):
    raise ValueError(message)


@app.task(name="tests.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="mixed.whoami")
def whoami(i, seconds=0.02):
    time.sleep(seconds)
    return ["py", i]


@app.task(name="tests.xsum")
def xsum(numbers, *more):
    return sum(numbers) + sum(more)


@app.task(name="multiprocess.whoami", bind=True)
def py_whoami(self, *args):
    # The C# worker's built-in of the same name answers ["cs", ...]: a mixed Map tells who ran each task.
    return ["py", self.request.hostname, os.getpid(), *args]

"""A Python Celery client driven by the tests: celery_client.py COMMAND ... prints one JSON line.

  send NAME ARGS_JSON [SERIALIZER] [QUEUE]   send_task, wait, print {"state", "result"} (repr for non-JSON results)
  echo-pickle NAME QUEUE                     send non-JSON values with pickle, print whether the result equals them
  chain CS_QUEUE PY_QUEUE                    chain(cs.sum(1, 2) | tests.add(10)), print both results
  many NAME COUNT [QUEUE]                    send COUNT tasks with args (i,), wait all, print the results
"""
import json
import sys

from celery_test_app import app


def _plain(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return {"repr": repr(value)}


def main(argv):
    command = argv[1]
    if command == "send":
        name, args = argv[2], json.loads(argv[3])
        serializer = argv[4] if len(argv) > 4 else "json"
        queue = argv[5] if len(argv) > 5 else "celery"
        r = app.send_task(name, args=args, serializer=serializer, queue=queue)
        try:
            value = r.get(timeout=30)
            print(json.dumps({"state": r.state, "result": _plain(value), "type": type(value).__name__}))
        except Exception as e:  # the test reads the failure
            print(json.dumps({"state": r.state, "error": type(e).__name__, "message": str(e)}))
    elif command == "echo-pickle":
        # Values JSON cannot carry: they must come back from the C# worker equal, types included.
        args = (b"\x00\xff", (1, 2), 2 ** 70, 1.5, None, "\u00e9", {"k": [True]}, bytearray(b"ba"))
        r = app.send_task(argv[2], args=args, serializer="pickle", queue=argv[3])
        value = r.get(timeout=30)
        print(json.dumps({"state": r.state, "equal": value == list(args), "repr": repr(value)}))
    elif command == "chain":
        # cs.sum on the C# worker's queue, then tests.add on a Python worker: the C# worker sends the second step.
        from celery import chain
        r = chain(app.signature("cs.sum", args=(1, 2), queue=argv[2]), app.signature("tests.add", args=(10,), queue=argv[3])).apply_async()
        print(json.dumps({"state": "SENT", "result": r.get(timeout=30), "parent": r.parent.get(timeout=5)}))
    elif command == "many":
        name, count = argv[2], int(argv[3])
        queue = argv[4] if len(argv) > 4 else "celery"
        results = [app.send_task(name, args=(i,), queue=queue) for i in range(count)]
        print(json.dumps([r.get(timeout=60) for r in results]))
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)

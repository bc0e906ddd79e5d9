"""The engine in a manager server process of its own: what Manager() uses under the fork start method.

CPython's Manager() forks a server process; a fork-style program (no `if __name__ == "__main__"` guard, module state
its children inherit) relies on that. Loading .NET into such a program would forbid its forks (_forksafety), so under
'fork' the shim starts `_engine/multiprocess-dotnet-server` instead: a few KiB launcher that loads the engine's native
library and serves (dotnet/src/Multiprocess.Interop/ServerProcess.cs). This process never loads the engine.

Two socket pairs, one end of each passed to the server as an inherited fd, both framed as the Python host's pipes
(_pyhost._Channel: length, request id, payload):

- control: this process sends the same control verbs as the in-process engine (_engine.py: server_open, which
  makes, registers and starts a server in one round trip, server_info, server_shutdown), one at a time; a reply is
  a status byte (0 result, 1 exception) and a pickle;
- host: the server sends the Python referent requests (Pool, Barrier actions, type ids registered with a Python
  callable: docs/python-host.md) and this process runs each on a thread of its own (_pyhost._Serving), with the same
  Referents table as the in-process engine.

The server process ends when its server stops (a client's shutdown, or ours) or when this process goes (the control
socket closes): a killed program leaves no server behind. Forked children close their copies of both sockets.
Manager() spawns the process before it imports multiprocessing.managers (_start.py), so that it boots meanwhile.
"""
import os
import pickle
import socket
import threading
import time
import weakref

from . import _flavour, _pyhost, _start

__all__ = ["ServerProcess", "ServerProcessError"]

_live = weakref.WeakSet()


class ServerProcessError(RuntimeError):
    """The server process could not start, or ended while a request was in flight; the message says which."""


class ServerProcess:
    """One server process (one manager server in it): the control calls of the in-process engine, over a socket."""

    how = "process"

    def __init__(self, library="multiprocessing"):
        self._codec = _flavour.codec(library)       # the pickler of the manager's library (dill for multiprocess)
        launch = _start.take_launch() or _start.Launch()     # begun by Manager() (_start.py), or now
        self.owner_pid = launch.owner_pid
        self.pid = launch.pid
        self.launcher = launch.launcher
        self._control = control = launch.control
        self._host = host = launch.host
        self._channel = _pyhost._Channel(control.fileno())
        self._lock = threading.Lock()
        self._next_id = 0
        self._returncode = None
        self._referents = _pyhost.Referents()
        self._replies = _pyhost._Replies(host.fileno())
        self._serving = _pyhost._Serving(_pyhost._Channel(host.fileno()), self._run_referent)
        self._serving.spawn()                        # a daemon thread that reads the server's requests (see _Serving)
        _live.add(self)

    # -- the engine's interface (_engine._Engine) ---------------------------------------------------------------
    def call(self, *request):
        """Runs one control verb in the server process and returns its result, or raises what it sent back."""
        if os.getpid() != self.owner_pid:
            raise ServerProcessError("the manager server process %d belongs to process %d; this forked child (%d) "
                                     "reaches it through the manager's proxies only" % (self.pid, self.owner_pid,
                                                                                         os.getpid()))
        with self._lock:
            self._next_id += 1
            rid = self._next_id
            try:
                _send(self._control.fileno(), rid, pickle.dumps(request, protocol=4))
                got, payload = self._channel.recv()
            except OSError:
                got, payload = None, None
        if payload is None:
            raise ServerProcessError("the manager server process %d (%s) %s while running %r"
                                     % (self.pid, self.launcher, self._describe_end(), request[0]))
        value = pickle.loads(payload[1:])
        if payload[0]:
            raise value
        return value

    def register_python_types(self, server, callables, library="multiprocessing"):
        self._referents.register(server, callables)

    def forget_server(self, server):
        self._referents.forget(server)

    # -- the process -----------------------------------------------------------------------------------------------
    def poll(self):
        """The exit status once the process ended (reaped here), else None."""
        if self._returncode is None and os.getpid() == self.owner_pid:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid:
                self._returncode = _exit_code(status)
        return self._returncode

    def wait(self, timeout=None):
        """Waits for the process to end (its server stopped); returns whether it did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, 0.05)
        return True

    def close(self, timeout=5.0):
        """After server_shutdown: the process ends by itself; killed if it has not within `timeout`."""
        if os.getpid() != self.owner_pid:
            return
        for s in (self._control, self._host):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if not self.wait(timeout):
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            self.wait()
        self._control.close()
        self._host.close()
        self._referents.clear()

    def _describe_end(self):
        self.wait(2.0)
        code = self.poll()
        if code is None:
            return "closed its control socket"
        if code < 0:
            return "was killed by signal %d" % -code
        return "exited with status %d (its error, if any, is on stderr above)" % code

    def _run_referent(self, rid, payload):
        """One request of the server, on a serving thread (_pyhost._Serving): as a host process runs it."""
        try:
            status, data = 0, self._codec.dumps(self._referents.run(self._codec.loads(payload)))
        except BaseException as e:               # every failure is a reply: the client gets it as a Python error
            status, data = _pyhost._dump_exception(e, self._codec.dumps)
        try:
            self._replies.send(rid, status, bytes(data))
        except OSError:
            pass                                  # the server is gone


def _send(fd, rid, payload):
    """One request frame (_pyhost's framing: length, request id, pickle)."""
    data = memoryview(_pyhost._HEADER.pack(len(payload), rid) + payload)
    while data:
        data = data[os.write(fd, data):]


def _exit_code(status):
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _after_fork_in_child():
    """A forked child keeps no copy of the sockets: the server must see the owner's end close when the owner goes."""
    for server in list(_live):
        for s in (server._control, server._host):
            try:
                s.close()
            except OSError:
                pass
    _live.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

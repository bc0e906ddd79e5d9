"""Where the engine's files are, and the errors about them; cheap to import (no ctypes), for both server modes."""
import os

__all__ = ["ENGINE_DIR", "NATIVE_LIBRARY", "LAUNCHER", "library_path", "launcher_path", "EngineError",
           "EngineLoadError"]

ENGINE_DIR = os.environ.get("MULTIPROCESS_DOTNET_ENGINE") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                          "_engine")
NATIVE_LIBRARY = "Multiprocess.Interop.so"
LAUNCHER = "multiprocess-dotnet-server"       # loads the library as a server process (_server_process.py)


class EngineError(RuntimeError):
    """The engine cannot be used here (a forked child, or after interpreter shutdown began)."""


class EngineLoadError(ImportError):
    """The native engine library is missing or cannot be loaded; the message names the file and the reason."""


def library_path():
    """The native engine library this package loads."""
    return os.path.join(ENGINE_DIR, NATIVE_LIBRARY)


def launcher_path():
    """The program that runs the library as a manager server process."""
    return os.path.join(ENGINE_DIR, LAUNCHER)

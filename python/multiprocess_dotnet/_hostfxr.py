"""Starting .NET inside this CPython with ctypes only: the hostfxr native hosting API, for `clr()` (pythonnet) only.

The managers never come here: their engine is the Native AOT library (_engine.py). The `pythonnet` Python package (and its clr_loader) cannot be installed on every machine, so the shim carries its own
bootstrap (shared/notes/pythonnet.md, "Starting .NET inside CPython with ctypes only"):

    1. find the dotnet root and its highest host/fxr/<version>/libhostfxr.so
    2. hostfxr_set_error_writer            (failures come with text)
    3. hostfxr_initialize_for_runtime_config(our runtimeconfig.json: net10.0, W^X off)
    4. hostfxr_get_runtime_delegate        type 7 load_assembly, type 6 get_function_pointer
    5. load_assembly(each engine dll); get_function_pointer(type, method, UNMANAGEDCALLERSONLY_METHOD)

Types 7 + 6 load into the default AssemblyLoadContext, so pythonnet (started later, or by the user) sees the same
statics as our function pointers; type 5 would load a private copy.
"""
import ctypes
import glob
import os
import shutil

__all__ = ["HostfxrError", "find_dotnet_root", "Runtime"]

_HDT_GET_FUNCTION_POINTER = 6
_HDT_LOAD_ASSEMBLY = 7
_UNMANAGEDCALLERSONLY_METHOD = ctypes.c_char_p(-1 & (2 ** (8 * ctypes.sizeof(ctypes.c_void_p)) - 1))
_STATUS_TEXT = {
    0x80008096: "the framework Microsoft.NETCore.App 10.0 is not installed",
    0x800080A5: "a different, incompatible .NET runtime is already loaded in this process",
    0x80008083: "hostfxr cannot be loaded",
    0x8000809A: "the runtimeconfig.json is invalid",
}


class HostfxrError(ImportError):
    """.NET could not be started or the engine could not be loaded; the message says which step and why."""


def _version_key(name):
    return tuple(int(p) if p.isdigit() else -1 for p in name.replace("-", ".").split("."))


def _candidate_roots():
    for var in ("DOTNET_ROOT_X64", "DOTNET_ROOT"):
        if os.environ.get(var):
            yield os.environ[var]
    exe = shutil.which("dotnet")
    if exe:
        yield os.path.dirname(os.path.realpath(exe))
    yield from ("/usr/share/dotnet", "/usr/lib/dotnet", "/usr/local/share/dotnet", os.path.expanduser("~/.dotnet"))


def find_dotnet_root():
    """Returns (dotnet_root, path of the highest libhostfxr.so) or raises HostfxrError naming every folder tried."""
    tried = []
    for root in _candidate_roots():
        if root in tried:
            continue
        tried.append(root)
        fxrs = glob.glob(os.path.join(root, "host", "fxr", "*", "libhostfxr.so"))
        if fxrs:
            fxrs.sort(key=lambda p: _version_key(os.path.basename(os.path.dirname(p))))
            return root, fxrs[-1]
    raise HostfxrError("the .NET runtime was not found (no host/fxr/*/libhostfxr.so under %s); install the .NET 10 "
                       "runtime or set DOTNET_ROOT" % ", ".join(tried))


class _InitParameters(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("host_path", ctypes.c_char_p), ("dotnet_root", ctypes.c_char_p)]


_ERROR_WRITER = ctypes.CFUNCTYPE(None, ctypes.c_char_p)


class Runtime:
    """The .NET runtime in this process, started from a runtimeconfig.json; loads assemblies, finds entry points."""

    def __init__(self, runtime_config):
        self.dotnet_root, self.hostfxr_path = find_dotnet_root()
        fxr = ctypes.CDLL(self.hostfxr_path)
        self._messages = []
        self._writer = _ERROR_WRITER(lambda text: self._messages.append(text.decode("utf-8", "replace")))
        fxr.hostfxr_set_error_writer.restype = ctypes.c_void_p
        fxr.hostfxr_set_error_writer.argtypes = [_ERROR_WRITER]
        fxr.hostfxr_set_error_writer(self._writer)
        fxr.hostfxr_initialize_for_runtime_config.restype = ctypes.c_uint32
        fxr.hostfxr_initialize_for_runtime_config.argtypes = [ctypes.c_char_p, ctypes.POINTER(_InitParameters),
                                                              ctypes.POINTER(ctypes.c_void_p)]
        fxr.hostfxr_get_runtime_delegate.restype = ctypes.c_uint32
        fxr.hostfxr_get_runtime_delegate.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
        fxr.hostfxr_close.argtypes = [ctypes.c_void_p]

        params = _InitParameters(ctypes.sizeof(_InitParameters), None, os.fsencode(self.dotnet_root))
        handle = ctypes.c_void_p()
        rc = fxr.hostfxr_initialize_for_runtime_config(os.fsencode(runtime_config), ctypes.byref(params),
                                                       ctypes.byref(handle))
        if rc not in (0, 1, 2):     # 1: already running (compatible), 2: running with other properties
            self._fail("hostfxr_initialize_for_runtime_config(%s)" % runtime_config, rc)
        try:
            self._load_assembly = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p)(
                self._delegate(fxr, handle, _HDT_LOAD_ASSEMBLY))
            self._get_function_pointer = ctypes.CFUNCTYPE(
                ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p,
                ctypes.POINTER(ctypes.c_void_p))(self._delegate(fxr, handle, _HDT_GET_FUNCTION_POINTER))
        finally:
            fxr.hostfxr_close(handle)
        fxr.hostfxr_set_error_writer(_ERROR_WRITER())
        self._fxr = fxr

    def _delegate(self, fxr, handle, kind):
        out = ctypes.c_void_p()
        rc = fxr.hostfxr_get_runtime_delegate(handle, kind, ctypes.byref(out))
        if rc != 0 or not out.value:
            self._fail("hostfxr_get_runtime_delegate(type %d)" % kind, rc)
        return out.value

    def _fail(self, step, rc):
        rc &= 0xFFFFFFFF
        why = _STATUS_TEXT.get(rc, "")
        detail = " ".join(m.strip() for m in self._messages[-3:])
        raise HostfxrError("%s failed with 0x%08X%s%s" % (step, rc, " (%s)" % why if why else "",
                                                         ": " + detail if detail else ""))

    def load_assembly(self, path):
        rc = self._load_assembly(os.fsencode(path), None, None)
        if rc != 0:
            self._fail("load_assembly(%s)" % path, rc)

    def function_pointer(self, type_name, method, delegate_type=_UNMANAGEDCALLERSONLY_METHOD):
        """Address of a static method: [UnmanagedCallersOnly] by default, or one with a delegate type (None: the
        default ComponentEntryPoint `int (IntPtr, int)`)."""
        out = ctypes.c_void_p()
        rc = self._get_function_pointer(type_name.encode(), method.encode(), delegate_type, None, None,
                                        ctypes.byref(out))
        if rc != 0 or not out.value:
            self._fail("get_function_pointer(%s, %s)" % (type_name, method), rc)
        return out.value

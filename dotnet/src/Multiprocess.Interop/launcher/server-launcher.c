/* multiprocess-dotnet-server: the shim's manager server as a process of its own (docs/native.md, "Fork").
 *
 *   multiprocess-dotnet-server LIBRARY CONTROL_FD HOST_FD OWNER_PID
 *
 * Loads the engine's native library (Multiprocess.Interop.so, Native AOT) and runs its mpd_serve export, which serves
 * the control requests the owner sends on CONTROL_FD and runs Python referents through HOST_FD
 * (dotnet/src/Multiprocess.Interop/ServerProcess.cs). A program of its own rather than the CLI: a few KiB in the wheel,
 * next to the library it loads. Built by wheels/build.sh with the same compiler as the library's link step.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static int parse_int(const char *text, const char *what)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || end == text || value < 0 || value > INT_MAX) {
        fprintf(stderr, "multiprocess-dotnet-server: %s '%s' is not a number\n", what, text);
        exit(2);
    }
    return (int)value;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: multiprocess-dotnet-server LIBRARY CONTROL_FD HOST_FD OWNER_PID\n");
        return 2;
    }
    int control = parse_int(argv[2], "CONTROL_FD");
    int host = parse_int(argv[3], "HOST_FD");
    int owner = parse_int(argv[4], "OWNER_PID");
    /* As CPython's manager server process (Lib/multiprocessing/managers.py, BaseManager._run_server): Ctrl-C in the
       terminal reaches the whole process group; the owner handles it and shuts the server down. */
    signal(SIGINT, SIG_IGN);
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        fprintf(stderr, "multiprocess-dotnet-server: cannot load %s: %s\n", argv[1], dlerror());
        return 127;
    }
    int (*serve)(int, int, int) = (int (*)(int, int, int))dlsym(library, "mpd_serve");
    if (!serve) {
        fprintf(stderr, "multiprocess-dotnet-server: %s has no mpd_serve: %s\n", argv[1], dlerror());
        return 127;
    }
    return serve(control, host, owner);
}

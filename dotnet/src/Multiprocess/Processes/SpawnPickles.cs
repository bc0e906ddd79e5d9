using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Processes;

/// <summary>
/// The two pickles a spawned child reads from its pipe (docs/protocols.md §8.1–8.3): the preparation data dict, then the
/// Process object (<c>context.SpawnProcess</c>, NEWOBJ + BUILD of its <c>__dict__</c>), in CPython's key order.
/// </summary>
internal static class SpawnPickles
{
    /// <summary><c>multiprocessing.process.AuthenticationString(key)</c>: REDUCE with the bytes (§2.5).</summary>
    public static PyReduce AuthenticationString(string package, byte[] key) =>
        new(PickledShapes.Global(package, "process", "AuthenticationString"), PyTuple.Create(key));

    /// <summary>spawn.get_preparation_data: <c>log_to_stderr, authkey, name, [sys_path,] orig_dir, dir, start_method</c>.
    /// <c>sys_path</c> is sent only when given (a Python parent's forkserver, whose children would otherwise keep the
    /// server's): otherwise the child keeps its own and extra paths go through PYTHONPATH. <c>sys_argv</c> is left
    /// out, and <c>init_main_from_*</c> too, as a C# parent has no <c>__main__</c> module to re-run.</summary>
    public static PyDict PreparationData(string package, string name, byte[] authKey, string directory, string startMethod, IReadOnlyList<string>? sysPath = null)
    {
        var data = new PyDict
        {
            ["log_to_stderr"] = false,
            ["authkey"] = AuthenticationString(package, authKey),
            ["name"] = name,
        };
        if (sysPath is not null)
        {
            data["sys_path"] = sysPath.Select(p => (object?)p).ToList();
        }

        data["orig_dir"] = directory;
        data["dir"] = directory;
        data["start_method"] = startMethod;
        return data;
    }

    /// <summary>The Process object (<paramref name="className"/>: <c>SpawnProcess</c> or <c>ForkServerProcess</c> of
    /// <c>context</c>) with BaseProcess.__init__'s attributes, in their order: <c>_identity, _config, _parent_pid, _parent_name,
    /// _popen, _closed, _target, _args, _kwargs, _name</c>; <c>_config</c> holds <c>authkey, semprefix</c> and, when set,
    /// <c>daemon</c>.</summary>
    public static PyReduce ProcessObject(
        string package, string className, IReadOnlyList<int> identity, byte[] authKey, bool? daemon, PyGlobal target, PyTuple args, PyDict kwargs, string name)
    {
        var config = new PyDict
        {
            ["authkey"] = AuthenticationString(package, authKey),
            ["semprefix"] = "/mp",
        };
        if (daemon is { } d)
        {
            config["daemon"] = d;
        }

        var state = new PyDict
        {
            ["_identity"] = new PyTuple(identity.Select(i => (object?)(long)i).ToArray()),
            ["_config"] = config,
            ["_parent_pid"] = (long)Environment.ProcessId,
            ["_parent_name"] = CurrentProcess.Name,
            ["_popen"] = null,
            ["_closed"] = false,
            ["_target"] = target,
            ["_args"] = args,
            ["_kwargs"] = kwargs,
            ["_name"] = name,
        };
        return PyReduce.NewObj(PickledShapes.Global(package, "context", className), state: state);
    }

    /// <summary>Parses <c>module:qualname</c>: the colon makes the split between the module to import and the
    /// attribute path explicit (<c>pkg.mod:Class.method</c>).</summary>
    /// <exception cref="ArgumentException">The text is not <c>module:qualname</c>.</exception>
    public static PyGlobal Target(string function, string paramName)
    {
        ArgumentNullException.ThrowIfNull(function, paramName);
        var colon = function.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == function.Length - 1 || function.IndexOf(':', colon + 1) >= 0
            || function.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException(
                $"'{function}' is not a Python function name of the form 'module:qualname' (e.g. 'math:factorial' or 'pkg.mod:Class.method')",
                paramName);
        }

        return new PyGlobal(function[..colon], function[(colon + 1)..]);
    }
}

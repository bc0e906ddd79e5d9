using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>
/// CPython's <c>Server.id_to_obj</c>, <c>id_to_refcount</c> and <c>id_to_local_proxy_obj</c>, with the same rules:
/// <c>create</c> adds the object with refcount 0 and increfs it; <c>decref</c> to 0 drops it; decref of an ident
/// that only survives as a proxy stored inside the server is a no-op and a later <c>incref</c> revives it;
/// nothing is released when a client disconnects. Lookups for method calls take no lock.
/// </summary>
internal sealed class ObjectTable
{
    private readonly object _mutex = new();
    private readonly ConcurrentDictionary<string, SharedEntry> _idToObj = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _idToRefcount = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SharedEntry> _idToLocalProxyObj = new(StringComparer.Ordinal);
    private readonly Dictionary<object, string> _identOf = new(ReferenceEqualityComparer.Instance);
    private int _version;

    /// <summary>Gets <c>number_of_objects()</c>: <c>len(id_to_refcount)</c>.</summary>
    public int NumberOfObjects
    {
        get
        {
            lock (_mutex)
            {
                return _idToRefcount.Count;
            }
        }
    }

    /// <summary>
    /// Registers an object made for <paramref name="type"/> and increfs it; returns <c>(ident, exposed)</c>. The exposed
    /// names are those of the creating client's <paramref name="dialect"/>, kept with the object as CPython keeps them.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "ReflectedObjects.IsSupported is false in the only trimmed build (Native AOT), whose compiler removes the reflection branch.")]
    public (string Ident, PyTuple Exposed) Add(TypeIdEntry type, object? made, ManagerDialect dialect = ManagerDialect.Python38)
    {
        var original = made ?? new DataReferent(null);
        var obj = original as ISharedObject ?? (ReflectedObjects.IsSupported
            ? new ReflectedObject(original)
            : throw new NotSupportedException($"Type id '{type.TypeId}' made a {original.GetType().FullName}, which is not an ISharedObject: serving plain C# objects by reflection is not part of this build (Native AOT); implement ISharedObject"));
        var exposed = type.FixedExposedFor(dialect) ?? ExposedNames.Build(obj.PublicMethods(), type.MethodToTypeid);

        string ident;
        lock (_mutex)
        {
            if (!_identOf.TryGetValue(original, out ident!))
            {
                ident = original is Referent r ? r.Ident : Referent.NewId().ToString("x", CultureInfo.InvariantCulture);
                _identOf[original] = ident;
            }

            _idToObj[ident] = new SharedEntry(ident, type.TypeId, original, obj, exposed.Set, type.MethodToTypeid);
            Changed();
            _idToRefcount.TryAdd(ident, 0);
        }

        Incref(ident);
        return (ident, exposed.Tuple);
    }

    /// <summary>
    /// Gets a number that changes after every change of what <see cref="TryGet"/> finds (an object added, replaced or
    /// dropped): an entry found while it had a value is still the one to call while it has it (<see cref="LastCalled"/>).
    /// </summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Finds the object a method call names: <c>id_to_obj</c>, then <c>id_to_local_proxy_obj</c>.</summary>
    public bool TryGet(string ident, out SharedEntry entry) =>
        _idToObj.TryGetValue(ident, out entry!) || _idToLocalProxyObj.TryGetValue(ident, out entry!);

    /// <exception cref="KeyNotFoundException">Unknown ident (CPython: KeyError).</exception>
    public void Incref(string ident)
    {
        lock (_mutex)
        {
            if (_idToRefcount.TryGetValue(ident, out var count))
            {
                _idToRefcount[ident] = count + 1;
            }
            else if (_idToLocalProxyObj.TryGetValue(ident, out var local))
            {
                // Only a proxy stored inside the server still refers to it: track it again.
                _idToRefcount[ident] = 1;
                _idToObj[ident] = local;
                Changed();
                _identOf[local.Original] = ident;
            }
            else
            {
                throw new KeyNotFoundException(ident);
            }
        }
    }

    /// <exception cref="KeyNotFoundException">Unknown ident (CPython: KeyError).</exception>
    /// <exception cref="PyRaisedException">Refcount already 0 (CPython: AssertionError).</exception>
    public void Decref(string ident)
    {
        IDisposable? dropped = null;
        lock (_mutex)
        {
            if (!_idToRefcount.TryGetValue(ident, out var count))
            {
                if (_idToLocalProxyObj.ContainsKey(ident))
                {
                    return;
                }

                throw new KeyNotFoundException(ident);
            }

            if (count <= 0)
            {
                throw new PyRaisedException(PyException.Builtin(
                    "AssertionError", $"Id {ident} ({DescribeLocked(ident)}) has refcount {count}, not 1+"));
            }

            if (count > 1)
            {
                _idToRefcount[ident] = count - 1;
                return;
            }

            _idToRefcount.Remove(ident);
            var removed = _idToObj.TryRemove(ident, out var entry);
            Changed();
            if (removed && entry is not null && !_idToLocalProxyObj.ContainsKey(ident))
            {
                _identOf.Remove(entry.Original);
                dropped = entry.Object as IDisposable;
            }
        }

        // Outside the lock: a referent that lives elsewhere (a Python object behind the in-process shim) may take
        // another lock (the GIL) to let go of it, and a thread holding that lock may be waiting for this table.
        dropped?.Dispose();
    }

    /// <summary>
    /// A proxy for <paramref name="ident"/> arrived inside a request (it is being stored in another shared object):
    /// as CPython's <c>RebuildProxy</c> in the server process, keep the object alive from now on.
    /// </summary>
    public bool MarkLocalProxy(string ident)
    {
        if (_idToLocalProxyObj.ContainsKey(ident))
        {
            return true;
        }

        lock (_mutex)
        {
            if (_idToObj.TryGetValue(ident, out var entry))
            {
                _idToLocalProxyObj.TryAdd(ident, entry);
                Changed();
                return true;
            }
        }

        return false;
    }

    /// <summary>After the change (not before: a lookup between the two would be taken for current).</summary>
    private void Changed() => Interlocked.Increment(ref _version);

    /// <summary><c>get_methods(token)</c>: <c>tuple(id_to_obj[token.id][1])</c>.</summary>
    /// <exception cref="KeyNotFoundException">Unknown ident.</exception>
    public PyTuple GetMethods(string ident) =>
        _idToObj.TryGetValue(ident, out var entry) ? entry.ExposedTuple() : throw new KeyNotFoundException(ident);

    /// <summary><c>debug_info()</c>: sorted idents with refcounts and the first 75 characters of <c>str(obj)</c>.</summary>
    public string DebugInfo()
    {
        List<(string Ident, long Count)> rows;
        lock (_mutex)
        {
            rows = [.. _idToRefcount.Select(kv => (kv.Key, kv.Value))];
        }

        rows.Sort((a, b) => string.CompareOrdinal(a.Ident, b.Ident));
        var sb = new StringBuilder();
        foreach (var (ident, count) in rows)
        {
            var text = _idToObj.TryGetValue(ident, out var e) ? SafeStr(e.Object) : "None";
            if (sb.Length > 0)
            {
                sb.Append('\n');
            }

            sb.Append(CultureInfo.InvariantCulture, $"  {ident}:       refcount={count}\n    {Truncate(text, 75)}");
        }

        return sb.ToString();
    }

    /// <summary>Every live object, for shutdown.</summary>
    public IEnumerable<SharedEntry> Entries => _idToObj.Values.Concat(_idToLocalProxyObj.Values).Distinct();

    private static string SafeStr(ISharedObject obj)
    {
        try
        {
            return obj.Str();
        }
        catch (Exception e)
        {
            return $"<str() failed: {e.Message}>";
        }
    }

    /// <summary>Python's <c>s[:n]</c>, counting code points.</summary>
    private static string Truncate(string s, int n)
    {
        if (s.Length <= n)
        {
            return s;
        }

        var cut = 0;
        for (var count = 0; count < n && cut < s.Length; count++)
        {
            cut += cut + 1 < s.Length && char.IsSurrogatePair(s[cut], s[cut + 1]) ? 2 : 1;
        }

        return s[..cut];
    }

    private string DescribeLocked(string ident) =>
        _idToObj.TryGetValue(ident, out var e) ? $"({e.Object.Repr()}, ...)" : "None";
}

using System.Globalization;
using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// Base of the built-in shared objects. Each gets an address-like identity at construction, standing for CPython's
/// <c>id(obj)</c>: it is the object's ident on the wire (<c>'%x' % id(obj)</c>) and the <c>0x…</c> in its repr.
/// </summary>
internal abstract class Referent : ISharedObject
{
    // Looks like a CPython heap address; advanced per object so idents are unique and never reused. The start is
    // random per process: a server restarted on the same address must not hand out the idents of the one before,
    // or an old proxy's finalizer (decref through a new connection) would release a new client's object.
    private static long s_nextId = 0x7f00_0000_0000 + (Random.Shared.NextInt64(1L << 32) << 8);

    protected Referent() => Id = Interlocked.Add(ref s_nextId, 0x60);

    /// <summary>Gets the stand-in for <c>id(obj)</c>.</summary>
    public long Id { get; }

    /// <summary>Gets the ident: <c>'%x' % id(obj)</c>.</summary>
    public string Ident => Id.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Gets <c>0x…</c> as repr prints the address.</summary>
    public string Address => "0x" + Ident;

    public static long NewId() => Interlocked.Add(ref s_nextId, 0x60);

    public virtual bool HasMethod(string name) => true;

    public abstract object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context);

    /// <summary>The value for <c>#GETVALUE</c>; objects that hold locks are unpicklable in CPython too.</summary>
    public virtual object? GetValue() => throw UnserializableException.ThreadLock();

    public abstract string Repr();

    public virtual string Str() => Repr();

    public virtual IEnumerable<string> PublicMethods() => [];

    /// <summary>What CPython's <c>getattr</c> failure would say, for a name in the exposed list the object lacks.</summary>
    protected static Exception NoSuchMethod(string typeName, string name) =>
        PyErrors.AttributeError($"'{typeName}' object has no attribute '{name}'");
}

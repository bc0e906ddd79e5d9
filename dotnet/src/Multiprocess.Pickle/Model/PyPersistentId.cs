namespace Multiprocess.Pickle;

/// <summary>
/// A persistent reference (PERSID / BINPERSID) kept as data: what <see cref="UnpickleOptions.PersistentLoad"/> may
/// return to keep the reference, and what the pickler writes back as BINPERSID (PERSID for a str id at protocol 0).
/// </summary>
/// <param name="id">The persistent id.</param>
public sealed class PyPersistentId(object? id)
{
    /// <summary>Gets the persistent id.</summary>
    public object? Id { get; } = id;

    /// <summary>Returns a readable form.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => "<persistent id " + PyRepr.Repr(Id) + ">";
}

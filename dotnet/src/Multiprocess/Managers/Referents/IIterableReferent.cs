namespace Multiprocess.Managers.Referents;

/// <summary>A shared object a request may iterate when it passes the object's proxy back to this server (e.g. <c>l.extend(other_list_proxy)</c>).</summary>
internal interface IIterableReferent
{
    /// <summary>A consistent copy of the items, taken under the object's lock.</summary>
    List<object?> Snapshot();
}

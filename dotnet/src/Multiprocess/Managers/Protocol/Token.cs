using Multiprocess.Connection;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Managers.Protocol;

/// <summary>
/// Identifies a shared object in a manager: Python's <c>multiprocessing.managers.Token(typeid, address, id)</c>.
/// On the wire it is <c>NEWOBJ Token</c> then <c>BUILD (typeid, address, id)</c> (docs/protocols.md §3.5–3.6).
/// </summary>
public sealed class Token
{
    private static readonly PyGlobal s_multiprocessingToken = ManagerModules.Global(ManagerLibrary.Multiprocessing, "Token");
    private static readonly PyGlobal s_multiprocessToken = ManagerModules.Global(ManagerLibrary.Multiprocess, "Token");

    /// <summary>Initializes a new instance of the <see cref="Token"/> class.</summary>
    /// <param name="typeId">The type id the object was registered under (e.g. <c>dict</c>).</param>
    /// <param name="address">The manager's address.</param>
    /// <param name="id">The object's id in the manager (lowercase hex of its CPython address).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public Token(string typeId, ConnectionAddress address, string id)
        : this(typeId, address, PickledAddress.ToPython(address ?? throw new ArgumentNullException(nameof(address))), id)
    {
    }

    internal Token(string typeId, ConnectionAddress address, object pythonAddress, string id)
    {
        ArgumentNullException.ThrowIfNull(typeId);
        ArgumentNullException.ThrowIfNull(id);
        TypeId = typeId;
        Address = address;
        PythonAddress = pythonAddress;
        Id = id;
    }

    /// <summary>Gets the type id (Python's <c>token.typeid</c>).</summary>
    public string TypeId { get; }

    /// <summary>Gets the manager's address.</summary>
    public ConnectionAddress Address { get; }

    /// <summary>Gets the address as the Python object kept in the token (a <see cref="PyTuple"/>, a path <c>string</c>, or <c>byte[]</c> for an abstract name), written back unchanged.</summary>
    public object PythonAddress { get; }

    /// <summary>Gets the object's id in the manager (Python's <c>token.id</c>).</summary>
    public string Id { get; }

    /// <summary>Returns Python's repr, <c>Token(typeid='dict', address=('127.0.0.1', 5000), id='7f…')</c>.</summary>
    /// <returns>The repr text.</returns>
    public override string ToString() =>
        $"Token(typeid={PyRepr.Repr(TypeId)}, address={PyRepr.Repr(PythonAddress)}, id={PyRepr.Repr(Id)})";

    /// <summary>Reads a token from its pickled form (a NEWOBJ of <c>multiprocessing.managers.Token</c> or <c>multiprocess.managers.Token</c>).</summary>
    /// <param name="value">The value read from a pickle.</param>
    /// <returns>The token.</returns>
    /// <exception cref="ArgumentException">The value is not a token; the message shows it.</exception>
    public static Token FromPython(object? value)
    {
        if (value is Token token)
        {
            return token;
        }

        if (TryRead(value, out var typeId, out var pythonAddress, out var id) && pythonAddress is not null)
        {
            return new Token(typeId, PickledAddress.FromPython(pythonAddress), pythonAddress, id);
        }

        throw new ArgumentException($"{PyRepr.Repr(value)} is not a manager Token (expected NEWOBJ managers.Token with state (typeid, address, id))", nameof(value));
    }

    /// <summary>Returns the pickled form Python's <c>Token.__reduce_ex__(4)</c> gives.</summary>
    /// <param name="library">Which package's <c>Token</c> class to name.</param>
    /// <returns>The reduce value.</returns>
    public PyReduce ToPython(ManagerLibrary library) => Write(library, TypeId, PythonAddress, Id);

    /// <summary>
    /// A token's pickled form from its three fields: NEWOBJ of <c>managers.Token</c> then BUILD with the state
    /// tuple <c>(typeid, address, id)</c> (<c>Token.__getstate__</c>). The server writes tokens this way without
    /// reading their address.
    /// </summary>
    internal static PyReduce Write(ManagerLibrary library, string typeId, object? pythonAddress, string id) =>
        PyReduce.NewObj(library == ManagerLibrary.Multiprocess ? s_multiprocessToken : s_multiprocessingToken, state: PyTuple.Create(typeId, pythonAddress, id));

    /// <summary>Reads a pickled token's three fields (either package's <c>Token</c>), leaving the address as Python wrote it.</summary>
    internal static bool TryRead(object? value, out string typeId, out object? pythonAddress, out string id)
    {
        if (value is PyReduce { ClassGlobal: { Name: "Token" } cls, State: PyTuple { Count: 3 } state }
            && ManagerModules.IsManagersModule(cls.Module)
            && state[0] is string t
            && state[2] is string i)
        {
            typeId = t;
            pythonAddress = state[1];
            id = i;
            return true;
        }

        typeId = id = "";
        pythonAddress = null;
        return false;
    }

    /// <summary>The same object at another address (what <c>_callmethod</c> does to a <c>#PROXY</c> token).</summary>
    internal Token WithAddress(ConnectionAddress address, object pythonAddress) => new(TypeId, address, pythonAddress, Id);
}

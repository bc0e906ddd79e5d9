namespace Multiprocess.Managers.Protocol;

/// <summary>
/// The first item of a manager's reply <c>(kind, result)</c> (docs/protocols.md §3.3): the server writes them,
/// the client reads them with CPython's <c>convert_to_error</c>.
/// </summary>
internal static class ReplyKind
{
    /// <summary><c>('#RETURN', value)</c>: the call returned.</summary>
    public const string Return = "#RETURN";

    /// <summary><c>('#ERROR', exception)</c>: the call raised; the result is the exception instance.</summary>
    public const string Error = "#ERROR";

    /// <summary><c>('#PROXY', (exposed, token))</c>: a <c>method_to_typeid</c> method returned a new shared object.</summary>
    public const string Proxy = "#PROXY";

    /// <summary><c>('#TRACEBACK', text)</c>: the server failed; the result is a <c>format_exc()</c> text.</summary>
    public const string Traceback = "#TRACEBACK";

    /// <summary><c>('#UNSERIALIZABLE', text)</c>: the server could not pickle its reply.</summary>
    public const string Unserializable = "#UNSERIALIZABLE";
}

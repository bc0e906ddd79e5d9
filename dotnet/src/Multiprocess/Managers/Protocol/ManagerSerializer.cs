namespace Multiprocess.Managers.Protocol;

/// <summary>
/// How manager requests and replies are encoded: the keys of CPython's <c>listener_client</c> table
/// (Lib/multiprocessing/managers.py), chosen by a manager's <c>serializer=</c> argument.
/// </summary>
public enum ManagerSerializer
{
    /// <summary><c>'pickle'</c>, the default: each message is a pickle (protocol 4 on 3.8–3.13, 5 on 3.14).</summary>
    Pickle,

    /// <summary>
    /// <c>'xmlrpclib'</c>: each message is an XML-RPC document (<c>connection.XmlListener</c>/<c>XmlClient</c>). Only
    /// what XML-RPC carries gets through: tuples arrive as lists, bytes as <c>xmlrpc.client.Binary</c>, ints are 32-bit,
    /// dict keys must be str; proxies cannot be returned (docs/xmlrpc.md).
    /// </summary>
    Xmlrpclib,
}

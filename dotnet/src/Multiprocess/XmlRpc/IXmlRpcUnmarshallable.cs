namespace Multiprocess.XmlRpc;

/// <summary>
/// A value that pickles as another type but that CPython's XML-RPC marshaller refuses: a dict view, which
/// multiprocessing's pickler sends as a list (managers.py registers <c>rebuild_as_list</c>) while
/// <c>xmlrpc.client</c> raises <c>TypeError: cannot marshal &lt;class 'dict_items'&gt; objects</c>.
/// </summary>
internal interface IXmlRpcUnmarshallable
{
    /// <summary>Gets the Python class named in the error, e.g. <c>dict_items</c>.</summary>
    string PythonClass { get; }
}

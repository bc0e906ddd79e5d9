using Multiprocess.XmlRpc;

namespace Multiprocess.Managers.Python;

/// <summary>
/// The result of <c>dict.keys()</c>, <c>values()</c>, <c>items()</c> in the server: pickled as the list it holds (as
/// managers.py's <c>rebuild_as_list</c> reducer sends a view), refused by the XML-RPC writer as CPython refuses a view.
/// </summary>
/// <param name="pythonClass"><c>dict_keys</c>, <c>dict_values</c> or <c>dict_items</c>.</param>
/// <param name="items">The view's items.</param>
internal sealed class DictView(string pythonClass, IEnumerable<object?> items) : List<object?>(items), IXmlRpcUnmarshallable
{
    public string PythonClass => pythonClass;
}

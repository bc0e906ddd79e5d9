using System.Numerics;
using System.Text;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;
using Multiprocess.XmlRpc;

namespace Multiprocess.Tests.XmlRpc;

/// <summary>
/// The codec against a real CPython's <c>multiprocessing.connection._xml_dumps</c> / <c>_xml_loads</c>: the same
/// values give the same bytes, each side loads the other's documents to equal values, and the values CPython cannot
/// marshal fail here with CPython's own error text.
/// </summary>
[TestFixture]
public class XmlRpcGoldenTests
{
    private const string Prelude = """
        import sys, datetime, decimal, uuid, time, xmlrpc.client
        from multiprocessing import connection, managers
        connection.xmlrpclib = xmlrpc.client

        """;

    /// <summary>Python expressions and the C# values the codec maps them to.</summary>
    private static readonly (string Python, object? CSharp)[] s_values =
    [
        ("None", null),
        ("True", true),
        ("False", false),
        ("0", 0L),
        ("-1", -1L),
        ("2**31 - 1", (long)int.MaxValue),
        ("-2**31", (long)int.MinValue),
        ("2.25", 2.25),
        ("1e16", 1e16),
        ("-0.0", -0.0),
        ("float('inf')", double.PositiveInfinity),
        ("0.1", 0.1),
        ("'hello world'", "hello world"),
        ("'hall\\xe5 v\\xe4rlden'", "hallå världen"),
        ("'\\u043f\\u0440\\u0438\\u0432\\u0456\\u0442'", "привіт"),
        ("'a<b&c>d \"q\" \\'s\\''", "a<b&c>d \"q\" 's'"),
        ("''", ""),
        ("'\\U0001F600 tab\\t nl\\n'", "\U0001F600 tab\t nl\n"),
        ("'   '", "   "),
        ("b'hall\\xe5 v\\xe4rlden'", Encoding.Latin1.GetBytes("hallå världen")),
        ("b''", Array.Empty<byte>()),
        ("bytes(range(256))", Enumerable.Range(0, 256).Select(i => (byte)i).ToArray()),
        ("[1, 'a', None]", new List<object?> { 1L, "a", null }),
        ("(1, (2, 3))", PyTuple.Create(1L, PyTuple.Create(2L, 3L))),
        ("[]", new List<object?>()),
        ("{'a': 1, 'b': [True], '<k>': {}}", new PyDict { ["a"] = 1L, ["b"] = new List<object?> { true }, ["<k>"] = new PyDict() }),
        ("datetime.datetime(2026, 12, 6, 9, 30, 15, 123456)", new DateTime(2026, 12, 6, 9, 30, 15).AddTicks(1_234_560)),
        ("datetime.datetime(999, 1, 2, 3, 4, 5)", new DateTime(999, 1, 2, 3, 4, 5)),
        ("xmlrpc.client.DateTime('20261206T09:30:15')", new XmlRpcDateTime("20261206T09:30:15")),
        ("{'k': [{'x': (1.5, b'z', None)}]}", new PyDict { ["k"] = new List<object?> { new PyDict { ["x"] = PyTuple.Create(1.5, "z"u8.ToArray(), null) } } }),
        ("('#RETURN', ('7f01', ('get', 'put')))", PyTuple.Create("#RETURN", PyTuple.Create("7f01", PyTuple.Create("get", "put")))),
        ("('#ERROR', KeyError('x'))", PyTuple.Create("#ERROR", PyException.Builtin("KeyError", "x"))),
    ];

    private static IEnumerable<string> Versions => ["3.8", "3.13"];

    [TestCaseSource(nameof(Versions))]
    public void Dumps_SameValues_GiveCPythonsBytes(string version)
    {
        var script = Prelude + "values = [" + string.Join(", ", s_values.Select(v => v.Python)) + "]\n"
            + "for v in values: print(connection._xml_dumps(v).hex())\n";
        var lines = PythonInterpreters.RunScript(PythonInterpreters.Get(version), script, TimeSpan.FromSeconds(30))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(s_values.Length));
        Assert.Multiple(() =>
        {
            for (var i = 0; i < s_values.Length; i++)
            {
                var cpython = Convert.FromHexString(lines[i].Trim());
                var ours = XmlRpcSerializer.Dumps(s_values[i].CSharp);
                Assert.That(Encoding.UTF8.GetString(ours), Is.EqualTo(Encoding.UTF8.GetString(cpython)), s_values[i].Python);
            }
        });
    }

    [TestCaseSource(nameof(Versions))]
    public void Loads_CPythonsDocuments_GiveTheMappedValues(string version)
    {
        var script = Prelude + "values = [" + string.Join(", ", s_values.Select(v => v.Python)) + "]\n"
            + "for v in values: print(connection._xml_dumps(v).hex())\n";
        var lines = PythonInterpreters.RunScript(PythonInterpreters.Get(version), script, TimeSpan.FromSeconds(30))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            for (var i = 0; i < s_values.Length; i++)
            {
                var loaded = XmlRpcSerializer.Loads(Convert.FromHexString(lines[i].Trim()));
                Assert.That(Repr(loaded), Is.EqualTo(Repr(Expected(s_values[i].CSharp))), s_values[i].Python);
            }
        });
    }

    [Test]
    public void CPythonLoads_OurDocuments_ToEqualValues()
    {
        // CPython loads what C# wrote and compares with its own value, as _xml_loads(_xml_dumps(v)) gives it.
        var docs = string.Join(",", s_values.Select(v => "'" + Convert.ToHexString(XmlRpcSerializer.Dumps(v.CSharp)) + "'"));
        var script = Prelude + "values = [" + string.Join(", ", s_values.Select(v => v.Python)) + "]\n"
            + "docs = [" + docs + "]\n"
            + """
            bad = []
            for v, d in zip(values, docs):
                mine = connection._xml_loads(connection._xml_dumps(v))
                theirs = connection._xml_loads(bytes.fromhex(d))
                if mine != theirs:
                    bad.append((repr(v), repr(mine), repr(theirs)))
            print(repr(bad))
            """;
        var output = PythonInterpreters.RunScript(PythonInterpreters.Get("3.12"), script, TimeSpan.FromSeconds(30));
        Assert.That(output.Trim(), Is.EqualTo("[]"));
    }

    [Test]
    public void CarriageReturn_SurvivesTheRoundTrip_AlsoThroughCPython()
    {
        // CPython writes '\r' raw and its parser reads it back as '\n'; written as &#xD; it survives.
        var doc = XmlRpcSerializer.Dumps("a\r\nb\rc");
        Assert.That(XmlRpcSerializer.Loads(doc), Is.EqualTo("a\r\nb\rc"));
        var script = Prelude + $"print(repr(connection._xml_loads(bytes.fromhex('{Convert.ToHexString(doc)}'))))";
        Assert.That(PythonInterpreters.RunScript(PythonInterpreters.Get("3.12"), script, TimeSpan.FromSeconds(30)).Trim(), Is.EqualTo("'a\\r\\nb\\rc'"));
    }

    [Test]
    public void Dumps_WhatCPythonCannotMarshal_FailsWithCPythonsError()
    {
        (string Python, object? CSharp)[] cases =
        [
            ("2**31", 1L << 31),
            ("-2**31 - 1", -(1L << 31) - 1),
            ("2**70", BigInteger.Pow(2, 70)),
            ("{1: 2}", new PyDict { [1L] = 2L }),
            ("{'a': {(1,): 2}}", new PyDict { ["a"] = new PyDict { [PyTuple.Create(1L)] = 2L } }),
            ("{1, 2}", new PySet([1L, 2L])),
            ("frozenset()", new PyFrozenSet(Enumerable.Empty<object?>())),
            ("1j", new Complex(0, 1)),
            ("decimal.Decimal('1.5')", PyDecimal.Parse("1.5")),
            ("datetime.date(2020, 1, 2)", new DateOnly(2020, 1, 2)),
            ("datetime.timedelta(1)", TimeSpan.FromDays(1)),
            ("uuid.UUID(int=1)", new Guid("00000000-0000-0000-0000-000000000001")),
            ("...", PySingleton.Ellipsis),
            ("managers.Token('Queue', ('127.0.0.1', 1), '7f')", PyReduce.NewObj(new PyGlobal("multiprocessing.managers", "Token"), state: PyTuple.Create("Queue", PyTuple.Create("127.0.0.1", 1L), "7f"))),
        ];
        var script = Prelude + "cases = [" + string.Join(", ", cases.Select(c => "lambda: " + c.Python)) + "]\n" + """
            for make in cases:
                try:
                    connection._xml_dumps(make())
                    print('no error')
                except Exception as e:
                    print(type(e).__name__ + ': ' + str(e))
            """;
        var lines = PythonInterpreters.RunScript(PythonInterpreters.Get("3.13"), script, TimeSpan.FromSeconds(30))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(cases.Length));
        Assert.Multiple(() =>
        {
            for (var i = 0; i < cases.Length; i++)
            {
                var e = Assert.Throws<XmlRpcException>(() => XmlRpcSerializer.Dumps(cases[i].CSharp), cases[i].Python);
                Assert.That($"{e!.PythonError.TypeName}: {e.PythonError.Message}", Is.EqualTo(lines[i].Trim()), cases[i].Python);
            }
        });
    }

    [Test]
    public void Dumps_RecursiveList_FailsAsCPythonDoes()
    {
        var list = new List<object?>();
        list.Add(list);
        var e = Assert.Throws<XmlRpcException>(() => XmlRpcSerializer.Dumps(list));
        Assert.That(e!.Message, Is.EqualTo("TypeError: cannot marshal recursive sequences"));
        var dict = new PyDict();
        dict["self"] = dict;
        e = Assert.Throws<XmlRpcException>(() => XmlRpcSerializer.Dumps(dict));
        Assert.That(e!.Message, Is.EqualTo("TypeError: cannot marshal recursive dictionaries"));
    }

    /// <summary>Python's repr, with <see cref="XmlRpcDateTime"/> shown by its text (PyRepr does not know it).</summary>
    internal static string Repr(object? value) => PyRepr.Repr(Textual(value));

    private static object? Textual(object? value) => value switch
    {
        XmlRpcDateTime d => d.ToString(),
        List<object?> l => l.Select(Textual).ToList(),
        PyDict d => d.Aggregate(new PyDict(), (acc, kv) => { acc[kv.Key] = Textual(kv.Value); return acc; }),
        _ => value,
    };

    /// <summary>What loading a value's document gives: tuples become lists, DateTime an XmlRpcDateTime, exceptions their (empty) __dict__.</summary>
    private static object? Expected(object? value) => value switch
    {
        PyTuple t => t.AsSpan().ToArray().Select(Expected).ToList(),
        List<object?> l => l.Select(Expected).ToList(),
        PyDict d => Rebuild(d),
        DateTime dt => new XmlRpcDateTime(dt.ToString("yyyyMMdd'T'HH':'mm':'ss", System.Globalization.CultureInfo.InvariantCulture)),
        PyException => new PyDict(),
        _ => value,
    };

    private static PyDict Rebuild(PyDict d)
    {
        var result = new PyDict();
        foreach (var (k, v) in d)
        {
            result[k] = Expected(v);
        }

        return result;
    }
}

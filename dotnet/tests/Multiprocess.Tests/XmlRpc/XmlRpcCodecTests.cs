using System.Numerics;
using System.Text;
using Multiprocess.Pickle;
using Multiprocess.XmlRpc;

namespace Multiprocess.Tests.XmlRpc;

/// <summary>The XML-RPC codec alone: round trips, CPython's tolerant grammar, and hostile documents.</summary>
[TestFixture]
public class XmlRpcCodecTests
{
    private static object? Load(string xml) => XmlRpcSerializer.Loads(Encoding.UTF8.GetBytes(xml));

    private static string Params(string value) => $"<params><param>{value}</param></params>";

    [Test]
    public void RoundTrip_NestedValues_AreEqual()
    {
        var value = new PyDict
        {
            ["ints"] = new List<object?> { 0L, -5L, (long)int.MaxValue, (long)int.MinValue },
            ["floats"] = new List<object?> { 1.5, -0.0, double.NegativeInfinity, 1e300 },
            ["text"] = "🎉 <&> \t\n",
            ["bytes"] = new byte[200],
            ["none"] = null,
            ["flags"] = new List<object?> { true, false },
            ["when"] = new XmlRpcDateTime("20200102T03:04:05"),
        };
        var back = XmlRpcSerializer.Loads(XmlRpcSerializer.Dumps(value));
        Assert.That(XmlRpcGoldenTests.Repr(back), Is.EqualTo(XmlRpcGoldenTests.Repr(value)));
    }

    [Test]
    public void Dumps_NarrowIntegers_AndCSharpCollections_AreAccepted()
    {
        Assert.That(Load(Encoding.UTF8.GetString(XmlRpcSerializer.Dumps(new object?[] { (byte)1, (short)-2, 3u, (ulong)4, new BigInteger(5), 'c', 1.5f }))),
            Is.EqualTo(new List<object?> { 1L, -2L, 3L, 4L, 5L, "c", 1.5 }));
        Assert.That(Load(Encoding.UTF8.GetString(XmlRpcSerializer.Dumps(new Dictionary<string, int> { ["a"] = 1 }))),
            Is.EqualTo(new PyDict { ["a"] = 1L }));
    }

    [Test]
    public void Loads_TheTypesCPythonReads_IncludingThoseItNeverWrites()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Load(Params("<value>bare text</value>")), Is.EqualTo("bare text"));
            Assert.That(Load(Params("<value></value>")), Is.EqualTo(""));
            Assert.That(Load(Params("<value/>")), Is.EqualTo(""));
            Assert.That(Load(Params("<value><i8>9223372036854775807</i8></value>")), Is.EqualTo(long.MaxValue));
            Assert.That(Load(Params("<value><biginteger>-123456789012345678901234567890</biginteger></value>")),
                Is.EqualTo(BigInteger.Parse("-123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(Load(Params("<value><i4> +1_000 </i4></value>")), Is.EqualTo(1000L));
            Assert.That(Load(Params("<value><float>-Infinity</float></value>")), Is.EqualTo(double.NegativeInfinity));
            Assert.That(Load(Params("<value><double>1e-3</double></value>")), Is.EqualTo(0.001));
            Assert.That(PyRepr.Repr(Load(Params("<value><bigdecimal>1.10</bigdecimal></value>"))), Is.EqualTo("Decimal('1.10')"));
            Assert.That(Load(Params("<value><ex:nil xmlns:ex='http://ws.apache.org/xmlrpc/namespaces/extensions'/></value>")), Is.Null);
            Assert.That(Load(Params("<value><base64>aGVs\nbG8=</base64></value>")), Is.EqualTo("hello"u8.ToArray()));
            Assert.That(Load(Params("<value><dateTime.iso8601> 20200102T03:04:05 </dateTime.iso8601></value>")), Is.EqualTo(new XmlRpcDateTime("20200102T03:04:05")));
            Assert.That(Load("<?xml version='1.0'?>\n<methodResponse><params><param><value><int>7</int></value></param></params></methodResponse>"), Is.EqualTo(7L));
            Assert.That(Load(Params("<value><string><![CDATA[<raw>]]></string></value>")), Is.EqualTo("<raw>"));
            Assert.That(Load(Params("<value><string>&#x1F600;&amp;&#13;</string></value>")), Is.EqualTo("😀&\r"));
        });
    }

    [Test]
    public void Loads_DateTimeValue_ParsesAsCPythonsUseDatetime()
    {
        Assert.That(new XmlRpcDateTime("20261206T09:30:15").ToDateTime(), Is.EqualTo(new DateTime(2026, 12, 6, 9, 30, 15)));
    }

    [TestCase("<params><param><value><boolean>2</boolean></value></param></params>", "TypeError: bad boolean value (line 1, column")]
    [TestCase("<params><param><value><int>12x</int></value></param></params>", "ValueError: invalid literal for int() with base 10: '12x' (line 1")]
    [TestCase("<params><param><value><double>1..2</double></value></param></params>", "ValueError: could not convert string to float: '1..2'")]
    [TestCase("<params><param><value><blob>1</blob></value></param></params>", "xmlrpc.client.ResponseError: unknown tag 'blob' (line 1, column 24)")]
    [TestCase("<params><param><value><int>1</int></value></param><param><value><int>2</int></value></param></params>", "ValueError: too many values to unpack (expected 1)")]
    [TestCase("<params></params>", "ValueError: not enough values to unpack (expected 1, got 0)")]
    [TestCase("<value><int>1</int></value>", "xmlrpc.client.ResponseError: no <params>")]
    [TestCase("<params><param><value><array><data><value><int>1</int></value></data></params>", "xml.parsers.expat.ExpatError: ")]
    [TestCase("<params><param><value><string>a\u0001b</string></value></param></params>", "xml.parsers.expat.ExpatError: ")]
    [TestCase("<params><param><value><base64>QQ=</base64></value></param></params>", "binascii.Error: Incorrect padding")]
    [TestCase("<fault><value><struct><member><name>faultCode</name><value><int>4</int></value></member><member><name>faultString</name><value>boom</value></member></struct></value></fault>", "xmlrpc.client.Fault: <Fault 4: 'boom'>")]
    [TestCase("", "xml.parsers.expat.ExpatError: no element found")]
    [TestCase("<params><param><value><struct><member><name>a</name></member></struct></value></param></params>", "IndexError: ")]
    public void Loads_BadDocument_FailsWithCPythonsErrorAndAPosition(string xml, string start)
    {
        var e = Assert.Throws<XmlRpcException>(() => Load(xml));
        Assert.That(e!.Message, Does.StartWith(start));
    }

    [Test]
    public void Loads_XmlThatCPythonsExpatAccepts_IsRead()
    {
        Assert.Multiple(() =>
        {
            // Comments, processing instructions, attributes (ignored), spaces in tags, a BOM, CRLF line ends.
            Assert.That(Load("\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<!-- c --><params a='1' b=\"&amp;\" ><?pi x?><param >"
                             + "<value><string>a\r\nb\rc</string ></value></param></params >\n<!-- end -->\n"), Is.EqualTo("a\nb\nc"));
            Assert.That(Load(Params("<value><string>&quot;&apos;&#65;&#x42;]]</string></value>")), Is.EqualTo("\"'AB]]"));
            Assert.That(Load(Params("<value><string>x<![CDATA[a\r\n]]]]>y</string></value>")), Is.EqualTo("xa\n]]y"));
            Assert.That(Load(Params("<value><string>\u00e9\U0001F600</string></value>")), Is.EqualTo("\u00e9\U0001F600"));
            Assert.That(Load(Params("<value><\u00e9l\u00e8ve:nil/></value>")), Is.Null);
        });
    }

    [TestCase("<params><param><value><string>&bogus;</string></value></param></params>", "undefined entity &bogus;: line 1, column 31")]
    [TestCase("<params><param><value><string>&#0;</string></value></param></params>", "reference to invalid character number")]
    [TestCase("<params><param><value><string>&#xD800;</string></value></param></params>", "reference to invalid character number")]
    [TestCase("<params><param><value><string>a & b</string></value></param></params>", "not well-formed (invalid token)")]
    [TestCase("<params><param><value><string>]]></string></value></param></params>", "not well-formed (invalid token): ']]>' in text")]
    [TestCase("<params></params><params/>", "junk after document element")]
    [TestCase("<params></params>x", "junk after document element")]
    [TestCase("x<params></params>", "not well-formed (invalid token): line 1, column 1")]
    [TestCase("<params a='1' a='2'></params>", "duplicate attribute")]
    [TestCase("<params a='<'></params>", "not well-formed (invalid token)")]
    [TestCase("<params a='1'b='2'></params>", "not well-formed (invalid token)")]
    [TestCase("<params><!-- a -- b --></params>", "not well-formed (invalid token)")]
    [TestCase("<params><!-- a </params>", "unclosed token")]
    [TestCase("<params><![CDATA[ a </params>", "unclosed CDATA section")]
    [TestCase("<params>\n<?xml version='1.0'?></params>", "XML or text declaration not at start of entity: line 2, column 1")]
    [TestCase("<![CDATA[x]]><params/>", "syntax error")]
    [TestCase("<params><param>", "no element found")]
    [TestCase("<params><1a/></params>", "not well-formed (invalid token): line 1, column 10")]
    [TestCase("<params", "unclosed token")]
    [TestCase("<params></params", "unclosed token")]
    [TestCase("<params>\uFFFE</params>", "not well-formed (invalid token): the character U+FFFE")]
    public void Loads_NotWellFormed_FailsAsExpatDoes(string xml, string message)   // expat's messages; columns 1-based here
    {
        var e = Assert.Throws<XmlRpcException>(() => Load(xml));
        Assert.That(e!.Message, Does.StartWith("xml.parsers.expat.ExpatError: " + message));
    }

    // CPython 3.12's bytes.decode('utf-8') messages for the same bytes (_xml_loads decodes before parsing).
    [TestCase(new byte[] { 0x80, 0x04 }, "byte 0x80 in position 0: invalid start byte")]
    [TestCase(new byte[] { 0x3C, 0x61, 0xFF }, "byte 0xff in position 2: invalid start byte")]
    [TestCase(new byte[] { 0x3C, 0xC3, 0x28 }, "byte 0xc3 in position 1: invalid continuation byte")]
    [TestCase(new byte[] { 0x3C, 0xE2, 0x82 }, "bytes in position 1-2: unexpected end of data")]
    [TestCase(new byte[] { 0x3C, 0xE2 }, "byte 0xe2 in position 1: unexpected end of data")]
    public void Loads_NotUtf8_FailsAsCPythonsDecodeDoes(byte[] document, string message)
    {
        var e = Assert.Throws<XmlRpcException>(() => XmlRpcSerializer.Loads(document));
        Assert.That(e!.Message, Is.EqualTo("UnicodeDecodeError: 'utf-8' codec can't decode " + message));
    }

    [Test]
    public void Loads_NotWellFormed_NamesLineAndColumn()
    {
        var e = Assert.Throws<XmlRpcException>(() => Load("<params>\n<param>\n<value><int>1</int></valu></param></params>"));
        Assert.That(e!.Message, Does.StartWith("xml.parsers.expat.ExpatError: ").And.Contain("line 3, column"));
    }

    [Test]
    public void Loads_EntityExpansion_IsRefusedBeforeAnyExpansion()
    {
        // The "billion laughs": nine levels of ten references. No DTD is accepted at all.
        var dtd = new StringBuilder("<!DOCTYPE params [<!ENTITY l0 \"lol\">");
        for (var i = 1; i < 10; i++)
        {
            dtd.Append(System.Globalization.CultureInfo.InvariantCulture, $"<!ENTITY l{i} \"{string.Concat(Enumerable.Repeat($"&l{i - 1};", 10))}\">");
        }

        dtd.Append("]>");
        var e = Assert.Throws<XmlRpcException>(() => Load(dtd + Params("<value><string>&l9;</string></value>")));
        Assert.That(e!.Message, Does.StartWith("xml.parsers.expat.ExpatError: ").And.Contain("DTD"));
    }

    [Test]
    public void Loads_ExternalEntity_IsRefused()
    {
        var e = Assert.Throws<XmlRpcException>(() => Load("<!DOCTYPE params [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + Params("<value><string>&x;</string></value>")));
        Assert.That(e!.Message, Does.Contain("DTD"));
    }

    [Test]
    public void Loads_DeepNesting_IsRefusedWithTheElement()
    {
        var deep = string.Concat(Enumerable.Repeat("<value><array><data>", 1000)) + string.Concat(Enumerable.Repeat("</data></array></value>", 1000));
        var e = Assert.Throws<XmlRpcException>(() => Load(Params(deep)));
        Assert.That(e!.Message, Does.StartWith("RecursionError: XML-RPC nesting deeper than"));
    }

    [Test]
    public void Dumps_DeepNesting_IsRefused()
    {
        object? value = 1L;
        for (var i = 0; i < 600; i++)
        {
            value = new List<object?> { value };
        }

        var e = Assert.Throws<XmlRpcException>(() => XmlRpcSerializer.Dumps(value));
        Assert.That(e!.Message, Does.StartWith("RecursionError: "));
    }

    [Test]
    public void Dumps_CharactersXmlCannotHold_AreRefusedByName()
    {
        var e = Assert.Throws<XmlRpcException>(() => XmlRpcSerializer.Dumps("ab\0"));
        Assert.That(e!.Message, Is.EqualTo("ValueError: XML-RPC cannot carry the character '\\x00' (position 2 of a str): XML 1.0 has no such character"));
        e = Assert.Throws<XmlRpcException>(() => XmlRpcSerializer.Dumps("x\uD800"));
        Assert.That(e!.Message, Is.EqualTo("UnicodeEncodeError: 'utf-8' codec can't encode character '\\ud800' in position 1: surrogates not allowed"));
    }

    [Test]
    public void Dumps_Exception_IsItsInstanceDictAsCPythonWritesIt()
    {
        var text = Encoding.UTF8.GetString(XmlRpcSerializer.Dumps(PyException.Create("queue", "Empty")));
        Assert.That(text, Is.EqualTo("<params>\n<param>\n<value><struct>\n</struct></value>\n</param>\n</params>\n"));
    }

    [Test]
    public void IsXml_TellsDocumentsFromPickles()
    {
        Assert.Multiple(() =>
        {
            Assert.That(XmlRpcSerializer.IsXml(XmlRpcSerializer.Dumps(1L)), Is.True);
            Assert.That(XmlRpcSerializer.IsXml([0xEF, 0xBB, 0xBF, (byte)' ', (byte)'<']), Is.True);
            Assert.That(XmlRpcSerializer.IsXml(PickleSerializer.Dumps(PyTuple.Create(null, "dummy", PyTuple.Empty, new PyDict()))), Is.False);
            Assert.That(XmlRpcSerializer.IsXml("V<\np0\n."u8), Is.False);   // pickle.dumps("<", 0)
            Assert.That(XmlRpcSerializer.IsXml([]), Is.False);
        });
    }
}

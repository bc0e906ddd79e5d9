using System.Text;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Redis;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Tests;

/// <summary>Message model, envelope and names against what Celery 5.2 / kombu 5.2 wrote into Redis (captured with MONITOR).</summary>
[TestFixture]
public sealed class ProtocolTests
{
    // app.send_task('app1.add', args=(1, 2), kwargs={'z': 'é'}, countdown=5, expires=60, priority=3), as LPUSHed by kombu.
    private const string PythonEnvelope =
        """{"body": "W1sxLCAyXSwgeyJ6IjogIlx1MDBlOSJ9LCB7ImNhbGxiYWNrcyI6IG51bGwsICJlcnJiYWNrcyI6IG51bGwsICJjaGFpbiI6IG51bGwsICJjaG9yZCI6IG51bGx9XQ==", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "app1.add", "id": "24c4077e-54a3-4260-8b23-1bb8fb07e45b", "shadow": null, "eta": "2026-12-06T05:41:55.742596+00:00", "expires": "2026-12-06T05:42:50.742596+00:00", "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "24c4077e-54a3-4260-8b23-1bb8fb07e45b", "parent_id": null, "argsrepr": "(1, 2)", "kwargsrepr": "{'z': '\u00e9'}", "origin": "gen25108@vm", "ignore_result": false}, "properties": {"correlation_id": "24c4077e-54a3-4260-8b23-1bb8fb07e45b", "reply_to": "999c0c27-1ba7-3617-bdbd-7aaf33b5b39e", "delivery_mode": 2, "expiration": "60000", "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 3, "body_encoding": "base64", "delivery_tag": "8f768cf0-5d56-4bc6-ab6f-45a61b427bc2"}}""";

    [Test]
    public void Decode_PythonEnvelope_ReadsEveryHeaderAndTheBody()
    {
        var message = KombuEnvelope.Read(Encoding.UTF8.GetBytes(PythonEnvelope));
        Assert.That(message.DeliveryTag, Is.EqualTo("8f768cf0-5d56-4bc6-ab6f-45a61b427bc2"));
        Assert.That(message.RoutingKey, Is.EqualTo("celery"));
        var task = TaskMessageCodec.Decode(message);
        Assert.Multiple(() =>
        {
            Assert.That(task.Id, Is.EqualTo("24c4077e-54a3-4260-8b23-1bb8fb07e45b"));
            Assert.That(task.Task, Is.EqualTo("app1.add"));
            Assert.That(task.Eta, Is.EqualTo(new DateTimeOffset(2026, 12, 6, 5, 41, 55, TimeSpan.Zero).AddTicks(7425960)));
            Assert.That(task.Expires!.Value - task.Eta!.Value, Is.EqualTo(TimeSpan.FromSeconds(55)));
            Assert.That(task.Priority, Is.EqualTo(3));
            Assert.That(task.Args, Is.EqualTo(new object?[] { 1L, 2L }));
            Assert.That(task.Kwargs, Is.EqualTo(new Dictionary<string, object?> { ["z"] = "é" }));
            Assert.That(task.KwargsRepr, Is.EqualTo("{'z': 'é'}"));
            Assert.That(task.Origin, Is.EqualTo("gen25108@vm"));
            Assert.That(task.ReplyTo, Is.EqualTo("999c0c27-1ba7-3617-bdbd-7aaf33b5b39e"));
            Assert.That(task.Callbacks, Is.Null);
        });
    }

    // The repr of a 1 MiB argument is cut at 1024 characters (celery/app/amqp.py argsrepr_maxsize) without being built
    // whole; the cut text is the one the whole repr gives, quote character included (repr picks " when the text holds
    // a ' and no ", and that quote may stand past the cut).
    [TestCase("x", "")]
    [TestCase("x", "it's")]
    [TestCase("x", "it's \"quoted\"")]
    public void Encode_LongArguments_ArgsReprIsTheWholeReprCut(string fill, string tail)
    {
        var text = new string(fill[0], 1 << 20) + tail;
        var bytes = Encoding.ASCII.GetBytes(text);
        var task = new TaskMessage { Id = "id-1", Task = "t.x", Args = [text, bytes], Kwargs = new Dictionary<string, object?> { ["k"] = text } };
        var message = TaskMessageCodec.Encode(task, CelerySerializer.Pickle);
        var args = PyRepr.Repr(new PyTuple(text, bytes));
        var kwargs = PyRepr.Repr(new PyDict { ["k"] = text });
        Assert.That(message.Headers["argsrepr"], Is.EqualTo(args[..1021] + "..."));
        Assert.That(message.Headers["kwargsrepr"], Is.EqualTo(kwargs[..1021] + "..."));
        var shortTask = new TaskMessage { Id = "id-2", Task = "t.x", Args = [text[..10], bytes[..3]] };
        Assert.That(TaskMessageCodec.Encode(shortTask, CelerySerializer.Pickle).Headers["argsrepr"], Is.EqualTo("('xxxxxxxxxx', b'xxx')"));
    }

    [TestCase("json")]
    [TestCase("pickle")]
    public void EncodeThenDecode_KeepsTheTask(string serializer)
    {
        var s = CelerySerializer.ForName(serializer);
        var task = new TaskMessage
        {
            Id = "id-1",
            Task = "t.x",
            Eta = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Retries = 2,
            Priority = 6,
            TimeLimit = 10,
            SoftTimeLimit = 5.5,
            Args = [1L, "two", new List<object?> { 3.5, null }],
            Kwargs = new Dictionary<string, object?> { ["k"] = true },
            Chain = [new Dictionary<string, object?> { ["task"] = "t.next" }],
        };
        var message = TaskMessageCodec.Encode(task, s);
        Assert.That(message.ContentType, Is.EqualTo(s.ContentType));
        Assert.That(message.Headers["argsrepr"], Is.EqualTo("(1, 'two', [3.5, None])"));
        var back = TaskMessageCodec.Decode(KombuEnvelope.Read(KombuEnvelope.Write(message)));
        Assert.Multiple(() =>
        {
            Assert.That(back.Id, Is.EqualTo("id-1"));
            Assert.That(back.RootId, Is.EqualTo("id-1"));
            Assert.That(back.Eta, Is.EqualTo(task.Eta));
            Assert.That(back.Retries, Is.EqualTo(2));
            Assert.That(back.Priority, Is.EqualTo(6));
            Assert.That(back.TimeLimit, Is.EqualTo(10));
            Assert.That(back.SoftTimeLimit, Is.EqualTo(5.5));
            Assert.That(back.Args, Is.EqualTo(task.Args));
            Assert.That(back.Kwargs, Is.EqualTo(task.Kwargs));
            Assert.That(back.Chain, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void Decode_PickleBodyNotATriple_NamesTheTaskAndTheType()
    {
        var message = TaskMessageCodec.Encode(new TaskMessage { Id = "bad-1", Task = "t" }, CelerySerializer.Pickle);
        message.Body = PickleSerializer.Dumps(new PyTuple(1L, 2L));
        Assert.That(() => TaskMessageCodec.Decode(message), Throws.TypeOf<FormatException>().With.Message.Contains("bad-1").And.Message.Contains("tuple"));
    }

    [Test]
    public void Decode_ProtocolOneMessage_IsRefusedClearly()
    {
        var message = new BrokerMessage { Body = "{}"u8.ToArray(), ContentType = "application/json", ContentEncoding = "utf-8" };
        Assert.That(() => TaskMessageCodec.Decode(message), Throws.TypeOf<FormatException>().With.Message.Contains("protocol 1"));
    }

    [TestCase(0, "q")]
    [TestCase(2, "q")]
    [TestCase(3, "q\u0006\u00163")]
    [TestCase(5, "q\u0006\u00163")]
    [TestCase(6, "q\u0006\u00166")]
    [TestCase(9, "q\u0006\u00169")]
    [TestCase(42, "q\u0006\u00169")]
    public void QueueForPriority_FollowsKombuSteps(int priority, string expected) =>
        Assert.That(RedisBroker.QueueForPriority("q", priority), Is.EqualTo(expected));

    [Test]
    public void ConsumeKeys_AllQueuesPerStep_LowestStepFirst() =>
        Assert.That(RedisBroker.ConsumeKeys(["a", "b"]), Is.EqualTo(new[] { "a", "b", "a\u0006\u00163", "b\u0006\u00163", "a\u0006\u00166", "b\u0006\u00166", "a\u0006\u00169", "b\u0006\u00169" }));

    [Test]
    public void IsoFormat_AsPythonIsoformat()
    {
        Assert.That(CeleryTime.IsoFormat(new DateTimeOffset(2026, 12, 6, 5, 41, 55, TimeSpan.Zero).AddTicks(7425960)), Is.EqualTo("2026-12-06T05:41:55.742596+00:00"));
        Assert.That(CeleryTime.IsoFormat(new DateTimeOffset(2026, 12, 6, 5, 41, 55, TimeSpan.FromHours(-5))), Is.EqualTo("2026-12-06T05:41:55-05:00"));
        Assert.That(CeleryTime.IsoFormat(new DateTime(2026, 12, 6, 5, 42, 3, DateTimeKind.Utc).AddTicks(9873580)), Is.EqualTo("2026-12-06T05:42:03.987358"));
    }

    [Test]
    public void Json_BytesAreRefusedWithAHint() =>
        Assert.That(() => CeleryJson.Serialize(new object?[] { new byte[] { 1 } }), Throws.ArgumentException.With.Message.Contains("pickle"));

    [Test]
    public void Json_BigIntegersAndNonFiniteRealsRoundTrip()
    {
        var big = System.Numerics.BigInteger.Pow(2, 80);
        var back = (List<object?>)CeleryJson.Deserialize(CeleryJson.Serialize(new List<object?> { big, double.NaN, 1e300, 0.1 }))!;
        Assert.That(back[0], Is.EqualTo(big));
        Assert.That((double)back[1]!, Is.NaN);
        Assert.That(back[2], Is.EqualTo(1e300));
        Assert.That(back[3], Is.EqualTo(0.1));
    }

    [Test]
    public void Json_ReadsNestedValuesAsPythonsJsonDoes()
    {
        // What Python's json.dumps writes for {"a": [1, {"b": null}], "a2": "\u00e9\ud83d\ude00", "n": -0.5, "a": true}
        // with a repeated key (the last one wins, as in Python).
        var text = "{\"a\": [1, {\"b\": null}], \"a2\": \"\\u00e9\\ud83d\\ude00\", \"n\": -0.5, \"a\": true}"u8;
        var value = (Dictionary<string, object?>)CeleryJson.Deserialize(text)!;
        Assert.That(value["a"], Is.EqualTo(true));
        Assert.That(value["a2"], Is.EqualTo("é😀"));
        Assert.That(value["n"], Is.EqualTo(-0.5));
        var list = (List<object?>)CeleryJson.Deserialize("[1, {\"b\": null}, []]"u8)!;
        Assert.That(list[0], Is.EqualTo(1L));
        Assert.That(list[1], Is.EqualTo(new Dictionary<string, object?> { ["b"] = null }));
        Assert.That(list[2], Is.Empty);
    }

    [TestCase("")]
    [TestCase("[1] 2")]
    [TestCase("[1] [2]")]
    [TestCase("{\"a\": 1")]
    [TestCase("[1,]")]
    [TestCase("{\"a\" 1}")]
    public void Json_WhatIsNotOneJsonValueIsRefused(string text) =>
        Assert.That(() => CeleryJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(text)), Throws.TypeOf<FormatException>().With.Message.StartsWith("not JSON"));

    [TestCase("redis://127.0.0.1:6390/4", "redis://127.0.0.1:6390/4", 4)]
    [TestCase("redis://:secret@localhost", "redis://localhost:6379/0", 0)]
    [TestCase("redis+socket:///tmp/r.sock?virtual_host=2", "unix:/tmp/r.sock", 2)]
    public void RedisEndpoint_ParsesKombuUrls(string url, string display, int db)
    {
        var ep = RedisEndpoint.Parse(url);
        Assert.That(ep.Display, Is.EqualTo(display));
        Assert.That(ep.Database, Is.EqualTo(db));
    }

    [TestCase("amqp://guest@localhost//")]
    [TestCase("redis://host/notanumber")]
    public void RedisEndpoint_BadUrl_NamesIt(string url) =>
        Assert.That(() => RedisEndpoint.Parse(url), Throws.TypeOf<FormatException>().With.Message.Contains(url));
}

using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Multiprocess.Pickle;

/// <content>The recursive repr writer.</content>
public static partial class PyRepr
{
    private readonly struct Writer(StringBuilder sb)
    {
        private readonly HashSet<object> _active = new(ReferenceEqualityComparer.Instance);

        public void Write(object? value)
        {
            switch (value)
            {
                case null:
                    sb.Append("None");
                    return;
                case string s:
                    WriteStr(sb, s);
                    return;
                case bool b:
                    sb.Append(b ? "True" : "False");
                    return;
                case long l:
                    sb.Append(l.ToString(CultureInfo.InvariantCulture));
                    return;
                case double d:
                    sb.Append(Float(d));
                    return;
                case BigInteger big:
                    sb.Append(big.ToString(CultureInfo.InvariantCulture));
                    return;
                case byte[] bytes:
                    WriteBytes(sb, bytes);
                    return;
                case ReadOnlyMemory<byte> rom:
                    WriteBytes(sb, rom.Span);
                    return;
                case PyByteArray ba:
                    sb.Append("bytearray(");
                    WriteBytes(sb, ba.Span, alwaysEscapeSingleQuote: true);
                    sb.Append(')');
                    return;
                case Complex c:
                    WriteComplex(sb, c);
                    return;
                case PyTuple t:
                    WriteTuple(t);
                    return;
                case List<object?> list:
                    WriteSequence(list, "[", "]", "[...]");
                    return;
                case PyDict dict:
                    WriteDict(dict);
                    return;
                case PySetBase set:
                    WriteSet(set);
                    return;
                case PyDecimal dec:
                    sb.Append("Decimal('").Append(dec.ToString()).Append("')");
                    return;
                case decimal m:
                    Write(PyDecimal.FromDecimal(m));
                    return;
                case DateTime or DateTimeOffset or DateOnly or TimeOnly or TimeSpan:
                    PyDateTime.WriteRepr(sb, value);
                    return;
                case Guid g:
                    sb.Append("UUID('").Append(g.ToString("D")).Append("')");
                    return;
                case PySingleton singleton:
                    sb.Append(singleton.Name);
                    return;
                case PyGlobal g:
                    WriteGlobal(sb, g);
                    return;
                case PyException e:
                    WriteException(e);
                    return;
                case PyReduce r:
                    WriteReduce(r);
                    return;
                case PickleBuffer pb:
                    sb.Append("<memory at ").Append(FakeAddress(pb)).Append('>');
                    return;
                case PyPersistentId pid:
                    sb.Append(pid.ToString());
                    return;
                case char ch:
                    WriteStr(sb, ch.ToString());
                    return;
                case ITuple vt:
                    var items = new object?[vt.Length];
                    for (var i = 0; i < items.Length; i++)
                    {
                        items[i] = vt[i];
                    }

                    WriteTuple(new PyTuple(items));
                    return;
            }

            if (PyObjectComparer.TryAsNumber(value, out var n))
            {
                Write(n);
                return;
            }

            switch (value)
            {
                case System.Collections.IDictionary map:
                    var copy = new PyDict();
                    foreach (System.Collections.DictionaryEntry kv in map)
                    {
                        copy[kv.Key] = kv.Value;
                    }

                    Write(copy);
                    return;
                case System.Collections.IEnumerable seq:
                    WriteSequence(seq.Cast<object?>().ToList(), "[", "]", "[...]");
                    return;
                default:
                    sb.Append('<').Append(value.GetType().FullName).Append(" object at ").Append(FakeAddress(value)).Append('>');
                    return;
            }
        }

        private bool Enter(object value)
        {
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                throw new InsufficientExecutionStackException("maximum recursion depth exceeded while getting the repr of an object");
            }

            return _active.Add(value);
        }

        private void WriteTuple(PyTuple t)
        {
            if (t.Count == 0)
            {
                sb.Append("()");
                return;
            }

            if (!Enter(t))
            {
                sb.Append("(...)");
                return;
            }

            sb.Append('(');
            for (var i = 0; i < t.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(", ");
                }

                Write(t[i]);
            }

            sb.Append(t.Count == 1 ? ",)" : ")");
            _active.Remove(t);
        }

        private void WriteSequence(List<object?> list, string open, string close, string recursive)
        {
            if (list.Count == 0)
            {
                sb.Append(open).Append(close);
                return;
            }

            if (!Enter(list))
            {
                sb.Append(recursive);
                return;
            }

            sb.Append(open);
            for (var i = 0; i < list.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(", ");
                }

                Write(list[i]);
            }

            sb.Append(close);
            _active.Remove(list);
        }

        private void WriteDict(PyDict dict)
        {
            if (dict.Count == 0)
            {
                sb.Append("{}");
                return;
            }

            if (!Enter(dict))
            {
                sb.Append("{...}");
                return;
            }

            sb.Append('{');
            var first = true;
            foreach (var (k, v) in dict)
            {
                if (!first)
                {
                    sb.Append(", ");
                }

                first = false;
                Write(k);
                sb.Append(": ");
                Write(v);
            }

            sb.Append('}');
            _active.Remove(dict);
        }

        private void WriteSet(PySetBase set)
        {
            var name = set is PyFrozenSet ? "frozenset" : "set";
            if (set.Count == 0)
            {
                sb.Append(name).Append("()");
                return;
            }

            if (!Enter(set))
            {
                sb.Append(name).Append("(...)");
                return;
            }

            if (set is PyFrozenSet)
            {
                sb.Append("frozenset(");
            }

            sb.Append('{');
            var first = true;
            foreach (var item in set)
            {
                if (!first)
                {
                    sb.Append(", ");
                }

                first = false;
                Write(item);
            }

            sb.Append('}');
            if (set is PyFrozenSet)
            {
                sb.Append(')');
            }

            _active.Remove(set);
        }

        private void WriteException(PyException e)
        {
            if (!Enter(e))
            {
                sb.Append("...");
                return;
            }

            sb.Append(e.TypeName.Split('.')[^1]);
            if (e.Args.Count == 1)
            {
                sb.Append('(');
                Write(e.Args[0]);
                sb.Append(')');
            }
            else
            {
                WriteTuple(e.Args);
            }

            _active.Remove(e);
        }

        private void WriteReduce(PyReduce r)
        {
            // managers.Token defines __repr__; the servers print it.
            if (r is { State: PyTuple { Count: 3 } ts } && r.ClassGlobal is { Name: "Token", Module: "multiprocessing.managers" or "multiprocess.managers" }
                && Enter(r))
            {
                sb.Append("Token(typeid=");
                Write(ts[0]);
                sb.Append(", address=");
                Write(ts[1]);
                sb.Append(", id=");
                Write(ts[2]);
                sb.Append(')');
                _active.Remove(r);
                return;
            }

            if (r.ClassGlobal is { } cls)
            {
                sb.Append('<').Append(cls.FullName).Append(" object at ").Append(FakeAddress(r)).Append('>');
            }
            else
            {
                sb.Append("<object at ").Append(FakeAddress(r)).Append('>');
            }
        }
    }
}

using System.Numerics;

namespace Multiprocess.Pickle;

/// <content>Ints, floats, str, bytes, bytearray, PickleBuffer and persistent ids.</content>
internal sealed partial class Pickler
{
    // ---- scalars

    private void SaveLong(long v) => _out.WriteInt(v);

    private void SaveBigInteger(BigInteger v) => _out.WriteInt(v);

    private void SaveFloat(double d) => _out.WriteFloat(d);

    private void SaveStr(string s) => _out.WriteUnicode(s, allowShort: _protocol >= 4);

    private void SaveBytes(ReadOnlyMemory<byte> data, object memoKey)
    {
        if (_protocol < 3)
        {
            // Protocol 2 has no bytes opcode: _codecs.encode(latin-1 text, 'latin1'), or bytes() when empty.
            var r = data.Length == 0
                ? new PyReduce(s_bytes, PyTuple.Empty)
                : new PyReduce(s_codecsEncode, PyTuple.Create(System.Text.Encoding.Latin1.GetString(data.Span), "latin1"));
            SaveReduce(r, memoKey);
            return;
        }

        _out.WriteBytes(data);
        MemoPut(memoKey);
    }

    private void SaveByteArray(ReadOnlyMemory<byte> data, object memoKey)
    {
        if (_protocol < 5)
        {
            var r = data.Length == 0
                ? new PyReduce(s_bytearray, PyTuple.Empty)
                : new PyReduce(s_bytearray, PyTuple.Create(data.ToArray()));
            SaveReduce(r, memoKey);
            return;
        }

        _out.WriteByteArray8(data);
        MemoPut(memoKey);
    }

    private void SavePickleBuffer(PickleBuffer pb)
    {
        if (_protocol < 5)
        {
            throw new PicklingException("PickleBuffer can only be pickled with protocol >= 5");
        }

        var inBand = _options.BufferCallback is not { } callback || callback(pb);
        if (inBand)
        {
            if (pb.IsReadOnly)
            {
                SaveBytes(pb.Memory, pb);
            }
            else
            {
                SaveByteArray(pb.Memory, pb);
            }

            return;
        }

        _out.WriteOpcode(Opcodes.NEXT_BUFFER);
        if (pb.IsReadOnly)
        {
            _out.WriteOpcode(Opcodes.READONLY_BUFFER);
        }
    }

    private bool SavePersistent(object? obj)
    {
        var pid = _options.PersistentId!(obj);
        if (pid is null)
        {
            return false;
        }

        // save(pid, pers_save=1): the id itself is not offered to the hook again.
        SaveWithoutPersistentHook(pid);
        _out.WriteOpcode(Opcodes.BINPERSID);
        return true;
    }

    private void SaveWithoutPersistentHook(object? obj)
    {
        switch (obj)
        {
            case null: _out.WriteOpcode(Opcodes.NONE); break;
            case string s:
                if (!TryMemoGet(s))
                {
                    SaveStr(s);
                    MemoPut(s);
                }

                break;
            case long l: SaveLong(l); break;
            case double d: SaveFloat(d); break;
            case bool b: _out.WriteOpcode(b ? Opcodes.NEWTRUE : Opcodes.NEWFALSE); break;
            default:
                if (!TryMemoGet(obj))
                {
                    SaveObject(obj);
                }

                break;
        }
    }
}

namespace Multiprocess.Pickle;

/// <content>The memo: an array indexed by memo key, with a dictionary for keys far beyond it (a hostile LONG_BINPUT
/// 4000000000 must not allocate 32 GB).</content>
internal sealed partial class Unpickler
{
    private Slot[] _memo = new Slot[16];
    private int[] _memoDepths = new int[16];
    private int _memoCount;           // entries set: what MEMOIZE uses as its key, as the C unpickler does
    private long _lastMemoKey = -1;
    private Dictionary<long, (object? Value, int Depth)>? _sparseMemo;

    private void MemoPut(long key, byte op, int offset)
    {
        var value = _stack[_sp - 1].Value;
        var depth = _depths[_sp - 1];
        _lastMemoKey = key;
        // Grow the array only for keys near its end (sequential MEMOIZE/PUT); far keys go to the dictionary.
        if (key >= _memo.Length && key < (long)_memo.Length * 2 + 64 && key < Array.MaxLength / 2)
        {
            var size = (int)Math.Max(key + 1, (long)_memo.Length * 2);
            Array.Resize(ref _memo, size);
            Array.Resize(ref _memoDepths, size);
            Array.Resize(ref _setBits, (size + 63) / 64);
        }

        if (key < _memo.Length)
        {
            if (!IsSet(key))
            {
                CountNewEntry(op, offset);
            }

            _memo[key].Value = value;
            _memoDepths[key] = depth;
            MarkSet(key);
            _memoHigh = (int)Math.Max(_memoHigh, key + 1);
            return;
        }

        _sparseMemo ??= [];
        if (!_sparseMemo.ContainsKey(key))
        {
            CountNewEntry(op, offset);
        }

        _sparseMemo[key] = (value, depth);
    }

    private int _memoHigh;            // one past the highest array slot written, for clearing

    private void ResetMemo()
    {
        if (_memo.Length > 4096)
        {
            _memo = new Slot[16];
            _memoDepths = new int[16];
            _setBits = new ulong[1];
        }
        else if (_memoHigh > 0)
        {
            Array.Clear(_memo, 0, _memoHigh);
            Array.Clear(_setBits, 0, (_memoHigh + 63) / 64);
        }

        _memoHigh = 0;
        _memoCount = 0;
        _lastMemoKey = -1;
        _sparseMemo = null;
    }

    private void MemoGet(long key, byte op, int offset)
    {
        if (key < _memo.Length && IsSet(key))
        {
            Push(_memo[key].Value, _memoDepths[key], op, offset);
            return;
        }

        if (_sparseMemo is not null && _sparseMemo.TryGetValue(key, out var entry))
        {
            Push(entry.Value, entry.Depth, op, offset);
            return;
        }

        throw Error($"Memo key {key} not found (memo has {_memoCount} entries)", op, offset);
    }

    /// <summary>Replaces a value in the memo slot just written (BUILD turning a NEWOBJ placeholder into a natural value).</summary>
    private void MemoReplaceLast(object? old, object? replacement)
    {
        if (_lastMemoKey < 0)
        {
            return;
        }

        if (_lastMemoKey < _memo.Length && ReferenceEquals(_memo[_lastMemoKey].Value, old))
        {
            _memo[_lastMemoKey].Value = replacement;
        }
        else if (_sparseMemo is not null && _sparseMemo.TryGetValue(_lastMemoKey, out var e) && ReferenceEquals(e.Value, old))
        {
            _sparseMemo[_lastMemoKey] = (replacement, e.Depth);
        }
    }

    private void CountNewEntry(byte op, int offset)
    {
        if (++_memoCount > _security.MaxMemoEntries)
        {
            throw Error($"memo exceeds {_security.MaxMemoEntries} entries (PickleSecurity.MaxMemoEntries)", op, offset);
        }
    }

    // One bit per array slot: set or not (None is a legitimate memo value, so null cannot mean "unset").
    private ulong[] _setBits = new ulong[1];

    private bool IsSet(long key) => (_setBits[key >> 6] & (1UL << (int)(key & 63))) != 0;

    private void MarkSet(long key) => _setBits[key >> 6] |= 1UL << (int)(key & 63);
}

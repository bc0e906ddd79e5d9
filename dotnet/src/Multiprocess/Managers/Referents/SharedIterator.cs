using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// What <c>dict.__iter__</c> returns (type id <c>Iterator</c>, IteratorProxy): a <c>dict_keyiterator</c>. It walks a
/// copy of the keys taken when it was made and, like CPython's, fails with RuntimeError once the dict changed size
/// (sticky) or lost a key it still had to yield; values may change freely. Only <c>__next__</c> exists:
/// <c>send</c>/<c>throw</c>/<c>close</c> are exposed by IteratorProxy but a dict iterator lacks them.
/// </summary>
internal sealed class SharedIterator : Referent
{
    public static readonly string[] Exposed = ["__next__", "send", "throw", "close"];

    private readonly object _gate = new();
    private readonly SharedDict _dict;
    private readonly List<object?> _keys;
    private readonly int _size;
    private int _position;
    private bool _failed;

    public SharedIterator(SharedDict dict)
    {
        _dict = dict;
        lock (dict.Gate)
        {
            _keys = dict.Snapshot();
            _size = _keys.Count;
        }
    }

    public override bool HasMethod(string name) => name == "__next__";

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        if (name != "__next__")
        {
            throw NoSuchMethod("dict_keyiterator", name);
        }

        if (args.Count != 0 || kwargs.Count != 0)
        {
            throw PyErrors.TypeError($"expected 0 arguments, got {args.Count + kwargs.Count}");
        }

        lock (_gate)
        {
            if (_failed)
            {
                throw PyErrors.RuntimeError("dictionary changed size during iteration");
            }

            if (_position >= _keys.Count)
            {
                throw PyErrors.StopIteration();
            }

            lock (_dict.Gate)
            {
                if (_dict.Count != _size)
                {
                    _failed = true;
                    throw PyErrors.RuntimeError("dictionary changed size during iteration");
                }

                var key = _keys[_position];
                var present = SharedDict.TryGet((PyDict)_dict.Gate, key, out _);
                if (!present)
                {
                    _position = _keys.Count;
                    throw PyErrors.RuntimeError("dictionary keys changed during iteration");
                }

                _position++;
                return key;
            }
        }
    }

    /// <summary>As CPython pickles a dict key iterator: <c>iter(list_of_remaining_keys)</c>.</summary>
    public override object? GetValue()
    {
        lock (_gate)
        {
            var rest = _keys.GetRange(_position, _keys.Count - _position);
            return new PyReduce(new PyGlobal("builtins", "iter"), PyTuple.Create(rest));
        }
    }

    public override string Repr() => $"<dict_keyiterator object at {Address}>";
}

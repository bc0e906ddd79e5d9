using Multiprocess.Pickle;

namespace Multiprocess.Managers.Python;

/// <summary>
/// A method's Python signature, for binding a request's <c>args</c> and <c>kwds</c> the way CPython would call
/// <c>function(*args, **kwds)</c> on the referent: positional then keyword, defaults, and the TypeError texts of
/// CPython when the call does not fit.
/// </summary>
internal sealed class PySignature
{
    /// <summary>Marks a parameter without a default.</summary>
    public static readonly object Required = new();

    private readonly string[] _names;
    private readonly object?[] _defaults;
    private readonly int _required;
    private readonly bool _positionalOnly;
    private readonly bool _keywordOnly;

    /// <summary>Initializes a new instance of the <see cref="PySignature"/> class.</summary>
    /// <param name="name">The method name for messages.</param>
    /// <param name="names">Parameter names.</param>
    /// <param name="defaults">One default per parameter, or <see cref="Required"/>.</param>
    /// <param name="positionalOnly">C builtins such as <c>dict.get</c> take no keywords.</param>
    /// <param name="keywordOnly">Like <c>list.sort(*, key, reverse)</c>.</param>
    public PySignature(string name, string[] names, object?[] defaults, bool positionalOnly = false, bool keywordOnly = false)
    {
        Name = name;
        _names = names;
        _defaults = defaults;
        _positionalOnly = positionalOnly;
        _keywordOnly = keywordOnly;
        if (names.Length > 64)
        {
            throw new ArgumentException($"{name}: at most 64 parameters ({names.Length} given)", nameof(names));
        }

        while (_required < defaults.Length && ReferenceEquals(defaults[_required], Required))
        {
            _required++;
        }
    }

    public string Name { get; }

    /// <summary>A signature without parameters.</summary>
    public static PySignature None(string name) => new(name, [], [], positionalOnly: true);

    /// <summary>Gets the number of parameters (the room <see cref="Bind(PyTuple, PyDict, Span{object})"/> needs).</summary>
    public int Count => _names.Length;

    /// <summary>Binds a call; the result has one slot per parameter.</summary>
    /// <exception cref="PyRaisedException">TypeError when the arguments do not fit.</exception>
    public object?[] Bind(PyTuple args, PyDict kwargs)
    {
        if (args.Count == 0 && kwargs.Count == 0 && _required == 0)
        {
            return _names.Length == 0 ? [] : (object?[])_defaults.Clone();
        }

        var bound = new object?[_names.Length];
        Bind(args, kwargs, bound);
        return bound;
    }

    /// <summary>
    /// Binds a call into <paramref name="bound"/> (at least <see cref="Count"/> slots): the allocation-free form for
    /// the per-call paths (a caller's <see cref="Arguments"/> on the stack).
    /// </summary>
    /// <exception cref="PyRaisedException">TypeError when the arguments do not fit.</exception>
    public void Bind(PyTuple args, PyDict kwargs, Span<object?> bound)
    {
        if (_keywordOnly && args.Count > 0)
        {
            throw PyErrors.TypeError($"{Name}() takes no positional arguments");
        }

        if (args.Count > _names.Length)
        {
            throw PyErrors.TypeError(_names.Length == 0
                ? $"{Name}() takes no arguments ({args.Count} given)"
                : $"{Name}() takes at most {_names.Length} argument{(_names.Length == 1 ? "" : "s")} ({args.Count} given)");
        }

        // Which slots a keyword filled: one bit per parameter (signatures here have a handful).
        var set = 0UL;
        for (var i = 0; i < args.Count; i++)
        {
            bound[i] = args[i];
        }

        if (kwargs.Count > 0)
        {
            if (_positionalOnly)
            {
                throw PyErrors.TypeError($"{Name}() takes no keyword arguments");
            }

            foreach (var (key, value) in kwargs)
            {
                var index = key is string s ? Array.IndexOf(_names, s) : -1;
                if (index < 0)
                {
                    throw PyErrors.TypeError(key is string
                        ? $"{Name}() got an unexpected keyword argument {PyRepr.Repr(key)}"
                        : $"{Name}() keywords must be strings");
                }

                if (index < args.Count || (set & (1UL << index)) != 0)
                {
                    throw PyErrors.TypeError($"{Name}() got multiple values for argument {PyRepr.Repr(key)}");
                }

                bound[index] = value;
                set |= 1UL << index;
            }
        }

        for (var i = args.Count; i < _names.Length; i++)
        {
            if ((set & (1UL << i)) == 0)
            {
                if (ReferenceEquals(_defaults[i], Required))
                {
                    throw PyErrors.TypeError($"{Name}() missing required argument '{_names[i]}' (pos {i + 1})");
                }

                bound[i] = _defaults[i];
            }
        }
    }

    /// <summary>Checks a call that takes no arguments at all.</summary>
    /// <exception cref="PyRaisedException">TypeError when arguments were given.</exception>
    public void BindNone(PyTuple args, PyDict kwargs)
    {
        if (args.Count != 0 || kwargs.Count != 0)
        {
            throw PyErrors.TypeError(kwargs.Count != 0 && args.Count == 0
                ? $"{Name}() takes no keyword arguments"
                : $"{Name}() takes no arguments ({args.Count + kwargs.Count} given)");
        }
    }
}

/// <summary>Room for up to four bound arguments on the stack (<see cref="PySignature.Bind(PyTuple, PyDict, Span{object})"/>).</summary>
[System.Runtime.CompilerServices.InlineArray(4)]
internal struct Arguments
{
    private object? _first;
}

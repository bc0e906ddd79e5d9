namespace Multiprocess.Pickle;

/// <summary>
/// A Python object the engine has no natural C# type for, kept losslessly as its reduce structure (the value of
/// <c>obj.__reduce_ex__(protocol)</c>): how to construct it (<see cref="Kind"/>, <see cref="Callable"/>,
/// <see cref="Args"/>, <see cref="Kwargs"/>), then <see cref="ListItems"/> (<c>extend</c>), <see cref="DictItems"/>
/// (<c>__setitem__</c>) and <see cref="State"/> (BUILD: <c>__setstate__</c> or <c>__dict__</c> update). Pickling it
/// writes the same opcodes back, so Python rebuilds an equal object: user classes, <c>collections.OrderedDict</c>,
/// <c>functools.partial</c>, functions and classes pickled by value by dill, manager <c>Token</c>s and proxies.
/// </summary>
/// <remarks>
/// Equality is identity (as for Python objects without <c>__eq__</c>); use <see cref="PyObjectComparer.Structural"/>
/// to compare content. A value built here is data only: unpickling never runs Python code or creates .NET types
/// other than the ones registered in a <see cref="PyTypeRegistry"/>.
/// </remarks>
/// <example>
/// <code>
/// // multiprocessing.managers.Token(typeid, address, id): NEWOBJ with a tuple state (docs/protocols.md §3.5).
/// var token = PyReduce.NewObj(new PyGlobal("multiprocessing.managers", "Token"),
///     state: PyTuple.Create("dict", "/tmp/pymp-x/listener-y", "7f3a1c"));
/// // A protocol-0/1 style instance: copyreg._reconstructor(cls, object, None) then BUILD with __dict__.
/// var obj = PyReduce.Reconstructor(new PyGlobal("__main__", "Point"), new PyDict { ["x"] = 1L });
/// </code>
/// </example>
public class PyReduce
{
    /// <summary>Initializes a new instance of the <see cref="PyReduce"/> class: <c>callable(*args)</c> (REDUCE).</summary>
    /// <param name="callable">The callable, usually a <see cref="PyGlobal"/>; any value is allowed (e.g. another <see cref="PyReduce"/>).</param>
    /// <param name="args">The positional arguments.</param>
    /// <param name="state">The BUILD state, or null for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="args"/> is null.</exception>
    public PyReduce(object? callable, PyTuple args, object? state = null)
        : this(PyReduceKind.Reduce, callable, args, null, state)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PyReduce"/> class of any kind.</summary>
    /// <param name="kind">How Python constructs it.</param>
    /// <param name="callable">The callable (for <see cref="PyReduceKind.NewObj"/>, <see cref="PyReduceKind.NewObjEx"/> and <see cref="PyReduceKind.Obj"/>, the class).</param>
    /// <param name="args">The positional arguments.</param>
    /// <param name="kwargs">The keyword arguments (only for <see cref="PyReduceKind.NewObjEx"/>).</param>
    /// <param name="state">The BUILD state, or null for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="args"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="kwargs"/> is given for a kind other than NewObjEx.</exception>
    public PyReduce(PyReduceKind kind, object? callable, PyTuple args, PyDict? kwargs = null, object? state = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (kwargs is not null && kind != PyReduceKind.NewObjEx)
        {
            throw new ArgumentException($"Keyword arguments need PyReduceKind.NewObjEx, not {kind}", nameof(kwargs));
        }

        Kind = kind;
        Callable = callable;
        Args = args;
        Kwargs = kind == PyReduceKind.NewObjEx ? kwargs ?? new PyDict() : null;
        State = state;
    }

    /// <summary>Gets how Python constructs the object.</summary>
    public PyReduceKind Kind { get; }

    /// <summary>Gets the callable (REDUCE) or class (NEWOBJ, NEWOBJ_EX, OBJ).</summary>
    public object? Callable { get; }

    /// <summary>Gets the positional arguments.</summary>
    public PyTuple Args { get; internal set; }

    /// <summary>Gets the keyword arguments of <see cref="PyReduceKind.NewObjEx"/>, else null.</summary>
    public PyDict? Kwargs { get; }

    /// <summary>Gets or sets the BUILD state (a dict, a <c>(dict, slots)</c> tuple, or what <c>__getstate__</c> returned); null when there is none.</summary>
    public object? State { get; set; }

    /// <summary>Gets or sets the items appended after construction (APPEND/APPENDS on the object, e.g. a list subclass).</summary>
    public List<object?>? ListItems { get; set; }

    /// <summary>Gets or sets the items set after construction (SETITEM/SETITEMS on the object, e.g. OrderedDict); kept as pairs because keys need not be hashable.</summary>
    public List<KeyValuePair<object?, object?>>? DictItems { get; set; }

    /// <summary>
    /// Gets or sets calls Python made right after building this object and then discarded (REDUCE followed by POP),
    /// kept because they have side effects: dill sets closure cells and recursive globals this way
    /// (<c>setattr(cell, 'cell_contents', f)</c>). The pickler writes each back as REDUCE then POP, after BUILD.
    /// </summary>
    public List<PyReduce>? PostCalls { get; set; }

    /// <summary>
    /// Gets the Python class when it is known from the structure: the class of NEWOBJ/NEWOBJ_EX/OBJ, the first
    /// argument of <c>copyreg._reconstructor</c>, or the callable of a REDUCE (often a class); null when the callable
    /// is not a <see cref="PyGlobal"/>.
    /// </summary>
    public PyGlobal? ClassGlobal =>
        Kind == PyReduceKind.Reduce && Callable is PyGlobal g && g.Is("copyreg", "_reconstructor") && Args.Count > 0 && Args[0] is PyGlobal c
            ? c
            : Callable as PyGlobal;

    /// <summary>Creates <c>cls.__new__(cls, *args)</c> (NEWOBJ), what protocol 2+ writes for most class instances.</summary>
    /// <param name="cls">The class.</param>
    /// <param name="args">The <c>__new__</c> arguments (<c>__getnewargs__</c>), or null for none.</param>
    /// <param name="state">The BUILD state (<c>__getstate__</c>: usually the instance dict), or null for none.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cls"/> is null.</exception>
    public static PyReduce NewObj(PyGlobal cls, PyTuple? args = null, object? state = null)
    {
        ArgumentNullException.ThrowIfNull(cls);
        return new PyReduce(PyReduceKind.NewObj, cls, args ?? PyTuple.Empty, null, state);
    }

    /// <summary>Creates <c>cls.__new__(cls, *args, **kwargs)</c> (NEWOBJ_EX).</summary>
    /// <param name="cls">The class.</param>
    /// <param name="args">The positional arguments.</param>
    /// <param name="kwargs">The keyword arguments (str keys).</param>
    /// <param name="state">The BUILD state, or null.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cls"/> is null.</exception>
    public static PyReduce NewObjEx(PyGlobal cls, PyTuple args, PyDict kwargs, object? state = null)
    {
        ArgumentNullException.ThrowIfNull(cls);
        return new PyReduce(PyReduceKind.NewObjEx, cls, args, kwargs, state);
    }

    /// <summary>Creates <c>copyreg._reconstructor(cls, object, None)</c> plus a BUILD state: how protocols 0 and 1 write plain instances.</summary>
    /// <param name="cls">The class.</param>
    /// <param name="state">The instance dict (or other state), or null.</param>
    /// <returns>The value.</returns>
    public static PyReduce Reconstructor(PyGlobal cls, object? state = null) =>
        new(PyGlobal.CopyregReconstructor, PyTuple.Create(cls, PyGlobal.Object, null), state);

    /// <summary>Returns a repr like CPython's default one, <c>&lt;module.Class object at 0x…&gt;</c>.</summary>
    /// <returns>The repr text.</returns>
    public override string ToString() => PyRepr.Repr(this);
}

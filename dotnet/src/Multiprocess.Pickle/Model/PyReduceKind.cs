namespace Multiprocess.Pickle;

/// <summary>How a <see cref="PyReduce"/> value is constructed on the Python side (which opcode rebuilds it).</summary>
public enum PyReduceKind
{
    /// <summary><c>callable(*args)</c>: REDUCE.</summary>
    Reduce,

    /// <summary><c>cls.__new__(cls, *args)</c>: NEWOBJ (protocol 2+; <c>copyreg.__newobj__</c>).</summary>
    NewObj,

    /// <summary><c>cls.__new__(cls, *args, **kwargs)</c>: NEWOBJ_EX (protocol 4+; <c>copyreg.__newobj_ex__</c>).</summary>
    NewObjEx,

    /// <summary>Protocol 0/1 INST or OBJ: <c>cls(*args)</c>, or <c>cls.__new__(cls)</c> when there are no arguments.</summary>
    Obj,
}

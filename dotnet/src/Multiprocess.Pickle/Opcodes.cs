namespace Multiprocess.Pickle;

/// <summary>
/// The pickle opcodes with CPython's names (Lib/pickle.py), so code lines up with <c>pickletools.dis</c> output and
/// the golden .dis files. Comments are CPython's.
/// </summary>
public static class Opcodes
{
    /// <summary>push special markobject on stack</summary>
    public const byte MARK = (byte)'(';
    /// <summary>every pickle ends with STOP</summary>
    public const byte STOP = (byte)'.';
    /// <summary>discard topmost stack item</summary>
    public const byte POP = (byte)'0';
    /// <summary>discard stack top through topmost markobject</summary>
    public const byte POP_MARK = (byte)'1';
    /// <summary>duplicate top stack item</summary>
    public const byte DUP = (byte)'2';
    /// <summary>push float object; decimal string argument</summary>
    public const byte FLOAT = (byte)'F';
    /// <summary>push integer or bool; decimal string argument</summary>
    public const byte INT = (byte)'I';
    /// <summary>push four-byte signed int</summary>
    public const byte BININT = (byte)'J';
    /// <summary>push 1-byte unsigned int</summary>
    public const byte BININT1 = (byte)'K';
    /// <summary>push long; decimal string argument</summary>
    public const byte LONG = (byte)'L';
    /// <summary>push 2-byte unsigned int</summary>
    public const byte BININT2 = (byte)'M';
    /// <summary>push None</summary>
    public const byte NONE = (byte)'N';
    /// <summary>push persistent object; id is taken from string arg</summary>
    public const byte PERSID = (byte)'P';
    /// <summary>push persistent object; id is taken from stack</summary>
    public const byte BINPERSID = (byte)'Q';
    /// <summary>apply callable to argtuple, both on stack</summary>
    public const byte REDUCE = (byte)'R';
    /// <summary>push string; NL-terminated string argument</summary>
    public const byte STRING = (byte)'S';
    /// <summary>push string; counted binary string argument</summary>
    public const byte BINSTRING = (byte)'T';
    /// <summary>push string; counted binary string argument &lt; 256 bytes</summary>
    public const byte SHORT_BINSTRING = (byte)'U';
    /// <summary>push Unicode string; raw-unicode-escaped'd argument</summary>
    public const byte UNICODE = (byte)'V';
    /// <summary>push Unicode string; counted UTF-8 string argument</summary>
    public const byte BINUNICODE = (byte)'X';
    /// <summary>append stack top to list below it</summary>
    public const byte APPEND = (byte)'a';
    /// <summary>call __setstate__ or __dict__.update()</summary>
    public const byte BUILD = (byte)'b';
    /// <summary>push self.find_class(modname, name); 2 string args</summary>
    public const byte GLOBAL = (byte)'c';
    /// <summary>build a dict from stack items</summary>
    public const byte DICT = (byte)'d';
    /// <summary>push empty dict</summary>
    public const byte EMPTY_DICT = (byte)'}';
    /// <summary>extend list on stack by topmost stack slice</summary>
    public const byte APPENDS = (byte)'e';
    /// <summary>push item from memo on stack; index is string arg</summary>
    public const byte GET = (byte)'g';
    /// <summary>  "    "    "    "   "   "  ;   "    " 1-byte arg</summary>
    public const byte BINGET = (byte)'h';
    /// <summary>build &amp; push class instance</summary>
    public const byte INST = (byte)'i';
    /// <summary>push item from memo on stack; index is 4-byte arg</summary>
    public const byte LONG_BINGET = (byte)'j';
    /// <summary>build list from topmost stack items</summary>
    public const byte LIST = (byte)'l';
    /// <summary>push empty list</summary>
    public const byte EMPTY_LIST = (byte)']';
    /// <summary>build &amp; push class instance</summary>
    public const byte OBJ = (byte)'o';
    /// <summary>store stack top in memo; index is string arg</summary>
    public const byte PUT = (byte)'p';
    /// <summary>  "     "    "   "   " ;   "    " 1-byte arg</summary>
    public const byte BINPUT = (byte)'q';
    /// <summary>  "     "    "   "   " ;   "    " 4-byte arg</summary>
    public const byte LONG_BINPUT = (byte)'r';
    /// <summary>add key+value pair to dict</summary>
    public const byte SETITEM = (byte)'s';
    /// <summary>build tuple from topmost stack items</summary>
    public const byte TUPLE = (byte)'t';
    /// <summary>push empty tuple</summary>
    public const byte EMPTY_TUPLE = (byte)')';
    /// <summary>modify dict by adding topmost key+value pairs</summary>
    public const byte SETITEMS = (byte)'u';
    /// <summary>push float; arg is 8-byte float encoding</summary>
    public const byte BINFLOAT = (byte)'G';

    /// <summary>identify pickle protocol</summary>
    public const byte PROTO = 0x80;
    /// <summary>build object by applying cls.__new__ to argtuple</summary>
    public const byte NEWOBJ = 0x81;
    /// <summary>push object from extension registry; 1-byte index</summary>
    public const byte EXT1 = 0x82;
    /// <summary>ditto, but 2-byte index</summary>
    public const byte EXT2 = 0x83;
    /// <summary>ditto, but 4-byte index</summary>
    public const byte EXT4 = 0x84;
    /// <summary>build 1-tuple from stack top</summary>
    public const byte TUPLE1 = 0x85;
    /// <summary>build 2-tuple from two topmost stack items</summary>
    public const byte TUPLE2 = 0x86;
    /// <summary>build 3-tuple from three topmost stack items</summary>
    public const byte TUPLE3 = 0x87;
    /// <summary>push True</summary>
    public const byte NEWTRUE = 0x88;
    /// <summary>push False</summary>
    public const byte NEWFALSE = 0x89;
    /// <summary>push long from &lt; 256 bytes</summary>
    public const byte LONG1 = 0x8a;
    /// <summary>push really big long</summary>
    public const byte LONG4 = 0x8b;

    /// <summary>push bytes; counted binary string argument</summary>
    public const byte BINBYTES = (byte)'B';
    /// <summary>  "     "   ;    "      "       "      " &lt; 256 bytes</summary>
    public const byte SHORT_BINBYTES = (byte)'C';

    /// <summary>push short string; UTF-8 length &lt; 256 bytes</summary>
    public const byte SHORT_BINUNICODE = 0x8c;
    /// <summary>push very long string</summary>
    public const byte BINUNICODE8 = 0x8d;
    /// <summary>push very long bytes string</summary>
    public const byte BINBYTES8 = 0x8e;
    /// <summary>push empty set on the stack</summary>
    public const byte EMPTY_SET = 0x8f;
    /// <summary>modify set by adding topmost stack items</summary>
    public const byte ADDITEMS = 0x90;
    /// <summary>build frozenset from topmost stack items</summary>
    public const byte FROZENSET = 0x91;
    /// <summary>like NEWOBJ but work with keyword only arguments</summary>
    public const byte NEWOBJ_EX = 0x92;
    /// <summary>same as GLOBAL but using names on the stacks</summary>
    public const byte STACK_GLOBAL = 0x93;
    /// <summary>store top of the stack in memo</summary>
    public const byte MEMOIZE = 0x94;
    /// <summary>indicate the beginning of a new frame</summary>
    public const byte FRAME = 0x95;

    /// <summary>push bytearray</summary>
    public const byte BYTEARRAY8 = 0x96;
    /// <summary>push next out-of-band buffer</summary>
    public const byte NEXT_BUFFER = 0x97;
    /// <summary>make top of stack readonly</summary>
    public const byte READONLY_BUFFER = 0x98;

    /// <summary>The highest protocol this codec reads and writes (pickle.HIGHEST_PROTOCOL on 3.8–3.13).</summary>
    public const int HighestProtocol = 5;

    private static readonly string?[] s_names = BuildNames();

    /// <summary>Returns CPython's name of an opcode byte, or null if it is not an opcode.</summary>
    /// <param name="opcode">The byte.</param>
    /// <returns>E.g. <c>SHORT_BINUNICODE</c>.</returns>
    public static string? Name(byte opcode) => s_names[opcode];

    /// <summary>Describes an opcode byte for error messages: <c>0x8C SHORT_BINUNICODE</c>, or <c>0x01 (not an opcode)</c>.</summary>
    /// <param name="opcode">The byte.</param>
    /// <returns>The text.</returns>
    public static string Describe(byte opcode) =>
        $"0x{opcode:X2} {(s_names[opcode] is { } n ? n : "(not an opcode)")}";

    private static string?[] BuildNames()
    {
        var names = new string?[256];
        foreach (var f in typeof(Opcodes).GetFields())
        {
            if (f.IsLiteral && f.FieldType == typeof(byte))
            {
                names[(byte)f.GetRawConstantValue()!] = f.Name;
            }
        }

        return names;
    }
}

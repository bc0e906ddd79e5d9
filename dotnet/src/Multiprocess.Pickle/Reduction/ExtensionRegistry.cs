namespace Multiprocess.Pickle;

/// <summary>
/// copyreg's extension registry (<c>copyreg.add_extension</c>): small integer codes that EXT1/EXT2/EXT4 use in
/// place of a (module, name) pair. Empty by default, as in CPython; both sides must register the same codes.
/// </summary>
public sealed class ExtensionRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<int, PyGlobal> _byCode = [];
    private readonly Dictionary<(string, string), int> _byName = [];

    /// <summary>Registers <paramref name="module"/>.<paramref name="name"/> under <paramref name="code"/>.</summary>
    /// <param name="module">The module.</param>
    /// <param name="name">The qualified name.</param>
    /// <param name="code">The code, 1 to 0x7fffffff.</param>
    /// <exception cref="ArgumentOutOfRangeException">The code is out of range.</exception>
    /// <exception cref="ArgumentException">The code or the name is already registered differently (copyreg's ValueError).</exception>
    public void Add(string module, string name, int code)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(code, 1);
        lock (_gate)
        {
            var key = (module, name);
            if (_byName.TryGetValue(key, out var existing) && existing == code && _byCode.TryGetValue(code, out var g) && g.Is(module, name))
            {
                return;
            }

            if (_byName.TryGetValue(key, out existing))
            {
                throw new ArgumentException($"key ('{module}', '{name}') is already registered with code {existing}", nameof(name));
            }

            if (_byCode.TryGetValue(code, out var other))
            {
                throw new ArgumentException($"code {code} is already in use for key ('{other.Module}', '{other.Name}')", nameof(code));
            }

            _byName[key] = code;
            _byCode[code] = new PyGlobal(module, name);
        }
    }

    /// <summary>Unregisters a code (<c>copyreg.remove_extension</c>).</summary>
    /// <param name="module">The module.</param>
    /// <param name="name">The qualified name.</param>
    /// <param name="code">The code.</param>
    /// <exception cref="ArgumentException">That (module, name, code) is not registered.</exception>
    public void Remove(string module, string name, int code)
    {
        lock (_gate)
        {
            if (!_byName.TryGetValue((module, name), out var existing) || existing != code)
            {
                throw new ArgumentException($"key ('{module}', '{name}') is not registered with code {code}", nameof(code));
            }

            _byName.Remove((module, name));
            _byCode.Remove(code);
        }
    }

    /// <summary>Looks up the global registered under <paramref name="code"/>.</summary>
    /// <param name="code">The code.</param>
    /// <param name="global">The global.</param>
    /// <returns>Whether the code is registered.</returns>
    public bool TryGetGlobal(int code, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PyGlobal? global)
    {
        lock (_gate)
        {
            return _byCode.TryGetValue(code, out global);
        }
    }

    /// <summary>Looks up the code of a global.</summary>
    /// <param name="module">The module.</param>
    /// <param name="name">The qualified name.</param>
    /// <param name="code">The code.</param>
    /// <returns>Whether it is registered.</returns>
    public bool TryGetCode(string module, string name, out int code)
    {
        lock (_gate)
        {
            return _byName.TryGetValue((module, name), out code);
        }
    }
}

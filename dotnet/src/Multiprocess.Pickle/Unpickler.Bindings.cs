using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <content>
/// Registered classes (<see cref="PyTypeRegistry"/>): instances are read as <see cref="PyReduce"/> and converted by
/// their binding once the whole pickle is read, children first, so <see cref="PyClassBinding.Construct"/> sees a
/// complete value (BUILD state and items come after the object is created and memoized).
/// </content>
internal sealed partial class Unpickler
{
    private HashSet<PyReduce>? _pending;

    private bool HasPendingBindings => _pending is not null;

    private PyReduce Track(PyReduce value)
    {
        if (_options.Registry.HasBindings && value.ClassGlobal is { } cls && _options.Registry.TryGetByClass(cls, out _))
        {
            (_pending ??= new HashSet<PyReduce>(ReferenceEqualityComparer.Instance)).Add(value);
        }

        return value;
    }

    private object? FinishBindings(object? root)
    {
        var converter = new BindingConverter(this);
        return converter.Visit(root);
    }

    private sealed class BindingConverter(Unpickler owner)
    {
        private readonly Dictionary<object, object?> _done = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<object> _active = new(ReferenceEqualityComparer.Instance);

        public object? Visit(object? value)
        {
            if (value is null or string or long or double or bool or byte[] or PyGlobal or PySingleton)
            {
                return value;
            }

            if (_done.TryGetValue(value, out var converted))
            {
                return converted;
            }

            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                throw new UnpicklingException("object graph too deep to convert registered classes");
            }

            if (!_active.Add(value))
            {
                if (value is PyReduce r0 && owner._pending!.Contains(r0))
                {
                    throw new UnpicklingException($"{r0.ClassGlobal} refers to itself through its own state; a registered class cannot be part of a reference cycle");
                }

                return value; // a container in a cycle: it is being fixed further up
            }

            var result = value;
            switch (value)
            {
                case List<object?> list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        list[i] = Visit(list[i]);
                    }

                    break;
                case PyTuple t:
                    var items = t.Items;
                    for (var i = 0; i < items.Length; i++)
                    {
                        items[i] = Visit(items[i]);
                    }

                    break;
                case PyDict dict:
                    var pairs = dict.ToList();
                    var changed = false;
                    for (var i = 0; i < pairs.Count; i++)
                    {
                        var k = Visit(pairs[i].Key);
                        var v = Visit(pairs[i].Value);
                        changed |= !ReferenceEquals(k, pairs[i].Key) || !ReferenceEquals(v, pairs[i].Value);
                        pairs[i] = new(k, v);
                    }

                    if (changed)
                    {
                        dict.Clear();
                        foreach (var (k, v) in pairs)
                        {
                            dict.SetItem(k, v);
                        }
                    }

                    break;
                case PySet set:
                    var members = set.ToList();
                    var newMembers = members.Select(Visit).ToList();
                    if (!members.SequenceEqual(newMembers, ReferenceEqualityComparer.Instance))
                    {
                        set.Clear();
                        set.UnionWith(newMembers);
                    }

                    break;
                case PyFrozenSet fs:
                    var fsMembers = fs.ToList();
                    var fsNew = fsMembers.Select(Visit).ToList();
                    if (!fsMembers.SequenceEqual(fsNew, ReferenceEqualityComparer.Instance))
                    {
                        result = new PyFrozenSet(fsNew);
                    }

                    break;
                case PyReduce r:
                    r.Args = (PyTuple)Visit(r.Args)!;
                    Visit(r.Kwargs);
                    r.State = Visit(r.State);
                    if (r.ListItems is { } li)
                    {
                        for (var i = 0; i < li.Count; i++)
                        {
                            li[i] = Visit(li[i]);
                        }
                    }

                    if (r.DictItems is { } di)
                    {
                        for (var i = 0; i < di.Count; i++)
                        {
                            di[i] = new(Visit(di[i].Key), Visit(di[i].Value));
                        }
                    }

                    if (owner._pending!.Contains(r) && owner._options.Registry.TryGetByClass(r.ClassGlobal!, out var binding))
                    {
                        try
                        {
                            result = binding.Construct(r);
                        }
                        catch (Exception e) when (e is not UnpicklingException)
                        {
                            throw new UnpicklingException($"the binding of {binding.PythonClass} failed to construct {binding.ClrType.Name}: {e.Message}", e);
                        }
                    }

                    break;
            }

            _active.Remove(value);
            _done[value] = result;
            return result;
        }
    }
}

namespace Multiprocess.Managers.Client;

/// <summary>A type id registered with a client (CPython's registry entry, client side: the proxy type and whether a creation method exists).</summary>
internal sealed record ProxyRegistration(string TypeId, Func<ProxyArgs, BaseProxy>? Factory, bool CreateMethod);

using Multiprocess.Managers.Protocol;

namespace Multiprocess.Managers.Client;

/// <summary>Names a request in error messages (built only when one is needed): <c>'get' on Queue '7f…'</c> or <c>'create'</c>.</summary>
internal readonly struct CallDescription(string method, Token? token)
{
    public override string ToString() =>
        token is null ? $"'{method}'" : $"'{method}' on {token.TypeId} '{token.Id}'";
}

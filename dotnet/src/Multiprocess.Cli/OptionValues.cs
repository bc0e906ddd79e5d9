using System.CommandLine.Parsing;
using System.Globalization;

namespace Multiprocess.Cli;

/// <summary>Parses one token into a value, or says it cannot (a <c>TryParse</c>).</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="text">The token.</param>
/// <param name="value">The value, when it parses.</param>
/// <returns>Whether it parses.</returns>
internal delegate bool TryParser<T>(string text, out T value);

/// <summary>
/// Option and argument parsers that keep the command's own error texts (<c>--backlog 'x' is not a non-negative
/// number</c>), which name the option and the value, instead of a generic "cannot parse as Int32".
/// </summary>
internal static class OptionValues
{
    /// <summary>A System.CommandLine <c>CustomParser</c> from a <see cref="TryParser{T}"/> and an error text.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="tryParse">Parses the token.</param>
    /// <param name="error">The error text for a token that does not parse.</param>
    /// <returns>The parser.</returns>
    public static Func<ArgumentResult, T?> From<T>(TryParser<T> tryParse, Func<string, string> error) => result =>
    {
        if (result.Tokens.Count == 0)
        {
            // System.CommandLine also calls the parser for an option that was not given: its default, then.
            return result.Argument.HasDefaultValue ? (T?)result.Argument.GetDefaultValue() : default;
        }

        var text = result.Tokens[^1].Value;
        if (tryParse(text, out var value))
        {
            return value;
        }

        result.AddError(error(text));
        return default;
    };

    /// <summary>Refuses a word that looks like an option where an argument is expected (<c>--nope</c> as a FILE).</summary>
    /// <param name="argument">The argument.</param>
    /// <returns><paramref name="argument"/>.</returns>
    /// <typeparam name="T">The argument's value type.</typeparam>
    public static System.CommandLine.Argument<T> NotAnOption<T>(this System.CommandLine.Argument<T> argument)
    {
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (token.Value.Length > 1 && token.Value[0] == '-')
                {
                    result.AddError($"unknown option '{token.Value}'");
                    return;
                }
            }
        });
        return argument;
    }

    /// <summary>Digits only: <c>0</c> and up (no sign, no spaces).</summary>
    /// <param name="text">The token.</param>
    /// <param name="value">The number.</param>
    /// <returns>Whether it parses.</returns>
    public static bool NonNegative(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    /// <summary>Hex digits, an even number of them, as <see cref="Convert.FromHexString(string)"/> reads them.</summary>
    /// <param name="text">The token.</param>
    /// <param name="bytes">The bytes.</param>
    /// <returns>Whether it parses.</returns>
    public static bool Hex(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    /// <summary>Makes <paramref name="words"/> the completions of an option (shown by <c>[suggest]</c> and in help).</summary>
    /// <typeparam name="T">The option's value type.</typeparam>
    /// <param name="option">The option.</param>
    /// <param name="words">Its values.</param>
    /// <returns><paramref name="option"/>.</returns>
    public static System.CommandLine.Option<T> Completing<T>(this System.CommandLine.Option<T> option, params string[] words)
    {
        option.CompletionSources.Clear();    // an enum's or bool's own names are not the words the command takes
        System.CommandLine.CompletionSourceExtensions.Add(option.CompletionSources, words);
        return option;
    }
}

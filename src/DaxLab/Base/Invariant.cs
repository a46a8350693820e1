using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace DaxLab.Base;

/// <summary>
/// The invariants the code states, checked in every build. A broken one found late is a
/// corrupted file system or a wrong verdict, so, as TigerBeetle does, they stay on in Release:
/// under the checker a broken invariant ends the run as a failure with its diagram and replay
/// token; on real threads it throws <see cref="InvariantViolationException"/> with the
/// invariant's words.
/// </summary>
public static class Invariant
{

    /// <summary>
    /// Throws when <paramref name="condition"/> is false; <paramref name="invariant"/> says what
    /// should hold, by default the condition's own source text.
    /// </summary>
    public static void Holds(
        [DoesNotReturnIf(false)] bool condition,
        [CallerArgumentExpression(nameof(condition))] string invariant = "")
    {
        if (!condition)
            Broken(invariant);
    }

    /// <summary>The same, with a message that is formatted only when the invariant is broken.</summary>
    public static void Holds(
        [DoesNotReturnIf(false)] bool condition,
        [InterpolatedStringHandlerArgument(nameof(condition))] ref MessageWhenBroken invariant)
    {
        if (!condition)
            Broken(invariant.ToStringAndClear());
    }

    // Out of line, so the checks inlined into hot paths stay a test and a branch.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Broken(string invariant) => throw new InvariantViolationException(invariant);

    /// <summary>Builds an invariant's message only when its condition is false: the hot paths pay nothing to format.</summary>
    [InterpolatedStringHandler]
    public ref struct MessageWhenBroken
    {
        private DefaultInterpolatedStringHandler message;

        public MessageWhenBroken(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
        {
            shouldAppend = !condition;
            message = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }

        public void AppendLiteral(string value) => message.AppendLiteral(value);

        public void AppendFormatted<T>(T value) => message.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => message.AppendFormatted(value, format);

        public string ToStringAndClear() => message.ToStringAndClear();
    }
}

/// <summary>An invariant the code states was found broken: a bug in the engine or the design, never a user error.</summary>
public sealed class InvariantViolationException(string invariant) : Exception($"invariant broken: {invariant}");

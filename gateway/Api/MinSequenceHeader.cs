namespace Ledger.Gateway.Api;

/// <summary>
/// Endpoint metadata: this read takes <c>Ledger-Min-Sequence</c> (read-your-writes through a statements replica). The
/// handler reads the header only where this is declared (<see cref="Edge.ReadYourWritesAsync"/>) and the OpenAPI
/// transformer declares it exactly there, so the document and the handlers cannot drift apart.
/// </summary>
internal sealed class MinSequenceHeader
{
    public const string Name = "Ledger-Min-Sequence";

    public const string Description =
        "Read your own write through a statements replica: the sequence of an entry you were answered (for an account's read, an entry of that " +
        "account; for the whole-ledger statement, any). A replica waits, at most Ledger:ReadYourWritesWaitMax, until it holds it, else 503 " +
        "read-side-behind with Retry-After. The ledger process holds every write it acknowledged before the read and only checks the value " +
        "(a positive integer, else 400).";

    public static readonly MinSequenceHeader Instance = new();

    private MinSequenceHeader()
    {
    }
}

internal static class MinSequenceHeaderExtensions
{
    public static RouteHandlerBuilder WithMinSequenceHeader(this RouteHandlerBuilder builder) => builder.WithMetadata(MinSequenceHeader.Instance);
}

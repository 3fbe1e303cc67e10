namespace Ledger.Engine.Encoding;

/// <summary>Bytes that are not what <see cref="VarWriter"/> writes (the stores turn it into their own format error).</summary>
public sealed class VarFormatException(string message) : FormatException(message);

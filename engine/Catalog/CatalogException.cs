namespace Ledger.Engine.Catalog;

/// <summary>A history-code catalog that cannot be used; the message says what to fix.</summary>
public sealed class CatalogException(string message) : Exception(message);

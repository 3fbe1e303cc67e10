namespace Ledger.Journal;

/// <summary>Where and why a journal stops being readable.</summary>
/// <param name="Address">FasterLog address of the damaged (or missing) record.</param>
/// <param name="ExpectedRecordNumber">The record number that should have been there.</param>
/// <param name="Reason">What is wrong, as a sentence fragment.</param>
public sealed record JournalDamage(long Address, long ExpectedRecordNumber, string Reason)
{
    public override string ToString() => $"record {ExpectedRecordNumber} at address {Address}: {Reason}";
}

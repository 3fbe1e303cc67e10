namespace Ledger.Engine;

/// <summary>
/// A broken invariant: a bug in the ledger, never a fault of input or storage. It derives from <see cref="Exception"/>, not
/// <see cref="InvalidOperationException"/>, so no handler written for expected failures (a damaged store, a closing
/// component) catches it by accident: nothing may catch it to "repair" the state (rebuild a store, retry), because the
/// state that broke it is the evidence. It stops the pipeline (fail-stop) or start-up, loudly.
/// Usage: <c>Invariant.Fail("what broke")</c>, or <c>throw new InvariantViolationException("Invariant: …")</c> outside the engine.
/// </summary>
public sealed class InvariantViolationException(string message) : Exception(message);

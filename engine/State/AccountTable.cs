using System.Runtime.InteropServices;
using Ledger.Engine.Domain;

namespace Ledger.Engine.State;

/// <summary>Accounts in a dense array (index = opening order), found by key through one dictionary.</summary>
public sealed class AccountTable(int initialCapacity)
{
    private readonly Dictionary<long, int> _indexByKey = new(initialCapacity);
    private AccountState[] _accounts = new AccountState[Math.Max(16, initialCapacity)];

    public int Count { get; private set; }

    public ref AccountState this[int index] => ref _accounts[index];

    public ReadOnlySpan<AccountState> All => _accounts.AsSpan(0, Count);

    /// <summary>Index of the account, or -1.</summary>
    public int Find(AccountKey key) => _indexByKey.TryGetValue(key.Packed, out int index) ? index : -1;

    /// <summary>Adds an account that does not exist yet and returns its index.</summary>
    public int Add(in AccountState account)
    {
        if (Count == _accounts.Length) Array.Resize(ref _accounts, _accounts.Length * 2);
        int index = Count++;
        _accounts[index] = account;
        ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_indexByKey, account.Key.Packed, out bool exists);
        if (exists) throw new InvalidOperationException($"Invariant: account {account.Key} added twice.");
        slot = index;
        return index;
    }
}

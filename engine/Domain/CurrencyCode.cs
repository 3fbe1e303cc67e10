using System.Diagnostics.CodeAnalysis;

namespace Ledger.Engine.Domain;

/// <summary>
/// An ISO-4217 currency, packed as three ASCII letters in an int (no string on the hot path).
/// Only codes of the ISO table below are valid; <see cref="Scale"/> is its minor-unit exponent.
/// </summary>
public readonly record struct CurrencyCode(int Packed)
{
    public static readonly CurrencyCode None;

    public bool IsNone => Packed == 0;

    /// <summary>Minor-unit digits: USD 2, JPY 0, BHD 3.</summary>
    public int Scale => Iso4217.Scale(this);

    /// <summary>Parses a three-letter upper-case code of the ISO table; false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out CurrencyCode code)
    {
        code = default;
        if (text.Length != 3) return false;
        int packed = 0;
        foreach (char c in text)
        {
            if (c is < 'A' or > 'Z') return false;
            packed = (packed << 8) | c;
        }
        var candidate = new CurrencyCode(packed);
        if (!Iso4217.IsKnown(candidate)) return false;
        code = candidate;
        return true;
    }

    public static CurrencyCode Parse(string text) =>
        TryParse(text, out var code) ? code : throw new FormatException($"'{text}' is not an ISO-4217 currency code this ledger knows.");

    /// <summary>The code's three letters as ASCII bytes into <paramref name="into"/> (no string).</summary>
    public void WriteLetters(Span<byte> into)
    {
        into[0] = (byte)((Packed >> 16) & 0xFF);
        into[1] = (byte)((Packed >> 8) & 0xFF);
        into[2] = (byte)(Packed & 0xFF);
    }

    [SuppressMessage("Globalization", "CA1305", Justification = "ASCII letters.")]
    public override string ToString() => IsNone
        ? ""
        : string.Create(3, Packed, static (span, p) =>
        {
            span[0] = (char)((p >> 16) & 0xFF);
            span[1] = (char)((p >> 8) & 0xFF);
            span[2] = (char)(p & 0xFF);
        });
}

/// <summary>The ISO-4217 active codes with their minor-unit exponents.</summary>
internal static class Iso4217
{
    private static readonly Dictionary<int, int> Scales = Build();

    public static bool IsKnown(CurrencyCode code) => Scales.ContainsKey(code.Packed);

    public static int Scale(CurrencyCode code) => Scales.TryGetValue(code.Packed, out int s) ? s : 2;

    private static Dictionary<int, int> Build()
    {
        // Most codes have 2 minor digits; the exceptions are listed explicitly.
        const string twoDigits =
            "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF " +
            "CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF " +
            "IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR " +
            "MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD " +
            "SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL";
        const string zeroDigits = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
        const string threeDigits = "BHD IQD JOD KWD LYD OMR TND";
        var map = new Dictionary<int, int>();
        Add(map, twoDigits, 2);
        Add(map, zeroDigits, 0);
        Add(map, threeDigits, 3);
        map[Pack("CLF")] = 4;
        map[Pack("UYW")] = 4;
        return map;
    }

    private static void Add(Dictionary<int, int> map, string codes, int scale)
    {
        foreach (var code in codes.Split(' ', StringSplitOptions.RemoveEmptyEntries)) map[Pack(code)] = scale;
    }

    private static int Pack(string code) => (code[0] << 16) | (code[1] << 8) | code[2];
}

namespace Ledger.Journal.WhatIf;

/// <summary>The summary's JSON (<c>summary.json</c>, and the body of <c>GET /v1/simulations/{id}</c> once done): one writer for both.</summary>
public static class WhatIfSummaryJson
{
    public static void Write(System.Text.Json.Utf8JsonWriter w, WhatIfSummary s)
    {
        w.WriteStartObject();
        w.WriteNumber("commandsCompared", s.CommandsCompared);
        w.WriteNumber("entriesCompared", s.EntriesCompared);
        w.WriteNumber("commandsChanged", s.CommandsChanged);
        w.WriteNumber("entriesChanged", s.EntriesChanged);
        WriteChanges(w, s);
        w.WriteNumber("direct", s.Direct);
        w.WriteNumber("feesPostedMinor", s.FeesPostedMinor);
        w.WriteNumber("accountsWithBalanceDelta", s.AccountsWithBalanceDelta);
        w.WriteString("stateHashBaseline", s.StateHashBaseline);
        w.WriteString("stateHashCandidate", s.StateHashCandidate);
        w.WriteNumber("recordsRead", s.RecordsRead);
        w.WriteNumber("firstRecord", s.FirstRecord);
        w.WriteNumber("lastRecord", s.LastRecord);
        if (s.WindowFrom is null) w.WriteNull("from");
        else w.WriteString("from", s.WindowFrom);
        if (s.WindowTo is null) w.WriteNull("to");
        else w.WriteString("to", s.WindowTo);
        w.WriteStartObject("byCode");
        foreach (var (code, t) in s.ByCode)
        {
            if (t.EntriesCompared == 0 && t.FlippedToDeclined + t.FlippedToPosted + t.OtherChanges == 0) continue;
            WriteTally(w, code.ToString(System.Globalization.CultureInfo.InvariantCulture), t);
        }
        w.WriteEndObject();
        w.WriteStartObject("byDomain");
        foreach (var (domain, t) in s.ByDomain) WriteTally(w, domain, t);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static byte[] ToUtf8(WhatIfSummary s, bool indented = true)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = indented })) Write(w, s);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteTally(System.Text.Json.Utf8JsonWriter w, string name, WhatIfTally t)
    {
        w.WriteStartObject(name);
        w.WriteNumber("entriesCompared", t.EntriesCompared);
        WriteChanges(w, t);
        w.WriteEndObject();
    }

    /// <summary>The changes of a tally, the summary's or a code's or domain's, under the same names.</summary>
    private static void WriteChanges(System.Text.Json.Utf8JsonWriter w, WhatIfTally t)
    {
        w.WriteNumber("flippedToDeclined", t.FlippedToDeclined);
        w.WriteNumber("flippedToPosted", t.FlippedToPosted);
        w.WriteNumber("otherChanges", t.OtherChanges);
        w.WriteNumber("knockOn", t.KnockOn);
    }
}

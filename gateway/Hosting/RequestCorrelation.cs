using System.Diagnostics;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Request ids and traces: the <c>X-Request-Id</c> a client sends (1..128 visible ASCII characters) is echoed on the
/// response and becomes the request's <see cref="HttpContext.TraceIdentifier"/> (logs, Problems); when absent or unusable
/// one is generated. A W3C <c>traceparent</c> is honoured: a Problem's <c>traceId</c> is its trace id (ASP.NET's
/// request activity continues it; without one, the header is parsed here), else a new one.
/// </summary>
internal static class RequestCorrelation
{
    public const string Header = "X-Request-Id";
    private const int LengthMax = 128;

    public static Task Middleware(HttpContext context, RequestDelegate next)
    {
        string? given = context.Request.Headers[Header];
        context.TraceIdentifier = IsUsable(given) ? given! : Guid.NewGuid().ToString("N");
        context.Response.Headers[Header] = context.TraceIdentifier;
        return next(context);
    }

    private static bool IsUsable(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > LengthMax) return false;
        foreach (char c in id)
        {
            if (c is < '!' or > '~') return false;
        }
        return true;
    }

    /// <summary>The W3C trace id of the request: its activity's, else its <c>traceparent</c>'s, else a new one.</summary>
    public static string TraceIdOf(HttpContext context)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity) return activity.TraceId.ToHexString();
        string? parent = context.Request.Headers["traceparent"];
        if (parent is not null && ActivityContext.TryParse(parent, context.Request.Headers["tracestate"], out var parsed)) return parsed.TraceId.ToHexString();
        return ActivityTraceId.CreateRandom().ToHexString();
    }
}

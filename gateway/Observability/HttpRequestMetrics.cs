using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Prometheus;

namespace Ledger.Gateway.Observability;

/// <summary>
/// Records the gateway's HTTP request metrics (defined in <see cref="LedgerMetrics"/>), in one middleware placed after routing: <c>http_requests_in_progress</c>
/// {method, route}, <c>http_requests_received_total</c> and <c>http_request_duration_seconds</c> {code, method, route}.
/// The names, labels and buckets prometheus-net's <c>UseHttpMetrics</c> exported here before, which took four
/// middlewares and a label array per request; here each (code, method, route) resolves its label children once.
/// <para>Every label is bounded: <c>route</c> is the endpoint's route pattern, the token server's paths by name
/// (middleware, no endpoint), else <c>unmatched</c>; <c>method</c> is one of the HTTP methods the gateway knows, else
/// <c>OTHER</c> (a client picks the method); <c>code</c> is the status (an exception that escapes counts as 500).</para>
/// Usage: <c>app.UseRouting(); app.Use(HttpRequestMetrics.Middleware);</c>
/// </summary>
internal static class HttpRequestMetrics
{
    private static readonly string[] KnownMethods =
        [HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch, HttpMethods.Head, HttpMethods.Options];
    private const string OtherMethod = "OTHER";

    private static readonly ConcurrentDictionary<(string Method, string Route), Route> Routes = new();

    /// <summary>One (method, route)'s label children: its in-progress gauge, and its counter and histogram by status code.</summary>
    private sealed class Route(string method, string route)
    {
        public readonly Gauge.Child Running = LedgerMetrics.HttpInProgress.WithLabels(method, route);
        private readonly ConcurrentDictionary<int, (Counter.Child Count, Histogram.Child Seconds)> _done = new();

        public (Counter.Child Count, Histogram.Child Seconds) Done(int code) => _done.TryGetValue(code, out var done) ? done : _done.GetOrAdd(code, Create);

        private (Counter.Child, Histogram.Child) Create(int code)
        {
            string codeLabel = code.ToString(CultureInfo.InvariantCulture);
            return (LedgerMetrics.HttpReceived.WithLabels(codeLabel, method, route), LedgerMetrics.HttpDuration.WithLabels(codeLabel, method, route));
        }
    }

    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        long started = Stopwatch.GetTimestamp();
        string method = MethodLabel(context.Request.Method);
        string path = RouteLabel(context);
        var route = Routes.GetOrAdd((method, path), static key => new Route(key.Method, key.Route)); // the strings hashed once a request
        route.Running.Inc();
        int code = StatusCodes.Status500InternalServerError;
        try
        {
            await next(context);
            code = context.Response.StatusCode;
        }
        finally
        {
            route.Running.Dec();
            var (count, seconds) = route.Done(code);
            count.Inc();
            seconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>The method as one of the known ones (the same string instance each time), else <c>OTHER</c>.</summary>
    internal static string MethodLabel(string method)
    {
        foreach (string known in KnownMethods)
        {
            if (string.Equals(method, known, StringComparison.OrdinalIgnoreCase)) return known;
        }
        return OtherMethod;
    }

    /// <summary>The endpoint's route pattern, the path of the token server's paths, else <c>unmatched</c> (never empty).</summary>
    internal static string RouteLabel(HttpContext context) =>
        context.GetEndpoint() is Microsoft.AspNetCore.Routing.RouteEndpoint { RoutePattern.RawText: { Length: > 0 } pattern }
            ? pattern
            : Security.TokenServer.Serves(context.Request.Path) ? context.Request.Path.Value! : "unmatched";
}

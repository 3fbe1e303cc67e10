import pickle,sys,collections,re
d=sys.argv[1]; grp=sys.argv[2]
frames,stacks=pickle.load(open(f"{d}/stacks.pkl",'rb'))
CATS=[
 ('journal IO on TP (FASTER pwrite/fsync/commit callback)', r'ThreadPoolValueTaskSource|FASTER\.core|Sys\.FSync'),
 ('ring submit + await continuation (RingSubmit, wait-strategy signal)', r'RingSubmit|Ledger\.Engine\.Ring|Ledger\.Engine\.Hosting|CommandPool|LedgerCommand'),
 ('BatchJson reader', r'BatchJsonReader|BatchJson'),
 ('201 writer (BatchCreatedResult)', r'BatchCreatedResult|Answers\.'),
 ('request body read (Edge.ReadBodyAsync)', r'Edge\+<ReadBodyAsync>|Http1ContentLengthMessageBody'),
 ('handler glue (PostBatch, Edge, RequestDelegateFactory)', r'BatchesApi|Ledger\.Gateway\.Api\.Edge|RequestDelegateFactory|EndpointMiddleware|lambda_method'),
 ('OpenIddict server per-request handler', r'OpenIddict'),
 ('authentication (JWT bearer, token cache)', r'AuthenticationMiddleware|JwtBearer|CachingTokenHandler|Authentication\.|IdentityModel|PartnerIdentity'),
 ('authorization policies', r'Authorization|ScopeRequirement'),
 ('rate limiter', r'RateLimit'),
 ('token throttle middleware', r'ThrottleTokenRequests|TokenThrottle'),
 ('metrics (prometheus-net UseHttpMetrics)', r'Prometheus|Diagnostics\.Metrics'),
 ('request correlation', r'RequestCorrelation'),
 ('exception handler + status code pages', r'ExceptionHandlerMiddleware|StatusCodePagesMiddleware'),
 ('routing', r'EndpointRoutingMiddleware|Routing\.Matching|DfaMatcher'),
 ('logging / hosting diagnostics', r'Logging|Logger|HostingApplicationDiagnostics|System\.Diagnostics\.Activity|DiagnosticListener'),
 ('Kestrel HTTP parse/write + hosting', r'Kestrel|HostingApplication|Microsoft\.AspNetCore\.Hosting|System\.IO\.Pipelines|PinnedBlockMemoryPool'),
 ('sockets (send/receive)', r'System\.Net\.Sockets'),
]
WAIT=re.compile(r'LowLevelLifoSemaphore\.WaitForSignal|LowLevelLifoSemaphore\.Wait\(|ManualResetEventSlim\.Wait|Monitor\.Wait|Thread\.Sleep|SocketAsyncEngine\.EventLoop|WaitHandle\.Wait|WaitOneNoCheck|Task\.InternalWaitCore')
cc=[(n,re.compile(p)) for n,p in CATS]
res=collections.Counter(); mode=sys.argv[3] if len(sys.argv)>3 else 'cpu'
for (n,tid),c in stacks.items():
    if not re.match(grp,n): continue
    for s,w in c.items():
        leaf=frames[s[-1]]; parent=frames[s[-2]] if len(s)>1 else ''
        if leaf=='UNMANAGED_CODE_TIME':
            if mode=='cpu': continue
            if WAIT.search(parent): continue
        if 'PollGC' in parent: res['GC poll / runtime suspension']+=w; continue
        cat=None
        for f in reversed(s):
            nm=frames[f]
            if "!" not in nm: continue
            for cn,cr in cc:
                if cr.search(nm): cat=cn; break
            if cat: break
        if cat is None:
            cat='thread-pool dispatch/spin (LowLevelLifoSemaphore spin, Dispatch)' if any('PortableThreadPool' in frames[f] or 'ThreadPoolWorkQueue' in frames[f] for f in s) else 'other'
        res[cat]+=w
t=sum(res.values())
for k,v in res.most_common(): print(f"{v/t*100:6.2f}%  {k}")
print(f"total {t:.0f} ms")

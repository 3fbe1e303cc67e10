import pickle,sys,collections,re
d=sys.argv[1]; grp=sys.argv[2]; N=int(sys.argv[3]) if len(sys.argv)>3 else 60
frames,stacks=pickle.load(open(f"{d}/stacks.pkl",'rb'))
WAIT=re.compile(r'LowLevelLifoSemaphore\.WaitForSignal|LowLevelLifoSemaphore\.Wait\(|ManualResetEventSlim\.Wait|Monitor\.Wait|Thread\.Sleep|SocketAsyncEngine\.EventLoop|WaitHandle\.Wait|WaitOneNoCheck|Task\.InternalWaitCore|SpinWait|BlockingWaitStrategy|LowLevelMonitor')
inc=collections.Counter(); exc=collections.Counter(); tot=0; waitt=0; cpu=0
for (n,tid),c in stacks.items():
    if not re.match(grp,n): continue
    for s,w in c.items():
        leaf=frames[s[-1]]
        parent=frames[s[-2]] if len(s)>1 else ''
        tot+=w
        if leaf=='UNMANAGED_CODE_TIME' and WAIT.search(parent): waitt+=w; continue
        cpu+=w
        key=parent if leaf in('CPU_TIME','UNMANAGED_CODE_TIME') else leaf
        exc[(key, leaf=='UNMANAGED_CODE_TIME')]+=w
        for f in set(s): inc[frames[f]]+=w
print(f"total {tot:.0f} wait {waitt:.0f} nonwait {cpu:.0f}")
print("-- exclusive"); 
for (k,u),v in exc.most_common(N): print(f"{v/cpu*100:6.2f}% {'N' if u else ' '} {k[:200]}")
print("-- inclusive")
for k,v in inc.most_common(N*2): print(f"{v/cpu*100:6.2f}% {k[:200]}")

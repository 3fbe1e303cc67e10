import json,sys,collections,re,pickle
d=sys.argv[1]
names={}
for f in ('t0.tsv','t1.tsv','tt0.tsv','tt1.tsv'):
    try:
        for l in open(f"{d}/{f}"):
            tid,n,*_=l.rstrip('\n').split('\t'); names[tid]=n
    except FileNotFoundError: pass
sp=json.load(open(f"{d}/trace.speedscope.json"))
frames=[f['name'] for f in sp['shared']['frames']]
stacks={}  # (group, tid) -> Counter(stack tuple -> ms)
for p in sp['profiles']:
    tid=re.search(r'\((\d+)\)',p['name']).group(1)
    st=[]; last=None; c=collections.Counter()
    for e in p['events']:
        if last is not None and st and e['at']>last: c[tuple(st)]+=e['at']-last
        last=e['at']
        if e['type']=='O': st.append(e['frame'])
        else:
            # close: pop that frame
            if st and st[-1]==e['frame']: st.pop()
            else:
                i=len(st)-1-st[::-1].index(e['frame']); st=st[:i]
    stacks[(names.get(tid,'?'),tid)]=c
pickle.dump((frames,stacks),open(f"{d}/stacks.pkl",'wb'))
for (n,tid),c in stacks.items():
    tot=sum(c.values())
    if tot<100: continue
    leaf=collections.Counter()
    for s,w in c.items(): leaf[frames[s[-1]]]+=w
    print(f"== {n} {tid} total {tot:.0f} ms")
    for k,v in leaf.most_common(12): print(f"   {v:8.0f} {k[:170]}")

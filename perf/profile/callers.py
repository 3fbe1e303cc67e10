import pickle,sys,collections,re
d=sys.argv[1]; grp=sys.argv[2]; pat=re.compile(sys.argv[3]); up=int(sys.argv[4]) if len(sys.argv)>4 else 4; down=int(sys.argv[5]) if len(sys.argv)>5 else 1
frames,stacks=pickle.load(open(f"{d}/stacks.pkl",'rb'))
c2=collections.Counter(); tot=0
sh=lambda f: re.sub(r'\(.*','',frames[f].split('!')[-1])[-90:]
for (n,tid),c in stacks.items():
    if not re.match(grp,n): continue
    for s,w in c.items():
        idx=[i for i,f in enumerate(s) if pat.search(frames[f])]
        if not idx: continue
        i=idx[-1]
        key=' <- '.join(sh(f) for f in reversed(s[max(0,i-up):i+1+down]))
        c2[key]+=w; tot+=w
print(f"total {tot:.0f} ms")
for k,v in c2.most_common(15): print(f"{v:7.0f} {k}")

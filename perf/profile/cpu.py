import sys,re,collections
d=sys.argv[1]; a,b=sys.argv[2],sys.argv[3]; ra,rb=sys.argv[4],sys.argv[5]
hz=100
def load(f):
    m={}
    for l in open(f"{d}/{f}"):
        tid,name,u,s=l.rstrip('\n').split('\t'); m[tid]=(name,int(u)+int(s))
    return m
t0,t1=load(a),load(b)
n=int(open(f"{d}/{rb}").read())-int(open(f"{d}/{ra}").read())
g=collections.Counter()
for tid,(name,c) in t1.items():
    c0=t0.get(tid,(name,0))[1]; 
    key=re.sub(r'\d+$','',name).strip()
    if name.startswith('.NET TP Worker') or name.startswith('.NET ThreadPool'): key='.NET TP Worker'
    g[key]+= (c-c0)/hz
tot=sum(g.values())
print(f"requests {n}; total CPU {tot:.2f} s; {tot/n*1e6:.1f} us/request")
for k,v in g.most_common():
    if v>0: print(f"  {k:28s} {v:7.2f} s {v/tot*100:5.1f}% {v/n*1e6:6.1f} us/req")

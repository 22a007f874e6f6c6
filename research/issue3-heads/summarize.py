"""Print idea-by-idea CV and test numbers from results_*.json (after selection; test column informational only)."""
import json, sys
KEYS = [("minilm", "argmax"), ("use", "argmax"), ("minilm|bal", "argmax"), ("use|bal", "argmax"), ("minilm", "thr"), ("use", "thr"),
        ("minilm", "prior"), ("use", "prior"), ("cat", "argmax"), ("cat|bal", "argmax"), ("minilm+use", "argmax"), ("minilm|bal+use|bal", "argmax"),
        ("minilm_pp|bal", "argmax"), ("use_pp|bal", "argmax"), ("minilm_pp", "argmax"), ("use_pp", "argmax"), ("cat_pp|bal", "argmax"),
        ("minilm_pp|bal+use_pp|bal", "argmax"),
        ("tfidf", "argmax"), ("tfidf|bal", "argmax"), ("cat|bal+tfidf|bal", "argmax"), ("cat|bal+tfidf|bal", "thr"), ("cat+tfidf", "thr"),
        ("use_pp|bal+tfidf|bal", "argmax"), ("minilm+use+tfidf", "thr")]
for t in sys.argv[1:]:
    d = json.load(open(f"/tmp/issue3/results_{t}.json"))
    R = {(r["config"], r["rule"]): r for r in d["rows"]}
    print(f"== {t}: floor {d['floor']}  chosen {d['chosen']['config']}/{d['chosen']['rule']} cv={d['chosen']['cv']:.2f} test={d['chosen']['test']:.2f} fit+score {d['chosen']['fit_t']:.1f}s selection {d['selection_time']:.0f}s")
    for k in KEYS:
        if k in R: print(f"   {k[0]:28s} {k[1]:6s} cv={R[k]['cv']:.2f} test={R[k]['test']:.2f} C={R[k]['hp']} thr={R[k]['thr']}")

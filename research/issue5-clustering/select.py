"""Pick each model's setting from the train grids: the highest min(score, last-pass stability / 0.95).

score = min(V / (0.95 k-means V), ARI / (0.9 k-means ARI)) on shuffled train samples; both terms
are 1 at their bars, so the pick is the setting with the most room above the weaker of the two.
"""

import glob
import json

rows = [row for path in glob.glob("results_*.json") for row in json.load(open(path))]
for model in ("minilm", "use"):
    ranked = sorted(
        (r for r in rows if r["model"] == model),
        key=lambda r: -min(r["score"], r["last_pass_stability"] / 0.95),
    )
    for r in ranked[:5]:
        print(
            f"{model} threshold {r['threshold']:.2f} margin {r['margin']:.2f} every {r['every']}: "
            f"V {r['V']:.3f} ARI {r['ARI']:.3f} clusters {r['clusters']:.0f} score {r['score']:.3f} "
            f"stability {r['last_pass_stability']:.3f} -> {min(r['score'], r['last_pass_stability'] / 0.95):.3f}"
        )

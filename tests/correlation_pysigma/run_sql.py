"""Runs pySigma-backend-sqlite's query for the correlation rule of RULES.yml over EVENTS.ndjson
(flat JSON objects, `timestamp` in `YYYY-MM-DD HH:MM:SS`) loaded into a SQLite table `logs`,
and prints one JSON line per alert: {"group": ..., "end": seconds since the epoch, "metric": ...}.
Used by tests/correlation_pysigma.rs with the oracle's virtualenv."""
import json
import sqlite3
import sys

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection

rules_path, events_path = sys.argv[1], sys.argv[2]
with open(rules_path, encoding="utf-8") as f:
    collection = SigmaCollection.from_yaml(f.read())
query = list(sqliteBackend().convert(collection))[-1]
events = [json.loads(l) for l in open(events_path, encoding="utf-8") if l.strip()]
columns = sorted({k for e in events for k in e} | {"timestamp", "user", "a", "b", "ns"})
db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE logs (%s)" % ", ".join("`%s`" % c for c in columns))
for e in events:
    db.execute(
        "INSERT INTO logs VALUES (%s)" % ", ".join("?" for _ in columns),
        [e.get(c) for c in columns],
    )
cur = db.execute(query)
names = [d[0] for d in cur.description]
for row in cur.fetchall():
    r = dict(zip(names, row))
    group = json.loads(r["group_keys"])
    print(json.dumps({"group": group.get("user"), "end": r["occurrence_time"], "metric": r["metric_value"]}))

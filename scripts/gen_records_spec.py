"""Write src/cluster_capacity/config/records.json: the config models' fields as data, for the fast path.

The fast path (``config/_records``) builds plain records from the merged values without importing
pydantic; it reads each model's fields, aliases, defaults and constraints from this file, which this
script writes from the models themselves. Run it after changing a model; a test fails when it is stale.

python scripts/gen_records_spec.py          # rewrite the file
python scripts/gen_records_spec.py --check  # exit 1 if the file is stale
"""

from __future__ import annotations

import sys

from cluster_capacity.config import _records, _spec


def main(argv: list[str]) -> int:
    text = _spec.generate()
    if "--check" in argv:
        if _records.SPEC_FILE.read_text(encoding="utf-8") != text:
            print(f"{_records.SPEC_FILE} is stale: run python scripts/gen_records_spec.py", file=sys.stderr)
            return 1
        return 0
    _records.SPEC_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {_records.SPEC_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

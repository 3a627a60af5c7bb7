#!/usr/bin/env python3
"""Extracts the webhook and send examples of Meta's OpenAPI spec into JSON fixtures.

Usage: tools/extract-meta-examples.py SPEC.yaml OUT_DIR   (needs python3-yaml)
Writes OUT_DIR/webhooks/<slug>.json and OUT_DIR/sends/<slug>.json, one per named example.
"""
import json
import os
import re
import sys

import yaml


def slug(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def main():
    spec_path, out = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    sources = {
        "webhooks": spec["paths"]["/whatsapp/webhooks"]["post"],
        "sends": spec["paths"]["/{Version}/{Phone-Number-ID}/messages"]["post"],
    }
    for kind, op in sources.items():
        examples = op["requestBody"]["content"]["application/json"]["examples"]
        os.makedirs(os.path.join(out, kind), exist_ok=True)
        for name, example in examples.items():
            path = os.path.join(out, kind, slug(name) + ".json")
            with open(path, "w") as f:
                json.dump({"name": name, "value": example["value"]}, f, indent=1, sort_keys=True)
                f.write("\n")
        print(f"{kind}: {len(examples)} examples")


if __name__ == "__main__":
    main()

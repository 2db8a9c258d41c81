#!/usr/bin/env python3
"""Interop check of our MCAP logs with an independent reader (PyPI `mcap`).

For each file: read every message with CRC validation, compare the counts
with the file's statistics, find every topic that datasets/README.md
documents for this kind of log (`sim` or `real`) under its schema, and
decode the Foxglove-schema messages, checking the fields Foxglove needs.

Usage: ci/check-mcap.py --kind sim|real FILE.mcap [FILE.mcap ...]
"""
import argparse
import base64
import collections
import json
import math
import pathlib
import sys

from mcap.reader import make_reader

CAMERAS = ["CAM_FRONT", "CAM_FRONT_LEFT", "CAM_FRONT_RIGHT", "CAM_BACK", "CAM_BACK_LEFT", "CAM_BACK_RIGHT"]
README = pathlib.Path(__file__).resolve().parent.parent / "datasets" / "README.md"


def documented_topics(kind):
    """(topic, schema) pairs the README's topic table marks `yes` for `kind`."""
    rows = []
    header = None
    for line in README.read_text().splitlines():
        if not line.startswith("|"):
            header = None if not rows else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "topic":
            header = cells
            continue
        if header is None or set(cells[0]) <= {"-"}:
            continue
        row = dict(zip(header, cells))
        if row.get(kind) != "yes":
            continue
        topic = row["topic"].strip("`")
        schema = row["schema"].strip("`")
        names = [topic.replace("CAM_*", c) for c in CAMERAS] if "CAM_*" in topic else [topic]
        rows += [(name, schema) for name in names]
    if not rows:
        sys.exit(f"FAIL: no topics for kind `{kind}` found in {README}")
    return rows


def require(condition, what):
    if not condition:
        raise ValueError(what)


def time_ok(t):
    return isinstance(t.get("sec"), int) and isinstance(t.get("nsec"), int) and 0 <= t["nsec"] < 1_000_000_000


def check_foxglove(schema, msg):
    if schema == "foxglove.CompressedImage":
        require(time_ok(msg["timestamp"]), "timestamp")
        require(msg["format"] == "jpeg", "format is jpeg")
        data = base64.b64decode(msg["data"], validate=True)
        require(data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", "data is a whole JPEG")
        require(msg["frame_id"] in CAMERAS, "frame_id names a camera")
    elif schema == "foxglove.CameraCalibration":
        require(time_ok(msg["timestamp"]), "timestamp")
        require(len(msg["K"]) == 9 and len(msg["R"]) == 9 and len(msg["P"]) == 12, "K, R, P sizes")
        require(msg["width"] > 0 and msg["height"] > 0, "image size")
        require(msg["K"][0] > 0 and msg["K"][4] > 0 and msg["K"][8] == 1, "K is a pinhole matrix")
    elif schema == "foxglove.FrameTransform":
        require(time_ok(msg["timestamp"]), "timestamp")
        require(msg["parent_frame_id"] and msg["child_frame_id"], "frame ids")
        q = msg["rotation"]
        require(abs(math.sqrt(q["x"] ** 2 + q["y"] ** 2 + q["z"] ** 2 + q["w"] ** 2) - 1) < 1e-6, "unit quaternion")
        require(all(math.isfinite(msg["translation"][k]) for k in "xyz"), "finite translation")
    elif schema == "foxglove.SceneUpdate":
        for d in msg["deletions"]:
            require(time_ok(d["timestamp"]) and d["type"] in (0, 1), "deletion")
        for e in msg["entities"]:
            require(time_ok(e["timestamp"]) and e["frame_id"] and e["id"], "entity header")
            keys = {kv["key"] for kv in e["metadata"]}
            require("class" in keys, "entity metadata has a class")
            for c in e["cubes"]:
                require(all(c["size"][k] > 0 for k in "xyz"), "cube size")
                require(all(0 <= c["color"][k] <= 1 for k in "rgba"), "cube colour")
    elif schema == "foxglove.Log":
        require(time_ok(msg["timestamp"]), "timestamp")
        require(msg["level"] in range(0, 6) and isinstance(msg["message"], str), "level and message")
    else:
        raise ValueError(f"no check for {schema}")


def check_file(path, kind):
    counts = collections.Counter()
    schemas = {}
    decoded = collections.Counter()
    with open(path, "rb") as f:
        reader = make_reader(f, validate_crcs=True)
        summary = reader.get_summary()
        require(summary is not None and summary.statistics is not None, "file has a summary with statistics")
        for schema, channel, message in reader.iter_messages(log_time_order=False):
            name = schema.name if schema else ""
            counts[channel.topic] += 1
            schemas[channel.topic] = (name, schema.encoding if schema else "", channel.message_encoding)
            require(channel.message_encoding == "json", f"{channel.topic}: message encoding json")
            try:
                msg = json.loads(message.data)
                if name.startswith("foxglove."):
                    check_foxglove(name, msg)
                    decoded[name] += 1
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{channel.topic} at {message.log_time} ns: {e!r}")
        for s in summary.schemas.values():
            require(s.encoding == "jsonschema", f"schema {s.name}: encoding jsonschema")
            json.loads(s.data)
        stats = summary.statistics
        require(sum(counts.values()) == stats.message_count,
                f"read {sum(counts.values())} messages, statistics say {stats.message_count}")
        for cid, n in stats.channel_message_counts.items():
            topic = summary.channels[cid].topic
            require(counts[topic] >= n, f"{topic}: read {counts[topic]}, statistics say {n}")
    for topic, schema in documented_topics(kind):
        require(topic in counts, f"documented topic {topic} is missing")
        require(schemas[topic][0] == schema, f"{topic}: schema {schemas[topic][0]}, documented {schema}")
    print(f"{path}: {sum(counts.values())} messages on {len(counts)} topics, CRCs valid; "
          f"Foxglove messages decoded: " + ", ".join(f"{k} {v}" for k, v in sorted(decoded.items())))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["sim", "real"], required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    failed = False
    for path in args.files:
        try:
            check_file(path, args.kind)
        except Exception as e:  # every failure is reported with its file
            print(f"FAIL: {path}: {e}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

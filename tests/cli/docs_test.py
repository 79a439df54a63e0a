#!/usr/bin/python3
"""The docs stand alone and agree with the code (issue 11, "Docs"):
- workloads/README.md lists every key the scenario loader accepts: the keys are read from the loader's own
  lists (every `check_known({...})` in workloads/*.cpp, the fault actions and their keys) and the design
  parameters from `qlab designs`, so a key added to the loader without a line in the README fails here;
- no document links outside the repository (no web links, no relative link or `NAME.md` that is not in it);
- the figures quoted for the bundled suite (points, repetitions, run time) are those of `qlab suite
  bench/suites/seed.yaml --dry-run -j 2`;
- docs/METRICS.md gives the columns messages.csv has, and deliveries name consumers as consumers.csv does.

Usage: docs_test.py QLAB_BINARY SOURCE_DIR   (CTest passes them)
"""
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

QLAB = None
SOURCE = None


def read(*parts):
    with open(os.path.join(SOURCE, *parts), encoding="utf-8") as f:
        return f.read()


def backticked_words(text):
    """Every identifier written inside `...` in a Markdown text."""
    words = set()
    for span in re.findall(r"`([^`\n]+)`", text):
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span))
    return words


def quoted(list_text):
    return re.findall(r'"([^"]+)"', list_text)


def loader_keys():
    """(where, key) for every key in the loader's key lists."""
    keys = []
    folder = os.path.join(SOURCE, "workloads")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".cpp"):
            continue
        text = read("workloads", name)
        for body in re.findall(r"check_known\(\s*\{(.*?)\}", text, re.S):
            keys += [(name, k) for k in quoted(body)]
        # The fault actions and the keys each takes (scenario_loader.cpp's fault_keys map and actions list).
        for body in re.findall(r"\{FaultAction::\w+,\s*\{(.*?)\}\}", text, re.S):
            keys += [(name + " fault_keys", k) for k in quoted(body)]
        for body in re.findall(r"std::vector<std::string> actions\{(.*?)\}", text, re.S):
            keys += [(name + " actions", k) for k in quoted(body)]
    return keys


def markdown_files():
    for root, dirs, files in os.walk(SOURCE):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not d.startswith("build") and d != "node_modules"]
        for name in files:
            if name.endswith(".md"):
                yield os.path.join(root, name)


class Docs(unittest.TestCase):
    def test_workloads_readme_lists_every_key_the_loader_accepts(self):
        keys = loader_keys()
        self.assertGreater(len(keys), 40, "the loader's key lists were not found: has their form changed?")
        documented = backticked_words(read("workloads", "README.md"))
        missing = sorted({"%s (%s)" % (k, where) for where, k in keys if k not in documented})
        self.assertEqual(missing, [], "keys the loader accepts but workloads/README.md does not list")

    def test_workloads_readme_lists_every_design_parameter(self):
        designs = subprocess.run([QLAB, "designs"], capture_output=True, text=True, check=True).stdout
        params = set(re.findall(r"^\s+(queue\.\w+)\s", designs, re.M))
        self.assertGreater(len(params), 10)
        readme = read("workloads", "README.md")
        missing = sorted(p for p in params if "`%s`" % p not in readme)
        self.assertEqual(missing, [], "design parameters missing from workloads/README.md, \"Design parameters\"")

    def test_no_document_links_outside_the_repository(self):
        names = set()
        for root, dirs, files in os.walk(SOURCE):
            dirs[:] = [d for d in dirs if not d.startswith(".") and not d.startswith("build")]
            names.update(files)
        problems = []
        for path in markdown_files():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            where = os.path.relpath(path, SOURCE)
            for url in re.findall(r"https?://[^\s)>\]]+", text):
                problems.append("%s: a link outside the repository: %s" % (where, url))
            for target in re.findall(r"\]\(([^)\s]+)\)", text):
                if target.startswith(("http", "#", "mailto:")):
                    continue
                file_part = target.split("#")[0]
                if not (os.path.exists(os.path.join(os.path.dirname(path), file_part)) or
                        os.path.exists(os.path.join(SOURCE, file_part))):
                    problems.append("%s: links to %s, which is not in the repository" % (where, target))
            for doc in set(re.findall(r"\b([A-Za-z_]+\.md)\b", text)):
                if doc not in names:
                    problems.append("%s: names %s, which is not in the repository" % (where, doc))
            for phrase in ("design notes", "/work/shared"):
                if phrase in text:
                    problems.append("%s: refers to %r outside the repository" % (where, phrase))
        self.assertEqual(problems, [])

    def test_the_bundled_suite_figures_are_those_of_the_dry_run(self):
        done = subprocess.run([QLAB, "suite", os.path.join(SOURCE, "bench", "suites", "seed.yaml"), "--dry-run", "-j", "2"],
                              capture_output=True, text=True, check=True).stdout
        points, repetitions = re.search(r"(\d+) points, (\d+) repetitions \(dry run", done).groups()
        seconds = float(re.search(r"estimated run time: ([0-9.]+) s with 2 threads", done).group(1))
        expected = (points, repetitions, str(round(seconds)))
        for doc in (("README.md",), ("bench", "README.md"), ("bench", "suites", "seed.yaml")):
            text = re.sub(r"\s+", " ", read(*doc).replace("#", ""))
            quoted_figures = re.findall(r"(\d+) points, (\d+) repetitions, about (\d+) s on 2 cores", text)
            self.assertTrue(quoted_figures, "%s quotes no 'N points, M repetitions, about T s on 2 cores'" % "/".join(doc))
            for figures in quoted_figures:
                self.assertEqual(figures, expected, "%s against `qlab suite seed.yaml --dry-run -j 2`" % "/".join(doc))

    def test_metrics_doc_gives_the_columns_of_messages_csv(self):
        work = tempfile.mkdtemp(prefix="qlab-docs-")
        try:
            out = os.path.join(work, "out")
            subprocess.run([QLAB, "run", os.path.join(SOURCE, "workloads", "examples", "hetero.yaml"), "--reps", "1",
                            "--set", "producers[0].messages=50", "--trace", "--out", out], capture_output=True, check=True)
            with open(os.path.join(out, "messages.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
            with open(os.path.join(out, "messages.csv")) as f:
                header = f.readline().strip()
            with open(os.path.join(out, "consumers.csv"), newline="") as f:
                consumers = {row["consumer"] for row in csv.DictReader(f)}
        finally:
            shutil.rmtree(work)
        self.assertIn("`%s`" % header, read("docs", "METRICS.md"))
        self.assertIn("history", header)
        for row in rows:
            for delivery in row["deliveries"].split(";"):
                self.assertIn(delivery.split("@")[0], consumers)


if __name__ == "__main__":
    QLAB = sys.argv.pop(1)
    SOURCE = sys.argv.pop(1)
    unittest.main(verbosity=2)

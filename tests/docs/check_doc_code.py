#!/usr/bin/env python3
"""Checks that the code blocks of the docs are the code of the sources.

A fenced code block in a Markdown file under docs/ that follows a comment

    <!-- code: examples/Softmax.cpp region softmax-body -->

must equal, byte for byte, the lines of examples/Softmax.cpp between the line
`// [guide:softmax-body]` and the next `// [end]` (the marker lines left out).

    <!-- code: kernels/lib/ActQuant.cpp function actQuantBody -->

names a function instead: the lines from the one that starts, unindented, a
definition of actQuantBody to the first line that is `}`.

With --update the blocks are rewritten from the sources; without it, every
block that differs is reported and the exit status is 1.
"""
import argparse
import pathlib
import re
import sys

DIRECTIVE = re.compile(r"^<!-- code: (\S+) (region|function) (\S+) -->$")
FENCE = re.compile(r"^```")


def region(path, name):
    lines = path.read_text().splitlines(keepends=True)
    start_marker = f"// [guide:{name}]"
    starts = [i for i, line in enumerate(lines) if line.strip() == start_marker]
    if len(starts) != 1:
        raise LookupError(f"{path}: {len(starts)} lines `{start_marker}`, expected one")
    for end in range(starts[0] + 1, len(lines)):
        if lines[end].strip() == "// [end]":
            return "".join(lines[starts[0] + 1:end])
    raise LookupError(f"{path}: `{start_marker}` has no `// [end]`")


def function(path, name):
    lines = path.read_text().splitlines(keepends=True)
    definition = re.compile(r"^\S.*\b" + re.escape(name) + r"\(")
    starts = [i for i, line in enumerate(lines)
              if definition.match(line) and not line.rstrip().endswith(";")]
    if len(starts) != 1:
        raise LookupError(f"{path}: {len(starts)} definitions of {name}, expected one")
    for end in range(starts[0], len(lines)):
        if lines[end].rstrip("\n") == "}":
            return "".join(lines[starts[0]:end + 1])
    raise LookupError(f"{path}: the definition of {name} has no closing `}}`")


def check_file(doc, root, update):
    """The problems found in `doc`; rewrites it in place with `update`."""
    lines = doc.read_text().splitlines(keepends=True)
    problems, out, i = [], [], 0
    while i < len(lines):
        out.append(lines[i])
        match = DIRECTIVE.match(lines[i].rstrip("\n"))
        i += 1
        if not match:
            continue
        source, kind, name = match.groups()
        where = f"{doc.relative_to(root)}:{i}"
        if i >= len(lines) or not FENCE.match(lines[i]):
            problems.append(f"{where}: no code block right after the comment")
            continue
        out.append(lines[i])
        close = next((j for j in range(i + 1, len(lines)) if FENCE.match(lines[j])), None)
        if close is None:
            problems.append(f"{where}: the code block is not closed")
            break
        block = "".join(lines[i + 1:close])
        try:
            code = (region if kind == "region" else function)(root / source, name)
        except (LookupError, OSError) as error:
            problems.append(f"{where}: {error}")
            code = block
        if block != code and not update:
            problems.append(f"{where}: the block differs from {kind} {name} of {source}"
                            " (tests/docs/check_doc_code.py --update rewrites it)")
        out.append(code if update else block)
        out.append(lines[close])
        i = close + 1
    if update:
        doc.write_text("".join(out))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parents[2])
    parser.add_argument("--update", action="store_true",
                        help="rewrite the blocks from the sources")
    args = parser.parse_args()
    root = args.root.resolve()
    docs = sorted((root / "docs").rglob("*.md"))
    problems, blocks = [], 0
    for doc in docs:
        blocks += sum(1 for line in doc.read_text().splitlines() if DIRECTIVE.match(line))
        problems += check_file(doc, root, args.update)
    if blocks == 0:
        problems.append(f"no `<!-- code: ... -->` blocks under {root / 'docs'}")
    for problem in problems:
        print(problem)
    print(f"{blocks} code blocks in {len(docs)} files: "
          + (f"{len(problems)} problems" if problems else "all match their sources"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

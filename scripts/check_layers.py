#!/usr/bin/env python3
"""Fails when docs/architecture.md's layer table and the CMake link lines disagree.

The table (first column: layer, last column: what it depends on) must name every library that
CMakeLists.txt and cmake/*.cmake build from src/<layer>/, and each row's rstream layers must be
exactly the layer's direct rstream_* links (Asio's rstream_boost_impl counts as a third-party
library), each of them in a row above it. Run by CTest (hygiene.layer_table).
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
cmake_text = "\n".join(
    p.read_text() for p in [root / "CMakeLists.txt", *sorted((root / "cmake").glob("*.cmake"))])

links: dict[str, set[str]] = {}
for match in re.finditer(r"rstream_add_layer\(\s*([a-z0-9_]+)([^)]*)\)", cmake_text):
    name, args = match.group(1), match.group(2)
    links.setdefault(name, set()).update(re.findall(r"\brstream_(\w+)", args))
for match in re.finditer(r"add_library\(\s*rstream_([a-z0-9_]+)\s+STATIC", cmake_text):
    links.setdefault(match.group(1), set())
for match in re.finditer(r"target_link_libraries\(\s*rstream_(\w+)\s+(?:PUBLIC|PRIVATE)([^)]*)\)",
                         cmake_text):
    links.setdefault(match.group(1), set()).update(re.findall(r"\brstream_(\w+)", match.group(2)))
links.pop("boost_impl", None)
for deps in links.values():
    deps.discard("boost_impl")

table: dict[str, set[str]] = {}
order: list[str] = []
doc = (root / "docs" / "architecture.md").read_text()
for line in doc.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 4 or not re.fullmatch(r"`rstream_\w+`", cells[1]):
        continue
    named = {word.strip() for word in cells[-1].split(",")}
    table[cells[0]] = {word for word in named if word in links}
    order.append(cells[0])

problems = []
for layer in sorted(set(links) - set(table)):
    problems.append(f"layer {layer} is built (CMake) but has no row in docs/architecture.md")
for layer in sorted(set(table) - set(links)):
    problems.append(f"docs/architecture.md has a row for {layer}, which CMake does not build")
for layer in sorted(set(links) & set(table)):
    if links[layer] != table[layer]:
        missing = ", ".join(sorted(links[layer] - table[layer])) or "-"
        extra = ", ".join(sorted(table[layer] - links[layer])) or "-"
        problems.append(f"layer {layer}: CMake links but the table omits: {missing}; "
                        f"the table names but CMake does not link: {extra}")
for index, layer in enumerate(order):
    for dep in sorted(table[layer] - set(order[:index])):
        problems.append(f"docs/architecture.md: {layer} depends on {dep}, which is not above it")
for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"layer table: {len(links)} layers agree with CMake")

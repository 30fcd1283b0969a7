#!/usr/bin/env python3
"""Checks that the Python package declares the C API exactly as include/sendcloud.h does.

python/sendcloud/_lib.py transcribes the header: every function with its return and
parameter types, the enums' values, and the fields of the structs passed by value. This
reads both (the module is loaded on its own, so no library is needed) and fails, listing
each difference, when they drift apart: a function added, removed or changed in the
header and not in Python, or the other way round. CI runs it, as it runs check-header.sh,
which checks the header against the Rust code.

Usage: sendcloud-ffi/check-python-decls.py [HEADER [LIB_PY]]
"""

import ctypes
import importlib.util
import re
import sys
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # leave no __pycache__ next to _lib.py

Signature = Tuple[str, Tuple[str, ...]]


def c_type(text: str) -> str:
    """A C type as _lib.py spells it: single spaces, `T *`, `T **`."""
    text = " ".join(text.split())
    text = re.sub(r"\s*\*", " *", text).replace("* *", "**")
    return text.strip()


def strip_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    source = re.sub(r"//[^\n]*", " ", source)
    # Preprocessor lines (the include guard, includes, SENDCLOUD_S, extern "C" guards).
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))


def parse_header(path: Path) -> Tuple[Dict[str, Signature], Dict[str, Dict[str, int]], Dict[str, List[Tuple[str, str]]]]:
    source = strip_comments(path.read_text())
    enums: Dict[str, Dict[str, int]] = {}
    for body, name in re.findall(r"typedef\s+enum\s*\{(.*?)\}\s*(\w+)\s*;", source, re.S):
        values = {}
        for entry in body.split(","):
            if entry.strip():
                key, _, value = entry.partition("=")
                values[key.strip()] = int(value.strip(), 0)
        enums[name] = values
    structs: Dict[str, List[Tuple[str, str]]] = {}
    for body, name in re.findall(r"typedef\s+struct\s*\{(.*?)\}\s*(\w+)\s*;", source, re.S):
        fields = []
        for decl in body.split(";"):
            if decl.strip():
                m = re.fullmatch(r"(.*?)(\w+)", decl.strip(), re.S)
                assert m, decl
                fields.append((m.group(2), c_type(m.group(1))))
        structs[name] = fields
    functions: Dict[str, Signature] = {}
    without_typedefs = re.sub(r"typedef[^;]*;", " ", source)
    for ret, name, params in re.findall(
        r"([A-Za-z_][\w\s\*]*?)\b(sendcloud_\w+)\s*\(([^)]*)\)\s*;", without_typedefs
    ):
        types = []
        for param in params.split(","):
            param = " ".join(param.split())
            if param and param != "void":
                m = re.fullmatch(r"(.*?)(\w+)", param)
                assert m, param
                types.append(c_type(m.group(1)))
        functions[name] = (c_type(ret), tuple(types))
    return functions, enums, structs


def load_declarations(path: Path):
    spec = importlib.util.spec_from_file_location("sendcloud_lib_declarations", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compare(header: Path, lib_py: Path) -> List[str]:
    functions, enums, structs = parse_header(header)
    decl = load_declarations(lib_py)
    problems = []
    if not functions:
        problems.append(f"no functions found in {header}")
    for name in sorted(functions.keys() - decl.FUNCTIONS.keys()):
        problems.append(f"{name}: in the header, not declared in _lib.py")
    for name in sorted(decl.FUNCTIONS.keys() - functions.keys()):
        problems.append(f"{name}: declared in _lib.py, not in the header")
    for name in sorted(functions.keys() & decl.FUNCTIONS.keys()):
        want_ret, want_params = functions[name]
        got_ret, got_params = decl.FUNCTIONS[name][0], tuple(decl.FUNCTIONS[name][1])
        if want_ret != got_ret:
            problems.append(f"{name}: returns {want_ret!r} in the header, {got_ret!r} in _lib.py")
        if want_params != got_params:
            problems.append(
                f"{name}: takes ({', '.join(want_params)}) in the header, "
                f"({', '.join(got_params)}) in _lib.py"
            )
        # Every declared type must have a ctypes type, or loading would fail.
        for t in (got_ret,) + got_params:
            try:
                decl.ctype(t)
            except ValueError as e:
                problems.append(f"{name}: {e}")
    if enums != decl.ENUMS:
        for name in sorted(enums.keys() | decl.ENUMS.keys()):
            if enums.get(name) != decl.ENUMS.get(name):
                problems.append(
                    f"enum {name}: {enums.get(name)} in the header, {decl.ENUMS.get(name)} in _lib.py"
                )
    if structs != decl.STRUCTS:
        problems.append(f"structs: {structs} in the header, {decl.STRUCTS} in _lib.py")
    # The ctypes structures themselves: the header's fields, in order; pointers as bare
    # pointers (the views are not NUL-terminated), sizes as size_t.
    for struct_name, cls in (("sendcloud_str", decl.Str), ("sendcloud_bytes", decl.Bytes)):
        want = [
            (field, ctypes.c_void_p if ctype.endswith("*") else decl.ctype(ctype))
            for field, ctype in structs.get(struct_name, [])
        ]
        if list(cls._fields_) != want:
            problems.append(f"{cls.__name__}._fields_ is {cls._fields_}, the header wants {want}")
    return problems


def main(argv: List[str]) -> int:
    header = Path(argv[1]) if len(argv) > 1 else HERE / "include" / "sendcloud.h"
    lib_py = Path(argv[2]) if len(argv) > 2 else HERE / "python" / "sendcloud" / "_lib.py"
    problems = compare(header, lib_py)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(
            f"{lib_py.name} does not declare what {header.name} does: update "
            "sendcloud-ffi/python/sendcloud/_lib.py",
            file=sys.stderr,
        )
        return 1
    functions, enums, _ = parse_header(header)
    print(f"_lib.py declares the header's {len(functions)} functions and {len(enums)} enums")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

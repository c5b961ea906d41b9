#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Generates the configuration test files that are hard to write by hand: hostile input (deep
# nesting, an alias bomb, 1 MiB of junk, bytes that are not UTF-8, a NUL byte), a tab, an empty
# file, and a file with a byte-order mark and CRLF line ends. The output is deterministic and is
# checked in; run `python3 generate.py` in this directory after changing it.

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def junk(size):
    # A fixed linear congruential generator, so the bytes never depend on Python's random module.
    alphabet = "abcdefgh:-[]{}&*!|>'\"#,?% \n"
    state = 20240601
    out = []
    for _ in range(size):
        state = (state * 1103515245 + 12345) % (1 << 31)
        out.append(alphabet[(state >> 16) % len(alphabet)])
    return "".join(out)


def alias_bomb():
    # "Billion laughs": ten levels of nine aliases each stand for 9**9 scalars.
    lines = ["directory: { read: [ldapi:///] }", "bomb:", '  l0: &l0 ["lol","lol","lol","lol",'
             '"lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        prev = "*l%d" % (level - 1)
        lines.append("  l%d: &l%d [%s]" % (level, level, ",".join([prev] * 9)))
    return "\n".join(lines) + "\n"


def main():
    write("err_empty.yaml", "")
    write("err_deep_nesting.yaml", "directory:\n  read: " + "[" * 100000 + "\n")
    write("err_alias_bomb.yaml", alias_bomb())
    # A valid start, then junk up to exactly the 1 MiB limit.
    start = "directory: { read: [ldapi:///] }\nresolvers:\n"
    write("err_junk.yaml", start + junk((1 << 20) - len(start)))
    write("err_non_utf8.yaml", b"directory:\n  read: [\"ldapi:///\xff\xfe\"]\n")
    write("err_control_char.yaml", b"directory: { read: [ldapi:///] }\nserver: dns1\x00\n")
    write("err_tab_indentation.yaml", "directory:\n  read:\n\t- ldapi:///\n")
    write("ok_bom_crlf.yaml",
          "\ufeff# Written on Windows\r\ndirectory:\r\n  read:\r\n    - ldapi:///\r\n"
          "debounce: 1s\r\n")


if __name__ == "__main__":
    main()

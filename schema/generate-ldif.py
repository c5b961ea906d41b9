#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Generates the cn=config form of the Anchorage schema (schema/anchorage.ldif) from its slapd.conf
# form (schema/anchorage.schema), so the two never disagree.
#
#   generate-ldif.py                 rewrite schema/anchorage.ldif
#   generate-ldif.py --stdout        print the LDIF
#   generate-ldif.py --check         exit 1 when the committed LDIF differs from the generated one
#
# Each definition keeps its line structure; continuation lines are indented with two spaces
# because LDIF unfolding (RFC 2849) removes exactly one leading space, and the second one keeps
# the tokens apart.
import argparse
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE / "anchorage.schema"
TARGET = HERE / "anchorage.ldif"

HEADER = """\
# SPDX-License-Identifier: Apache-2.0
#
# Anchorage LDAP schema, cn=config form. GENERATED from anchorage.schema by generate-ldif.py:
# edit the .schema file and rerun the script. Load it offline with an include: line in the
# config LDIF before slapadd -n0, or at run time with
#   ldapadd -Y EXTERNAL -H ldapi://... -f anchorage.ldif
"""

KEYWORDS = {
    "objectidentifier": "olcObjectIdentifier",
    "attributetype": "olcAttributeTypes",
    "objectclass": "olcObjectClasses",
}


class SchemaError(Exception):
  pass


def parse_statements(text):
  """Splits a slapd.conf schema file into (keyword, [lines]) statements, comments dropped."""
  statements = []
  for number, raw in enumerate(text.splitlines(), start=1):
    line = raw.rstrip()
    if not line or line.lstrip().startswith("#"):
      continue
    if line[0] in " \t":
      if not statements:
        raise SchemaError(f"line {number}: continuation line before any statement")
      statements[-1][1].append(line.strip())
      continue
    keyword, _, rest = line.partition(" ")
    if keyword.lower() not in KEYWORDS:
      raise SchemaError(f"line {number}: unknown statement {keyword!r}")
    statements.append((keyword.lower(), [rest.strip()]))
  return statements


def check_statement(keyword, lines):
  """Rejects the mistakes that slapd reports late or not at all."""
  joined = " ".join(lines)
  if keyword == "objectidentifier":
    if len(joined.split()) != 2:
      raise SchemaError(f"objectIdentifier needs a name and an OID: {joined!r}")
    return
  if joined.count("(") != joined.count(")") or not joined.startswith("("):
    raise SchemaError(f"unbalanced parentheses: {joined[:60]!r}")
  if '"' in joined:
    raise SchemaError(f"NAME and DESC take single quotes: {joined[:60]!r}")
  names = re.findall(r"NAME '([^']*)'", joined)
  for name in names:
    if not re.fullmatch(r"anchorage[A-Za-z0-9-]*", name):
      raise SchemaError(f"name must start with 'anchorage' and use letters, digits, '-': {name!r}")


def render(statements):
  out = [HEADER, "dn: cn=anchorage,cn=schema,cn=config", "objectClass: olcSchemaConfig",
         "cn: anchorage"]
  for keyword, lines in statements:
    check_statement(keyword, lines)
    out.append(f"{KEYWORDS[keyword]}: {lines[0]}")
    out.extend(f"  {line}" for line in lines[1:])
  return "\n".join(out) + "\n"


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
  mode = parser.add_mutually_exclusive_group()
  mode.add_argument("--stdout", action="store_true", help="print the LDIF instead of writing it")
  mode.add_argument("--check", action="store_true",
                    help="exit 1 when anchorage.ldif differs from the generated text")
  args = parser.parse_args()
  try:
    generated = render(parse_statements(SOURCE.read_text(encoding="ascii")))
  except (SchemaError, OSError, UnicodeDecodeError) as err:
    print(f"generate-ldif: {err}", file=sys.stderr)
    return 2
  if args.stdout:
    sys.stdout.write(generated)
    return 0
  if args.check:
    committed = TARGET.read_text(encoding="ascii") if TARGET.exists() else ""
    if committed != generated:
      print(f"generate-ldif: {TARGET} is stale; run {pathlib.Path(__file__).name}",
            file=sys.stderr)
      return 1
    return 0
  TARGET.write_text(generated, encoding="ascii")
  return 0


if __name__ == "__main__":
  sys.exit(main())

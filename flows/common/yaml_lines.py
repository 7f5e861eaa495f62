"""Read a YAML file so that every problem in it can be named by file and line.

Rule: every mapping carries ``__line__``, the line it starts on. A bare ``on:``
key (which YAML 1.1 reads as True) means ``on``, the break date. A YAML syntax
error, and a key given twice in one mapping (YAML would silently keep the
last), is a ``UserError`` naming the file and lines, never a traceback. An
unquoted date that is no real date is kept as its text (a ``DateText``, which
remembers its line), so that the reader names it as a problem of its field
alongside every other problem in the file.

Worked example: ``start: 2027-02-30`` on line 4 of ``c.yaml`` reads as the text
``2027-02-30`` (PyYAML itself raises a bare ValueError for it), which the
contract reader refuses as ``start: '2027-02-30' is not a date: day is out of
range for month``; ``ref: T-3`` on line 2 and ``ref: T-4`` on line 3 are
refused as ``c.yaml:3: ref is given twice in one entry (lines 2 and 3)``.
"""

from pathlib import Path
from typing import Any

from flows.common.errors import UserError


class DateText(str):
    """The text of an unquoted date that is no real date (2027-02-30), with the line it is on."""

    line: int


def load_yaml_with_lines(path: Path, text: str) -> Any:
    """A YAML document whose every mapping carries ``__line__``, the line it starts on, for error messages."""
    import yaml

    class LineLoader(yaml.SafeLoader):
        pass

    repeated: list[str] = []

    def refuse_repeated_keys(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            key = "on" if key is True else key
            line = key_node.start_mark.line + 1
            try:
                if key in first:
                    where = f"lines {first[key]} and {line}" if first[key] != line else f"both on line {line}"
                    repeated.append(f"{path}:{line}: {key} is given twice in one entry ({where})")
                else:
                    first[key] = line
            except TypeError:  # an unhashable key; construct_mapping names it
                continue

    def mapping_with_line(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        refuse_repeated_keys(loader, node)
        # YAML 1.1 reads a bare `on:` key as True; in a break clause it means the break date.
        mapping = {
            ("on" if key is True else key): value for key, value in loader.construct_mapping(node, deep=True).items()
        }
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    def real_date(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        try:
            return loader.construct_yaml_timestamp(node)
        except ValueError:  # 2027-02-30 matches YAML's date pattern, then datetime refuses it
            kept = DateText(node.value)
            kept.line = node.start_mark.line + 1
            return kept

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping_with_line)
    LineLoader.add_constructor("tag:yaml.org,2002:timestamp", real_date)
    try:
        document = yaml.load(text, Loader=LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path}{line}: is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if repeated:
        raise UserError("\n".join(dict.fromkeys(repeated)))
    return document

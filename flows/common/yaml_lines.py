"""Read a YAML file so that every problem in it can be named by file and line.

Rule: every mapping carries ``__line__``, the line it starts on. A bare ``on:``
key (which YAML 1.1 reads as True) means ``on``, the break date. A YAML syntax
error, and an unquoted date that is no real date, is a ``UserError`` naming
the file and line, never a traceback.

Worked example: ``start: 2027-02-30`` on line 4 of ``c.yaml`` is refused as
``c.yaml:4: 2027-02-30 is not a date: day is out of range for month`` (PyYAML
itself raises a bare ValueError for it).
"""

from pathlib import Path
from typing import Any

from flows.common.errors import UserError


def load_yaml_with_lines(path: Path, text: str) -> Any:
    """A YAML document whose every mapping carries ``__line__``, the line it starts on, for error messages."""
    import yaml

    class LineLoader(yaml.SafeLoader):
        pass

    def mapping_with_line(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        # YAML 1.1 reads a bare `on:` key as True; in a break clause it means the break date.
        mapping = {
            ("on" if key is True else key): value for key, value in loader.construct_mapping(node, deep=True).items()
        }
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    def real_date(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        try:
            return loader.construct_yaml_timestamp(node)
        except ValueError as exc:  # 2027-02-30 matches YAML's date pattern, then datetime refuses it
            raise UserError(f"{path}:{node.start_mark.line + 1}: {node.value} is not a date: {exc}") from None

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping_with_line)
    LineLoader.add_constructor("tag:yaml.org,2002:timestamp", real_date)
    try:
        return yaml.load(text, Loader=LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path}{line}: is not valid YAML: {getattr(exc, 'problem', exc)}") from None

"""The topic taxonomy: which product areas feedback is sorted into, with example phrases.

A taxonomy is a YAML file that each community writes for its own product
(``classifiers/data/topics.example.yaml`` shows the format)::

    version: 1
    topics:
      billing:                       # the topic's name: lower_snake_case
        label: Billing and payments  # what people see
        description: Invoices, ...   # optional
        examples:                    # per ISO 639-1 language; at least 3 in all
          en: [I was charged twice, ...]
          de: [Mir wurde doppelt abgebucht, ...]

Every problem is reported with the topic's name ("topic 'billing': needs at least 3 examples,
has 2"), and a topic named twice is an error rather than a silent overwrite.
"""

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MIN_EXAMPLES = 3
EXAMPLE_FILE = Path(__file__).parent / "data" / "topics.example.yaml"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be read or is not valid; the message names file and topic."""


class Topic(BaseModel):
    """One topic: its label, an optional description and example phrases per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    description: str | None = None
    examples: dict[str, list[str]]

    @field_validator("examples")
    @classmethod
    def _check_examples(cls, examples: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned: dict[str, list[str]] = {}
        seen: set[str] = set()
        for language, phrases in examples.items():
            if not _LANGUAGE.match(language):
                raise ValueError(f"language {language!r} is not a lower-case ISO 639-1 code such as 'en'")
            cleaned[language] = []
            for phrase in phrases:
                text = phrase.strip()
                if not text:
                    raise ValueError(f"an empty example in {language!r}")
                if text.casefold() in seen:
                    raise ValueError(f"example {text!r} appears twice")
                seen.add(text.casefold())
                cleaned[language].append(text)
        total = sum(len(p) for p in cleaned.values())
        if total < MIN_EXAMPLES:
            raise ValueError(f"needs at least {MIN_EXAMPLES} examples, has {total}")
        return cleaned

    def all_examples(self, language: str | None = None) -> list[str]:
        """The example phrases, of one language or of all."""
        if language is not None:
            return list(self.examples.get(language, []))
        return [phrase for phrases in self.examples.values() for phrase in phrases]


class Taxonomy(BaseModel):
    """Topics by name, in file order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    topics: dict[str, Topic]

    @model_validator(mode="after")
    def _check_names(self) -> "Taxonomy":
        if not self.topics:
            raise ValueError("a taxonomy needs at least one topic")
        for name in self.topics:
            if not _NAME.match(name):
                raise ValueError(f"topic {name!r}: the name must be lower_snake_case (a-z, 0-9, _)")
        return self

    @property
    def names(self) -> list[str]:
        return list(self.topics)

    def labelled_examples(self, language: str | None = None) -> list[tuple[str, str]]:
        """``(phrase, topic name)`` pairs, e.g. to train or evaluate a topic classifier."""
        return [
            (phrase, name) for name, topic in self.topics.items() for phrase in topic.all_examples(language)
        ]


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with a key twice (PyYAML keeps the last silently)."""


def _mapping_without_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in keys:
            raise TaxonomyError(f"line {key_node.start_mark.line + 1}: {key!r} is given twice")
        keys.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _describe(error: ValidationError) -> str:
    """One line per problem, starting with the topic it is about where there is one."""
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        message = problem["msg"].removeprefix("Value error, ")
        if len(location) >= 2 and location[0] == "topics":
            field = ".".join(location[2:])
            lines.append(f"topic {location[1]!r}: {field + ': ' if field else ''}{message}")
        else:
            lines.append(f"{'.'.join(location) + ': ' if location else ''}{message}")
    return "; ".join(lines)


def parse_topics(data: Any, source: str = "<taxonomy>") -> Taxonomy:
    """A taxonomy from already-parsed YAML or JSON data; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise TaxonomyError(f"{source}: expected a mapping with 'topics', got {type(data).__name__}")
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as error:
        raise TaxonomyError(f"{source}: {_describe(error)}") from None


def load_topics(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy YAML file.

    Args:
        path: the YAML file.

    Returns:
        The validated ``Taxonomy``.

    Raises:
        TaxonomyError: the file is missing, is not YAML, or is not a valid taxonomy; the
            message names the file and, where it can, the topic.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TaxonomyError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except TaxonomyError as error:
        raise TaxonomyError(f"{path}: {error}") from None
    except yaml.YAMLError as error:
        raise TaxonomyError(f"{path}: not valid YAML: {error}") from None
    return parse_topics(data, source=str(path))

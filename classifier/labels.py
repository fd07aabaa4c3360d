"""A company's ledger labels, put onto tousu's taxonomy.

A ledger may label its complaints with tousu's codes (`punctuality`), with the names the
console shows (守时, 服务态度, Punctuality; traditional characters and full-width forms
fold), or with labels of its own (套餐问题). A model trains on the labels as they are, so
`tousu classifier eval` scores it on them; the running service needs categories and
severities of the taxonomy, because routing rules, SLAs and reports are written in them.

`taxonomy_map` decides, once at training, what each label means to the service: the
category or severity it names, an operator's explicit choice (`--map LABEL=CODE`), or,
for a category label that names none, `other` (the model is sure the complaint is none
of ours). An unmapped severity label is left out: it cannot raise a complaint's severity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

from classifier.normalize import normalize
from intake.messages import label as label_of
from intake.records import Category, Severity

_NOISE = re.compile(r"[\s_\-]+")


def fold(label: str) -> str:
    """The form labels are compared in: the classifier's normal form (simplified, half-width,
    lower case: `classifier.normalize`) without spaces, _ or -."""
    return _NOISE.sub("", normalize(label))


def _names(kind: type[StrEnum], prefix: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for member in kind:
        for name in (member.value, label_of(prefix, member.value, "zh"), label_of(prefix, member.value, "en")):
            names.setdefault(fold(name), member.value)
    return names


def taxonomy_map(
    labels: Iterable[str], kind: type[StrEnum], chosen: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """For each label: the code of `kind` (Category or Severity) it stands for, or None.

    `chosen` (label -> code) wins over the names; a category label that names nothing
    maps to `other`, a severity label to None. Raises ValueError for a chosen code that
    is not a code of `kind`.
    """
    prefix = "category" if kind is Category else "severity"
    names = _names(kind, prefix)
    codes = {member.value for member in kind}
    result: dict[str, str | None] = {}
    for label in labels:
        code = (chosen or {}).get(label)
        if code is not None and code not in codes:
            raise ValueError(f"{code!r} is not a {prefix} code ({', '.join(sorted(codes))})")
        result[label] = code or names.get(fold(label)) or (Category.OTHER.value if kind is Category else None)
    return result


def unnamed(labels: Iterable[str], kind: type[StrEnum], chosen: Mapping[str, str] | None = None) -> list[str]:
    """The labels that neither name a code of `kind` nor were mapped by the operator."""
    names = _names(kind, "category" if kind is Category else "severity")
    return [label for label in labels if label not in (chosen or {}) and fold(label) not in names]


def as_categories(mapping: Mapping[str, str | None]) -> dict[str, Category]:
    """A stored label map as categories (labels mapped to nothing are left out)."""
    return {label: Category(code) for label, code in mapping.items() if code and code in Category._value2member_map_}


def as_severities(mapping: Mapping[str, str | None]) -> dict[str, Severity]:
    """A stored label map as severities (labels mapped to nothing are left out)."""
    return {label: Severity(code) for label, code in mapping.items() if code and code in Severity._value2member_map_}

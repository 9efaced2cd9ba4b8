"""Validating a document against a model in pieces, and wording what is wrong with it.

pydantic validates a document in one call that holds the GIL throughout: 100,000 bad items held
it for 0.2 s, and listing their errors (`errors()`) for 0.9 s more, so even from a worker thread
the event loop stalled. A document of more than `limits.VALIDATION_CHUNK` values therefore has
its lists of models (and its long lists of plain values) validated a chunk at a time first,
each item's type found through the model's fields, and the rest of the document after them.
Only the first `limits.VALIDATION_PROBLEMS_MAX` problems are worded; the others are counted.
"""

from __future__ import annotations

import reprlib
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from emulator.rules import limits

ModelT = TypeVar("ModelT", bound=BaseModel)
Location = tuple[Any, ...]

_SHOW = reprlib.Repr()  # a value quoted in a problem: bounded, however large or deep it is
_SHOW.maxlevel = 3
_SHOW.maxstring = _SHOW.maxother = _SHOW.maxlong = 200
_SHOW.maxlist = _SHOW.maxtuple = _SHOW.maxdict = _SHOW.maxset = 10


class InvalidError(ValueError):
    """The document is not valid: the first problems as (location, message), and how many
    there are in all."""

    def __init__(self, problems: list[tuple[Location, str]], count: int) -> None:
        super().__init__(f"{count} problems")
        self.problems = problems
        self.count = count

    def lines(self, word: Callable[[Location, str], str]) -> list[str]:
        """One line per problem shown (`word` writes it), then how many more there are."""
        return capped([word(loc, message) for loc, message in self.problems], self.count)


def capped(lines: list[str], count: int | None = None) -> list[str]:
    """At most VALIDATION_PROBLEMS_MAX lines of at most PROBLEM_MAX_CHARS, and a last one
    saying how many more problems there are."""
    total = len(lines) if count is None else count
    shown = [_cut(line) for line in lines[: limits.VALIDATION_PROBLEMS_MAX]]
    if total > len(shown):
        more = total - len(shown)
        shown.append(f"... and {more} more problem{'s' if more > 1 else ''}")
    return shown


def _cut(line: str) -> str:
    limit = limits.PROBLEM_MAX_CHARS
    return line if len(line) <= limit else line[: limit - 3] + "..."


def validate(model: type[ModelT], document: Any, values: int) -> ModelT:
    """`model.model_validate(document)`, in pieces when the document holds more than
    VALIDATION_CHUNK values (`values`, as the bounds walk counted them); InvalidError if not."""
    if values <= limits.VALIDATION_CHUNK or type(document) is not dict:
        try:
            return model.model_validate(document)
        except ValidationError as exc:
            sink = _Sink()
            sink.add(exc, ())
            raise sink.invalid() from None
    pieces = _Pieces()
    document = pieces.model(model, document, ())
    try:
        result = model.model_validate(document)
    except ValidationError as exc:
        pieces.sink.add(exc, (), emptied=frozenset(pieces.emptied))
        raise pieces.sink.invalid() from None
    if pieces.sink.count:
        raise pieces.sink.invalid()
    return result


class _Sink:
    """The problems found so far: the first ones worded, all of them counted."""

    def __init__(self) -> None:
        self.problems: list[tuple[Location, str]] = []
        self.count = 0

    def add(
        self,
        exc: ValidationError,
        prefix: Location,
        offset: int = 0,
        emptied: frozenset[Any] = frozenset(),
    ) -> None:
        """The errors of one call; `prefix` and `offset` place its locations in the document.
        A list emptied because its items failed (`emptied`) is not also too short."""
        room = limits.VALIDATION_PROBLEMS_MAX - len(self.problems)
        if room <= 0:  # wording no more: counting them is cheap, listing them is not
            self.count += exc.error_count()
            return
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            if offset and loc and isinstance(loc[0], int):
                loc = (loc[0] + offset, *loc[1:])
            loc = (*prefix, *loc)
            if err["type"] == "too_short" and loc in emptied:
                continue
            self.count += 1
            if len(self.problems) < limits.VALIDATION_PROBLEMS_MAX:
                self.problems.append((loc, message(err)))

    def invalid(self) -> InvalidError:
        return InvalidError(self.problems, self.count)


class _Pieces:
    """Validates a document's lists ahead of the document, replacing them by what pydantic
    made of them (model instances pass through the final call without being checked again)."""

    def __init__(self) -> None:
        self.sink = _Sink()
        self.emptied: set[Location] = set()

    def model(self, model: type[BaseModel], document: dict[Any, Any], loc: Location) -> Any:
        out = document
        for key, value in document.items():
            field = model.model_fields.get(key) if type(key) is str else None
            if field is None:
                continue  # an unknown key: the final call says so
            new = self.value(field.annotation, value, (*loc, key))
            if new is not value:
                if out is document:
                    out = dict(document)
                out[key] = new
        return out

    def value(self, annotation: Any, value: Any, loc: Location) -> Any:
        kind = type(value)
        if kind is dict:
            sub = _model_of(annotation)
            return self.model(sub, value, loc) if sub is not None else value
        if kind is not list:
            return value
        item = _item_of(annotation)
        if item is None:
            return value
        sub = _model_of(item)
        if sub is None:  # plain values: only a long list is worth its own calls
            return self.chunks(item, value, loc) if len(value) > limits.VALIDATION_CHUNK else value
        if _has_lists(sub):  # items with lists of their own (pages): those first
            value = [
                self.model(sub, child, (*loc, index)) if type(child) is dict else child
                for index, child in enumerate(value)
            ]
        return self.chunks(item, value, loc)

    def chunks(self, item: Any, values: list[Any], loc: Location) -> list[Any]:
        """The list validated about VALIDATION_CHUNK values at a time; emptied if any item
        fails (its problems are in the sink; the final call then finds the others)."""
        adapter = _adapter(item)
        done: list[Any] = []
        failed = False
        start = 0
        while start < len(values):
            end, weight = start, 0
            while end < len(values) and (end == start or weight < limits.VALIDATION_CHUNK):
                weight += _weight(values[end])
                end += 1
            try:
                done.extend(adapter.validate_python(values[start:end]))
            except ValidationError as exc:
                failed = True
                self.sink.add(exc, loc, offset=start)
            start = end
        if failed:
            self.emptied.add(loc)
            return []
        return done


def _weight(item: Any) -> int:
    """About how many values pydantic will look at for this item."""
    kind = type(item)
    if kind is dict:
        return 1 + sum(1 + len(v) if type(v) in (dict, list) else 1 for v in item.values())
    if kind is list:
        return 1 + len(item)
    return 1


def _unwrapped(annotation: Any) -> list[Any]:
    """The types an annotation allows: Annotated and Optional (X | None) taken apart."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrapped(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [t for arg in typing.get_args(annotation) for t in _unwrapped(arg)]
    return [annotation]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for kind in _unwrapped(annotation):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind
    return None


def _item_of(annotation: Any) -> Any:
    for kind in _unwrapped(annotation):
        if typing.get_origin(kind) is list:
            return typing.get_args(kind)[0]
    return None


def _has_lists(model: type[BaseModel]) -> bool:
    return any(_item_of(field.annotation) is not None for field in model.model_fields.values())


_ADAPTERS: dict[int, tuple[Any, TypeAdapter[list[Any]]]] = {}


def _adapter(item: Any) -> TypeAdapter[list[Any]]:
    """A list-of-`item` validator, made once per item type (keyed by identity: annotations
    holding dicts are not hashable; the pair keeps the key's object alive)."""
    cached = _ADAPTERS.get(id(item))
    if cached is None or cached[0] is not item:
        cached = (item, TypeAdapter(list[item]))
        _ADAPTERS[id(item)] = cached
    return cached[1]


# --- wording -----------------------------------------------------------------------------------


def message(err: Any) -> str:
    """One pydantic error in the words `check` uses."""
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    text = str(err["msg"])
    if text.startswith("Value error, "):
        text = text[len("Value error, ") :]
    if "input" in err and kind not in ("value_error", "model_type", "dict_type", "list_type"):
        text += f" (got {_SHOW.repr(err['input'])})"
    return text


def format_path(loc: Location) -> str:
    """('pages', 0, 'tokens', 1, 'expires') -> pages[0].tokens[1].expires"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "literal[", "str", "int", "none")):
            out += f".{part}" if out else str(part)
    return out


def validation_problems(exc: ValidationError) -> list[str]:
    """One `path: what is wrong` line per problem, as `check` words them (for the control API,
    which validates parts of a scenario: a webhook, a fault); capped."""
    sink = _Sink()
    sink.add(exc, ())
    return sink.invalid().lines(path_and_message)


def path_and_message(loc: Location, text: str) -> str:
    path = format_path(loc)
    return f"{path}: {text}" if path else text

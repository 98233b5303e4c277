"""The table of grader types that suite YAML names by `type`, and what a builder is handed.

Each grader module registers a pydantic parameter model (extra="forbid": it validates the
YAML and documents the fields for `gradeloop graders`) and a function that builds the
grader from validated parameters once, so grading itself does no parsing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Generic, Mapping, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from gradeloop.errors import InputError
from gradeloop.graders.base import Grader, JudgeFactory, JudgeFn

if TYPE_CHECKING:
    from gradeloop.suite.model import Case


class Params(BaseModel):
    """Parameters every grader accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    name: str | None = Field(None, description="Name shown in reports (default: the type).")
    weight: float = Field(1.0, ge=0, description="Weight in the sample's weighted mean score.")


P = TypeVar("P", bound=Params)


@dataclass(frozen=True, slots=True)
class BuildContext:
    """Where a grader spec was written and what its builder may use (judges, files, the case)."""

    type: str
    where: str  # field path of this grader, e.g. "defaults.graders[0]"
    file: str | None = None
    line: int | None = None
    case: "Case | None" = None
    judge_factory: JudgeFactory | None = None
    base_dir: str | None = None

    @property
    def default_name(self) -> str:
        return self.type

    def error(self, message: str, param: str | None = None) -> NoReturn:
        """Raise an InputError naming this spec's file, line and `where.param`."""
        field = f"{self.where}.{param}" if param else self.where
        raise InputError(message, file=self.file, line=self.line, field=field)

    def judge(self, model: str, param: str = "model") -> JudgeFn:
        """The judge callable for a model spec, from the caller's factory."""
        if self.judge_factory is None:
            self.error(f"grader '{self.type}' needs a judge model, but no judge factory was given "
                       "(judges are available when a run or the CLI builds the graders)", param)
        try:
            return _judge_cached(self.judge_factory, model)
        except InputError:
            raise
        except Exception as exc:  # the factory could not make a judge from this spec
            self.error(f"cannot make judge '{model}': {exc}", param)

    def sub(self, spec: Mapping[str, Any], key: str) -> Grader:
        """Build a nested grader spec (multi's sub-graders) with its own field path."""
        from gradeloop.graders.build import build_from_mapping

        return build_from_mapping(spec, self, f"{self.where}.{key}")


_JUDGES: dict[tuple[int, str], tuple[JudgeFactory, JudgeFn]] = {}


def _judge_cached(factory: JudgeFactory, model: str) -> JudgeFn:
    """One judge per (factory, model): templated judge graders are rebuilt per case."""
    key = (id(factory), model)
    hit = _JUDGES.get(key)
    if hit is not None and hit[0] is factory:
        return hit[1]
    fn = factory(model)
    if len(_JUDGES) > 256:
        _JUDGES.clear()
    _JUDGES[key] = (factory, fn)
    return fn


@dataclass(frozen=True, slots=True)
class GraderType(Generic[P]):
    """A registered grader type: its parameters, builder and one-line description."""

    name: str
    params: type[P]
    build: Callable[[P, BuildContext], Grader]
    description: str
    openai: bool = False  # also accepts OpenAI's grader JSON for this type
    raw: frozenset[str] = frozenset()  # parameters never templated (code, where "{{" is Python)
    nested: str | None = None  # parameter holding {name: sub-grader spec}, templated by each sub-build
    files: frozenset[str] = frozenset()  # parameters naming a file read at build time (cache keys stat it)


REGISTRY: dict[str, GraderType[Any]] = {}


def register(name: str, params: type[P], description: str, *, openai: bool = False, raw: tuple[str, ...] = (),
             nested: str | None = None, files: tuple[str, ...] = ()
             ) -> Callable[[Callable[[P, BuildContext], Grader]], Callable[[P, BuildContext], Grader]]:
    """Decorator: register `build(params, ctx) -> Grader` as grader type `name`."""

    def deco(build: Callable[[P, BuildContext], Grader]) -> Callable[[P, BuildContext], Grader]:
        REGISTRY[name] = GraderType(name, params, build, description, openai,
                                    frozenset(raw) | ({nested} if nested else set()), nested, frozenset(files))
        return build

    return deco

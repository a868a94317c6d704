"""The LFW `pairs.txt` protocol: a header "folds<TAB>pairs_per_fold", then per fold that many
same-person lines (name, i, j) followed by that many different-person lines (a, i, b, j)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from peeka.errors import DatasetError


@dataclass(frozen=True)
class Pair:
    first: str
    """Image path relative to the images folder, e.g. "Abel_Pacheco/Abel_Pacheco_0001.jpg"."""
    second: str
    same: bool
    fold: int


@dataclass(frozen=True)
class PairsFile:
    folds: int
    pairs_per_fold: int
    pairs: tuple[Pair, ...]

    def images(self) -> list[str]:
        """Every image the pairs use, sorted, each once."""
        return sorted({p.first for p in self.pairs} | {p.second for p in self.pairs})


def identity(image: str) -> str:
    """The person an LFW image shows: its folder name."""
    return image.split("/", 1)[0]


def image_path(name: str, number: str) -> str:
    if not number.isdigit():
        raise ValueError(f"image number {number!r} is not a whole number")
    return f"{name}/{name}_{int(number):04d}.jpg"


def read_pairs(path: Path) -> PairsFile:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"Cannot read pairs file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not a text pairs file.") from exc
    if not lines:
        raise DatasetError(f"{path} is empty; expected an LFW pairs.txt file.")
    header = lines[0].split()
    if len(header) != 2 or not all(h.isdigit() for h in header) or "0" in header:
        raise DatasetError(
            f"{path}:1: expected a header 'folds<TAB>pairs_per_fold' (e.g. '10\t300'), "
            f"got {lines[0]!r}."
        )
    folds, per_fold = int(header[0]), int(header[1])
    body = [line for line in lines[1:] if line.strip()]
    expected = folds * per_fold * 2
    if len(body) != expected:
        raise DatasetError(
            f"{path}: the header promises {folds} folds x {per_fold} x 2 = {expected} pairs, "
            f"but the file has {len(body)}."
        )
    pairs = []
    for index, line in enumerate(body):
        fold, offset = divmod(index, per_fold * 2)
        same = offset < per_fold
        fields = line.split()
        try:
            if same and len(fields) == 3:
                first, second = image_path(fields[0], fields[1]), image_path(fields[0], fields[2])
            elif not same and len(fields) == 4:
                first, second = image_path(fields[0], fields[1]), image_path(fields[2], fields[3])
            else:
                kind = "same-person (name i j)" if same else "different-person (a i b j)"
                raise ValueError(f"expected a {kind} line")
        except ValueError as exc:
            raise DatasetError(f"{path}:{index + 2}: {exc}: {line!r}") from None
        pairs.append(Pair(first, second, same, fold))
    return PairsFile(folds=folds, pairs_per_fold=per_fold, pairs=tuple(pairs))

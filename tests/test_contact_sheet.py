"""scripts/contact_sheet.py: one PNG (and a PDF), a cell for every symbol (issue 15, point 1)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

from bot.engine.vocabulary import Vocabulary
from bot.paths import media_dir

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "contact_sheet.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("contact_sheet", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def _ink(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels in the box are not white."""
    inked = image.crop(box).convert("L").point(lambda v: 255 if v < 245 else 0)
    return inked.histogram()[255]


def test_the_sheet_holds_one_drawn_cell_per_symbol(tmp_path: Path) -> None:
    sheet = _script()
    png, pdf = tmp_path / "sheet.png", tmp_path / "sheet.pdf"
    plan = sheet.main(["--out", str(png), "--pdf", str(pdf)])
    vocabulary = Vocabulary.load(media_dir() / "symbols.yaml")
    ids = [cell.symbol.id for cell in plan.cells]
    assert sorted(ids) == sorted(vocabulary.ids()) and len(ids) == len(set(ids))
    with Image.open(png) as image:
        image.load()
        assert image.size == (plan.width, plan.height)
        empty = [c.symbol.id for c in plan.cells if _ink(image, c.picture_box) < 150]
    assert not empty, "every cell shows its picture"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert png.stat().st_size < 3_000_000


def test_cells_are_grouped_by_category_and_never_overlap() -> None:
    sheet = _script()
    plan = sheet.layout(sheet.load_symbols())
    seen: list[str] = []
    for cell in plan.cells:
        if not seen or seen[-1] != cell.symbol.category:
            assert cell.symbol.category not in seen, "a category's cells are together"
            seen.append(cell.symbol.category)
    spots = {(c.left, c.top) for c in plan.cells}
    assert len(spots) == len(plan.cells)
    assert len(plan.headings) == len(seen)
    assert all(c.left + sheet.CELL_W <= plan.width and c.top + sheet.CELL_H <= plan.height
               for c in plan.cells)


def test_it_runs_as_a_script(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "sheet.png"
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert out.is_file() and "symbols ->" in done.stdout


def test_the_committed_sheet_is_there_and_small_enough() -> None:
    committed = ROOT / "docs" / "images" / "symbols-contact-sheet.png"
    assert committed.is_file(), "run: python scripts/contact_sheet.py"
    assert committed.stat().st_size < 3_000_000
    with Image.open(committed) as image:
        assert image.width >= 1000

"""Test doubles: what the mocks, patches and fakes of a service's tests stand for (facts, no edits).

    values = DoubleValues(analysis)          # per service; the shared bot.analysis.ServiceAnalysis
    values.mock_files() -> [ParsedModule]    # test files that use mocking
    values.patches(parsed) -> [PatchSite]    # patch / patch.object / patch.dict / mocker.patch / monkeypatch.*
                                             # / `Owner.attr = Mock()` (kind "assign")
    values.value(parsed, expression) -> Double | None
                                             # what a mock expression stands for: Double(before, steps)
    values.fakes() -> (patch, Double, module, ClassDef)   # test classes put in place of library classes
    values.fixture(parsed, requester, name)  # the fixture pytest gives a test for `name` (pytest's lookup)

    records = CallRecords(values)            # reads of a mock's recorded calls (call_args, call_args_list loops)
    records.read(parsed, expression) -> RecordRead(mock, part: call | kwargs | args, mixed) | None

    meanings = Meanings(analysis, edited)    # edited: path -> the file's tree after the run's edits
    meanings.before(dotted) / after(dotted)  # what `pkg.adapter.Client` denotes before / after the edits
    meanings.spelling_for(module, name)      # how `module` spells `name` after the edits

The rules that act on these facts (patch targets, mocked members, call expectations) are in
bot.change.doubles; the data they follow is a recipe's migration map (bot.analysis.migration_map).
"""
from .meanings import Meanings
from .patches import PatchSite
from .records import CallRecords, RecordRead
from .values import CALL, Double, DoubleValues

__all__ = ["CALL", "CallRecords", "Double", "DoubleValues", "Meanings", "PatchSite", "RecordRead"]

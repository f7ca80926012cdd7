"""The in-memory stand-in of dossier's campaign queries (services/dossier/store/campaign.py): the published
règlements, the règlement sheets they send back to be signed, a structure's families and the reminders.
Its rows live in the fake store's `data`, so a transaction that raises undoes them too."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, datetime

from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState
from services.dossier.store import FamilyProgress, HouseRules, SignedRules


class FakeCampaignQueries:
    data: object

    def _rows(self, name: str, empty):
        if not hasattr(self.data, name):
            setattr(self.data, name, empty)
        return getattr(self.data, name)

    # -- set-up helper of the tests ---------------------------------------------------------------------------
    def add_structure(self, structure_id: uuid.UUID, name: str) -> None:
        self._rows("structure_names", {})[structure_id] = name

    # -- the règlements intérieurs ----------------------------------------------------------------------------
    async def lock_house_rules(self, structure_id: uuid.UUID, school_year: str) -> int | None:
        versions = [r.version for r in self._rows("house_rules", []) if (r.structure_id, r.school_year)
                    == (structure_id, school_year)]
        return max(versions, default=None)

    async def add_house_rules(self, rules: HouseRules) -> None:
        self._rows("house_rules", []).append(rules)

    async def house_rules(self, rules_id: uuid.UUID) -> HouseRules | None:
        return next((r for r in self._rows("house_rules", []) if r.id == rules_id), None)

    async def current_house_rules(self, structure_id: uuid.UUID, school_year: str) -> HouseRules | None:
        found = [r for r in self._rows("house_rules", []) if (r.structure_id, r.school_year)
                 == (structure_id, school_year)]
        return max(found, key=lambda r: r.version, default=None)

    async def house_rules_of(self, structure_id: uuid.UUID) -> list[HouseRules]:
        return sorted((r for r in self._rows("house_rules", []) if r.structure_id == structure_id),
                      key=lambda r: (r.school_year, r.version), reverse=True)

    async def rules_structures_of(self, family_id: uuid.UUID) -> set[uuid.UUID]:
        return {s.structure_id for s in self.data.sheets.values()
                if s.family_id == family_id and s.kind is SheetKind.REGLEMENT and s.structure_id}

    async def rules_sheets(self, structure_id: uuid.UUID, school_year: str) -> list[SignedRules]:
        return [SignedRules(s.id, s.state, s.house_rules_version) for s in self.data.sheets.values()
                if s.kind is SheetKind.REGLEMENT and s.structure_id == structure_id and s.school_year == school_year]

    async def set_house_rules_version(self, sheet_id: uuid.UUID, version: int | None) -> None:
        self.data.sheets[sheet_id].house_rules_version = version

    async def unsign(self, sheet_id: uuid.UUID, data_json: str) -> None:
        self.data.sheets[sheet_id] = replace(self.data.sheets[sheet_id], state=SheetState.TO_FILL,
                                             data=json.loads(data_json), house_rules_version=None,
                                             submitted_at=None, refusal_reason=None)

    # -- the campaign's progress and the reminders ---------------------------------------------------------------
    async def structure_name(self, structure_id: uuid.UUID) -> str | None:
        return self._rows("structure_names", {}).get(structure_id)

    async def structure_progress(self, campaign_id: uuid.UUID, structure_id: uuid.UUID) -> list[FamilyProgress]:
        in_structure = {c.id for c in self.data.children if c.structure_id == structure_id}
        families = sorted({c.family_id for c in self.data.children if c.structure_id == structure_id},
                          key=lambda f: self.data.families.get(f, ("",))[0])
        reminders = self._rows("reminders", {})
        found = []
        for family_id in families:
            sheets = [(s.kind.value, s.state) for s in self.data.sheets.values()
                      if s.family_id == family_id and s.campaign_id == campaign_id and (
                          s.child_id is None
                          or (s.kind is SheetKind.REGLEMENT and s.structure_id == structure_id)
                          or (s.kind is not SheetKind.REGLEMENT and s.child_id in in_structure))]
            days = [d for (c, f, d) in reminders if (c, f) == (campaign_id, family_id)]
            found.append(FamilyProgress(family_id, self.data.families.get(family_id, ("?",))[0], "MARTIN Inès",
                                        sheets, max(days, default=None)))
        return found

    async def record_reminder(self, campaign_id: uuid.UUID, family_id: uuid.UUID, day: date,
                              structure_id: uuid.UUID, by: str, at: datetime) -> bool:
        reminders = self._rows("reminders", {})
        if (campaign_id, family_id, day) in reminders:
            return False
        reminders[(campaign_id, family_id, day)] = (structure_id, by, at)
        return True

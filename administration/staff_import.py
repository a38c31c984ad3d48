"""Bulk staff import from the CSV an HR system exports: read the file, and plan what it would change.

Columns: ``name``, ``email``, ``role``, ``team``, ``line_manager_email`` (headers are matched without
regard to case, spaces or hyphens, so ``E-mail`` and ``Line manager's e-mail`` are read too). Rows are
keyed on the e-mail address, so the same file read twice plans no change the second time. Writing the
plan is ``services.staff_import_apply``, in one transaction.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

from organisations.models import ADMIN_ROLES, Organisation, Role, Team, User

# An HR export of a large council (about 5,000 staff at under 100 bytes a row) is under half a megabyte.
MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000

COLUMNS = ("name", "email", "role", "team", "line_manager_email")
REQUIRED = ("name", "email", "role")
HEADER_NAMES = {
    "name": "name", "fullname": "name",
    "email": "email", "emailaddress": "email",
    "role": "role",
    "team": "team",
    "linemanageremail": "line_manager_email", "linemanagersemail": "line_manager_email",
    "managersemail": "line_manager_email", "manageremail": "line_manager_email",
}
LABELS = {"name": "name", "email": "e-mail", "role": "role", "team": "team",
          "line_manager_email": "line manager's e-mail"}

# An import sets the staff's working roles; administrators are named on the pages, one by one.
IMPORT_ROLES = tuple(role for role in Role if role not in (Role.QAP_CHAIR, Role.BOARD_MEMBER, *ADMIN_ROLES))


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z]", "", (header or "").lower())


def _role_key(text: str) -> str:
    return re.sub(r"[^a-z]+", "_", (text or "").lower()).strip("_")


ROLE_BY_KEY: dict[str, str] = {
    **{_role_key(Role(role).label): role for role in IMPORT_ROLES},
    **{role: role for role in IMPORT_ROLES},
}


class ImportFileError(ValidationError):
    """The file as a whole cannot be read (too big, not CSV, missing columns)."""


def staff_import_read(*, content: bytes) -> list[dict[str, str]]:
    """Read the CSV into one dict a row, keyed by ``COLUMNS``; refuse a file that cannot be read."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"The file must be smaller than {MAX_BYTES // 1024} KB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")  # a spreadsheet saved "CSV" on Windows
        except UnicodeDecodeError as error:
            raise ImportFileError("The file must be a CSV file saved as UTF-8.") from error
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration as error:
        raise ImportFileError("The file is empty.") from error
    except csv.Error as error:
        raise ImportFileError(f"The file is not a CSV file the import can read ({error}).") from error
    columns = [HEADER_NAMES.get(_header_key(name)) for name in header]
    missing = [LABELS[name] for name in COLUMNS if name not in columns]
    if missing:
        raise ImportFileError(f"The file has no column for: {', '.join(missing)}. The first row must name the "
                              f"columns {', '.join(COLUMNS)}.")
    rows: list[dict[str, str]] = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                rows.append({})  # a blank line keeps its row number, and is skipped
                continue
            rows.append({name: (values[i].strip() if i < len(values) else "")
                         for i, name in enumerate(columns) if name})
            if len(rows) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS} rows.")
    except csv.Error as error:
        raise ImportFileError(f"Row {reader.line_num}: the CSV cannot be read ({error}).") from error
    return rows


@dataclass
class ImportRow:
    number: int  # the row in the file, the header being row 1
    name: str
    email: str
    role: str  # the role's value, once understood
    team: str
    manager_email: str
    role_text: str = ""
    errors: list[str] = field(default_factory=list)
    person: User | None = None
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.errors:
            return "error"
        if self.person is None:
            return "new"
        return "changed" if self.changes else "unchanged"


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    new_teams: list[str]

    def _with(self, status: str) -> list[ImportRow]:
        return [row for row in self.rows if row.status == status]

    @property
    def new(self) -> list[ImportRow]:
        return self._with("new")

    @property
    def changed(self) -> list[ImportRow]:
        return self._with("changed")

    @property
    def unchanged(self) -> list[ImportRow]:
        return self._with("unchanged")

    @property
    def errors(self) -> list[ImportRow]:
        return self._with("error")

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed)

    def error_list(self) -> list[str]:
        """Every error, "Row N: reason", in file order."""
        return [f"Row {row.number}: {error}" for row in self.errors for error in row.errors]


def _full_name(person: User) -> str:
    return person.get_full_name()


def _team_name(person: User) -> str:
    return person.team.name if person.team_id and person.team else ""


def _manager_email(person: User) -> str:
    return (person.line_manager.email or "").lower() if person.line_manager_id and person.line_manager else ""


def staff_import_plan(*, organisation: Organisation, records: list[dict[str, str]]) -> ImportPlan:
    """Check every row and work out what applying the file would change; nothing is written."""
    rows = [
        ImportRow(number=i + 2, name=" ".join(r.get("name", "").split()), email=r.get("email", "").strip().lower(),
                  role="", role_text=r.get("role", "").strip(), team=" ".join(r.get("team", "").split()),
                  manager_email=r.get("line_manager_email", "").strip().lower())
        for i, r in enumerate(records) if r
    ]
    emails = {row.email for row in rows} | {row.manager_email for row in rows}
    emails.discard("")
    known = {
        person.email_key: person
        for person in User.objects.annotate(email_key=Lower("email")).filter(email_key__in=emails)
        .select_related("team", "line_manager")
    }
    teams = {team.name.lower(): team for team in Team.objects.filter(organisation=organisation)}
    first_row: dict[str, int] = {}
    for row in rows:
        for column in REQUIRED:
            if not getattr(row, column if column != "role" else "role_text"):
                row.errors.append(f"The {LABELS[column]} is missing.")
        if row.email:
            try:
                validate_email(row.email)
            except ValidationError:
                row.errors.append(f"“{row.email}” is not an e-mail address.")
            if row.email in first_row:
                row.errors.append(f"The e-mail address {row.email} is also on row {first_row[row.email]}.")
            else:
                first_row[row.email] = row.number
            person = known.get(row.email)
            if person is not None and person.organisation_id != organisation.pk:
                row.errors.append(f"{row.email} belongs to someone outside this organisation.")
            elif person is not None and person.role in ADMIN_ROLES:
                row.errors.append(f"{row.email} is an administrator: change them on their page, not by import.")
            else:
                row.person = person
        if row.role_text:
            row.role = ROLE_BY_KEY.get(_role_key(row.role_text), "")
            if not row.role:
                row.errors.append(f"Unknown role “{row.role_text}”.")
        if len(row.name) > 300:
            row.errors.append("The name must be 300 characters or fewer.")
        if len(row.team) > 200:
            row.errors.append("The team's name must be 200 characters or fewer.")
    in_file = {row.email: row for row in rows if row.email and first_row.get(row.email) == row.number}

    # Line managers: someone in the file, or an active member of this organisation.
    manager_of: dict[str, str] = {}
    for row in rows:
        if not row.manager_email:
            continue
        if row.manager_email == row.email:
            row.errors.append("A person cannot be their own line manager (a loop in line management).")
            continue
        manager = known.get(row.manager_email)
        if row.manager_email in in_file:
            pass
        elif manager is None:
            row.errors.append(f"No one with the e-mail address {row.manager_email} is in the file or the "
                              "organisation (the line manager).")
            continue
        elif manager.organisation_id != organisation.pk:
            row.errors.append(f"The line manager {row.manager_email} works in another organisation.")
            continue
        elif not manager.is_active:
            row.errors.append(f"The line manager {row.manager_email} has been deactivated.")
            continue
        elif manager.role in ADMIN_ROLES:
            row.errors.append(f"The line manager {row.manager_email} is an administrator.")
            continue
        if row.email:
            manager_of[row.email] = row.manager_email
    _loops_find(rows=rows, in_file=in_file, manager_of=manager_of, organisation=organisation)

    for row in rows:
        if row.errors or row.person is None:
            continue
        existing: User = row.person
        wanted = {
            "name": (_full_name(existing), row.name),
            "role": (existing.role, row.role),
            "team": (_team_name(existing), teams[row.team.lower()].name if row.team.lower() in teams else row.team),
            "line manager": (_manager_email(existing), row.manager_email),
            "active": ("yes" if existing.is_active else "no", "yes"),
        }
        row.changes = {key: pair for key, pair in wanted.items() if pair[0] != pair[1]}
    new_teams: dict[str, str] = {}  # one new team a name, whatever its case
    for row in rows:
        if row.team and row.team.lower() not in teams and not row.errors:
            new_teams.setdefault(row.team.lower(), row.team)
    return ImportPlan(rows=rows, new_teams=sorted(new_teams.values(), key=str.lower))


def _loops_find(*, rows: list[ImportRow], in_file: dict[str, ImportRow], manager_of: dict[str, str],
                organisation: Organisation) -> None:
    """Mark every row in a loop of line management, following the file and, beyond it, the organisation."""
    chain: dict[str, str] = {}
    beyond = (User.objects.filter(organisation=organisation, line_manager__isnull=False)
              .annotate(email_key=Lower("email"), manager_key=Lower("line_manager__email"))
              .values_list("email_key", "manager_key"))
    for email, manager in beyond:
        if email and email not in in_file:
            chain[email] = manager
    chain.update(manager_of)
    reported: set[str] = set()
    for row in rows:
        if not row.email or row.email in reported or row.email not in manager_of:
            continue
        path = [row.email]
        current = chain.get(row.email)
        while current and current not in path and len(path) <= len(chain) + 1:
            path.append(current)
            current = chain.get(current)
        if current == row.email:
            loop = " → ".join([*path, row.email])
            for email in path:
                if email in in_file and email not in reported:
                    in_file[email].errors.append(f"A loop in line management: {loop}.")
                    reported.add(email)


def plan_summary(plan: ImportPlan) -> dict[str, Any]:
    return {"new": len(plan.new), "changed": len(plan.changed), "unchanged": len(plan.unchanged),
            "errors": len(plan.errors), "new_teams": plan.new_teams}

"""Asset files in and out: CSV/XLSX import (checked line by line, all or nothing, in the
background) and CSV/XLSX export with spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.accounts.models import Site, User
from relais.assets import permissions
from relais.assets.choices import NEEDS_HOLDER, AssetKind, AssetState, EventKind, ImportState
from relais.assets.models import Asset, AssetModel, AssetType, ImportJob, Supplier
from relais.assets.services.park import TAG_PREFIX, mac_normalize
from relais.core import files
from relais.core.choices import AuditAction
from relais.core.exports import FORMULA_START, neutralise
from relais.core.services import audit_record

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_TYPES = ("text/plain", "text/csv", XLSX)
BATCH = 2000
PROGRESS_EVERY = 2000

# Column code → accepted headers (compared without accents, case or spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "tag": ("tag", "etiquette", "numero d'inventaire", "inventaire"),
    "serial_number": ("serial_number", "serial", "numero de serie", "n° de serie", "serie"),
    "hostname": ("hostname", "nom d'hote", "nom de machine"),
    "mac_address": ("mac_address", "mac", "adresse mac"),
    "type": ("type", "type d'equipement"),
    "manufacturer": ("manufacturer", "fabricant", "marque"),
    "model": ("model", "modele"),
    "state": ("state", "etat", "statut"),
    "user": ("user", "utilisateur", "attribue a", "email", "e-mail"),
    "site": ("site",),
    "stock_room": ("stock_room", "magasin", "stock"),
    "supplier": ("supplier", "fournisseur"),
    "purchase_date": ("purchase_date", "date d'achat"),
    "warranty_end": ("warranty_end", "fin de garantie"),
    "cost": ("cost", "cout", "prix"),
    "notes": ("notes", "remarques", "commentaire"),
}
REQUIRED = ("type", "manufacturer", "model")
COLUMN_LABELS = {
    "tag": "étiquette",
    "serial_number": "numéro de série",
    "hostname": "nom d'hôte",
    "mac_address": "adresse MAC",
    "type": "type",
    "manufacturer": "fabricant",
    "model": "modèle",
    "state": "état",
    "user": "utilisateur",
    "site": "site",
    "stock_room": "magasin",
    "supplier": "fournisseur",
    "purchase_date": "date d'achat",
    "warranty_end": "fin de garantie",
    "cost": "coût",
    "notes": "notes",
}
EXPORT_COLUMNS = (
    "tag",
    "serial_number",
    "hostname",
    "mac_address",
    "type",
    "manufacturer",
    "model",
    "state",
    "user",
    "site",
    "stock_room",
    "supplier",
    "purchase_date",
    "warranty_end",
    "cost",
    "notes",
)
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")


@functools.lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("’", "'").replace("_", " ").split())


_HEADER_TO_CODE = {_fold(alias): code for code, aliases in COLUMNS.items() for alias in aliases}
_STATE_BY_NAME = {
    **{_fold(s): s for s in AssetState.values},
    **{_fold(str(label)): value for value, label in AssetState.choices},
    "en stock": AssetState.IN_STOCK,
    "prepare": AssetState.PREPARED,
    "attribue": AssetState.ASSIGNED,
    "en pret": AssetState.ON_LOAN,
    "prete": AssetState.ON_LOAN,
    "en reparation": AssetState.IN_REPAIR,
    "perdu": AssetState.LOST,
    "vole": AssetState.STOLEN,
    "reforme": AssetState.RETIRED,
}


@dataclass
class LineError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


class ImportFileError(Exception):
    """The file cannot be read at all (encoding, separator, headers)."""


# --- Reading the file -----------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("The file's encoding is not readable.")) from exc
    if b"\x00" in raw:
        raise ImportFileError(
            _(
                "The file is not a readable text file (it contains binary data). Save it as "
                "CSV (UTF-8 or Windows) or as an Excel workbook (.xlsx)."
            )
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV (séparateur : point-virgule)" in Windows-1252.
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "The file's encoding is not recognised (neither UTF-8 nor Windows-1252): "
                "save it again as CSV UTF-8."
            )
        ) from exc


def _csv_rows(raw: bytes) -> Iterator[list[str]]:
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    delimiter = max(counts, key=lambda k: counts[k])
    if counts[delimiter] == 0:
        delimiter = ";"
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(raw: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except Exception as exc:
        raise ImportFileError(_("This Excel file cannot be opened.")) from exc
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        yield [_cell_text(v) for v in row]
    workbook.close()


def read_rows(raw: bytes) -> Iterator[list[str]]:
    """Rows of a CSV (any of ; , tab; UTF-8 or Windows-1252) or XLSX file, header first."""
    if raw.startswith(b"PK\x03\x04"):
        return _xlsx_rows(raw)
    return _csv_rows(raw)


def _header_codes(header: list[str]) -> list[str | None]:
    codes = [_HEADER_TO_CODE.get(_fold(cell)) for cell in header]
    missing = [c for c in REQUIRED if c not in codes]
    if missing:
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in ("|", ":", "/")):
            hint = " " + _("The columns must be separated by semicolons, commas or tabs.")
        raise ImportFileError(
            _("Missing columns: %(columns)s.")
            % {"columns": ", ".join(COLUMN_LABELS[c] for c in missing)}
            + hint
            + " "
            + _("Expected headers: %(columns)s.")
            % {"columns": "; ".join(COLUMN_LABELS[c] for c in EXPORT_COLUMNS)}
        )
    seen: set[str] = set()
    for code in codes:
        if code and code in seen:
            raise ImportFileError(
                _("Column “%(column)s” appears twice.") % {"column": COLUMN_LABELS[code]}
            )
        if code:
            seen.add(code)
    return codes


def _parse_date(value: str) -> date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


# --- Checking ---------------------------------------------------------------------------------


@dataclass
class Catalogue:
    types: dict[str, AssetType]
    models: dict[tuple[str, str], AssetModel]
    sites: dict[str, Site]
    suppliers: dict[str, Supplier]

    @classmethod
    def load(cls) -> Catalogue:
        types: dict[str, AssetType] = {}
        for t in AssetType.objects.all():
            types[_fold(t.name)] = t
            types.setdefault(_fold(t.kind), t)
            types.setdefault(_fold(str(AssetKind(t.kind).label)), t)
        return cls(
            types=types,
            models={(_fold(m.manufacturer), _fold(m.name)): m for m in AssetModel.objects.all()},
            sites={
                **{_fold(s.name): s for s in Site.objects.all()},
                **{_fold(s.code): s for s in Site.objects.all()},
            },
            suppliers={_fold(s.name): s for s in Supplier.objects.all()},
        )


@dataclass
class CheckedRow:
    line: int
    values: dict[str, Any]


def _check_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    catalogue: Catalogue,
    users: dict[str, int],
    taken_tags: set[str],
) -> tuple[list[CheckedRow], list[LineError]]:
    checked: list[CheckedRow] = []
    errors: list[LineError] = []
    seen_tags: dict[str, int] = {}
    for line, cells in rows:
        row_errors: list[LineError] = []

        def err(
            code: str, message: str, line: int = line, out: list[LineError] = row_errors
        ) -> None:
            out.append(LineError(line, COLUMN_LABELS[code], message))

        for code, value in cells.items():
            if value.startswith(FORMULA_START) and not _NUMBER.match(value):
                err(
                    code,
                    _("Formulas are refused (the cell starts with “%(char)s”).")
                    % {"char": value[:1].replace("\t", "⇥")},
                )
        if any(e for e in row_errors):
            errors.extend(row_errors)
            continue
        values: dict[str, Any] = {}
        tag = cells.get("tag", "").strip()
        if tag:
            folded = tag.upper()
            if folded in seen_tags:
                err(
                    "tag",
                    _("Asset tag %(tag)s already appears on line %(line)s.")
                    % {"tag": tag, "line": seen_tags[folded]},
                )
            elif folded in taken_tags:
                err("tag", _("Asset tag %(tag)s is already used by an asset.") % {"tag": tag})
            elif len(tag) > 32:
                err("tag", _("An asset tag has 32 characters at most."))
            seen_tags.setdefault(folded, line)
        values["tag"] = tag
        type_name = cells.get("type", "").strip()
        asset_type = catalogue.types.get(_fold(type_name))
        if not type_name:
            err("type", _("The type is required."))
        elif asset_type is None:
            err("type", _("Unknown type “%(value)s”.") % {"value": type_name})
        manufacturer = cells.get("manufacturer", "").strip()
        model_name = cells.get("model", "").strip()
        if not manufacturer:
            err("manufacturer", _("The manufacturer is required."))
        if not model_name:
            err("model", _("The model is required."))
        values["type"] = asset_type
        values["model_key"] = (manufacturer[:100], model_name[:150])
        existing = catalogue.models.get((_fold(manufacturer), _fold(model_name)))
        if (
            existing is not None
            and asset_type is not None
            and existing.asset_type_id != asset_type.pk
        ):
            err(
                "model",
                _("Model %(model)s is of type “%(type)s”.")
                % {"model": str(existing), "type": existing.asset_type.name},
            )
        state_text = cells.get("state", "").strip()
        state = _STATE_BY_NAME.get(_fold(state_text)) if state_text else AssetState.IN_STOCK
        if state is None:
            err("state", _("Unknown state “%(value)s”.") % {"value": state_text})
        values["state"] = state
        email = cells.get("user", "").strip().lower()
        holder_id = None
        if email:
            holder_id = users.get(email)
            if holder_id is None:
                err("user", _("Nobody has the e-mail address %(value)s.") % {"value": email})
        elif state in NEEDS_HOLDER:
            err("user", _("State “%(state)s” needs a person.") % {"state": AssetState(state).label})
        if (
            holder_id is not None
            and state
            not in (
                AssetState.ASSIGNED,
                AssetState.IN_REPAIR,
                AssetState.LOST,
                AssetState.STOLEN,
            )
            and state is not None
        ):
            err(
                "state",
                _("Only an assigned asset has a person (state “%(state)s”).")
                % {"state": AssetState(state).label},
            )
        if state == AssetState.ON_LOAN:
            err("state", _("Loans are recorded from the loan form, not imported."))
        values["holder_id"] = holder_id
        site_text = cells.get("site", "").strip()
        values["site"] = None
        if site_text:
            values["site"] = catalogue.sites.get(_fold(site_text))
            if values["site"] is None:
                err("site", _("Unknown site “%(value)s”.") % {"value": site_text})
        supplier_text = cells.get("supplier", "").strip()
        values["supplier_name"] = supplier_text[:150]
        try:
            values["mac_address"] = mac_normalize(cells.get("mac_address", ""))
        except ValueError:
            err(
                "mac_address",
                _("“%(value)s” is not a MAC address.") % {"value": cells.get("mac_address", "")},
            )
        hostname = cells.get("hostname", "").strip()
        if hostname and not re.match(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", hostname):
            err("hostname", _("“%(value)s” is not a valid hostname.") % {"value": hostname})
        values["hostname"] = hostname
        for code in ("purchase_date", "warranty_end"):
            text = cells.get(code, "").strip()
            values[code] = None
            if text:
                try:
                    values[code] = _parse_date(text)
                except ValueError:
                    err(
                        code,
                        _("“%(value)s” is not a date (expected DD/MM/YYYY).") % {"value": text},
                    )
        cost_text = (
            cells.get("cost", "").strip().replace("€", "").replace(" ", "").replace("\u00a0", "")
        )
        values["cost"] = None
        if cost_text:
            try:
                values["cost"] = Decimal(cost_text.replace(",", "."))
                if values["cost"] < 0 or values["cost"] >= Decimal("100000000"):
                    raise InvalidOperation
            except InvalidOperation:
                err("cost", _("“%(value)s” is not an amount.") % {"value": cells.get("cost", "")})
        values["serial_number"] = cells.get("serial_number", "").strip()[:64]
        values["stock_room"] = cells.get("stock_room", "").strip()[:100]
        values["notes"] = cells.get("notes", "").strip()[:5000]
        if row_errors:
            errors.extend(row_errors)
        else:
            checked.append(CheckedRow(line, values))
    return checked, errors


def _cells_by_code(
    rows: Iterator[list[str]],
) -> tuple[list[tuple[int, dict[str, str]]], list[LineError]]:
    try:
        header = next(rows)
    except StopIteration as exc:
        raise ImportFileError(_("The file is empty.")) from exc
    except csv.Error as exc:
        raise ImportFileError(_("The file cannot be read as CSV.")) from exc
    codes = _header_codes(header)
    out: list[tuple[int, dict[str, str]]] = []
    errors: list[LineError] = []
    line = 1
    try:
        for row in rows:
            line += 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(codes) and any(cell.strip() for cell in row[len(codes) :]):
                errors.append(
                    LineError(
                        line,
                        "",
                        _(
                            "This line has %(n)s cells, the header %(m)s: check the separator "
                            "and the quotes."
                        )
                        % {"n": len(row), "m": len(codes)},
                    )
                )
                continue
            out.append(
                (
                    line,
                    {code: row[i] if i < len(row) else "" for i, code in enumerate(codes) if code},
                )
            )
            if len(out) > settings.ASSETS_IMPORT_MAX_ROWS:
                raise ImportFileError(
                    _("The file has more than %(max)s lines.")
                    % {"max": settings.ASSETS_IMPORT_MAX_ROWS}
                )
    except csv.Error as exc:
        raise ImportFileError(
            _("Line %(line)s cannot be read: %(error)s.") % {"line": line, "error": exc}
        ) from exc
    return out, errors


def _progress(job: ImportJob | None, processed: int) -> None:
    if job is not None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=processed)


@dataclass
class ImportResult:
    total: int
    created: int
    errors: list[LineError]


def assets_import(
    *, actor: User, raw: bytes, dry_run: bool, job: ImportJob | None = None
) -> ImportResult:
    """Check every line of the file; unless it is a dry run and only when no line has an
    error, create all the assets in one transaction. Nothing is written otherwise."""
    if not permissions.assets.can(actor, "import"):
        raise PermissionDenied
    try:
        rows, errors = _cells_by_code(read_rows(raw))
    except ImportFileError as exc:
        return ImportResult(0, 0, [LineError(0, "", str(exc))])
    total = len(rows)
    if job is not None:
        ImportJob.objects.filter(pk=job.pk).update(total_rows=total)
    catalogue = Catalogue.load()
    emails = {cells.get("user", "").strip().lower() for _line, cells in rows} - {""}
    users: dict[str, int] = {}
    email_list = list(emails)
    for i in range(0, len(email_list), 500):
        for pk, email in User.objects.filter(
            email__in=email_list[i : i + 500], is_active=True
        ).values_list("pk", "email"):
            users[email.lower()] = pk
    tags = [cells.get("tag", "").strip() for _line, cells in rows]
    wanted = sorted({t.upper() for t in tags if t})
    taken: set[str] = set()
    for i in range(0, len(wanted), 500):
        taken.update(
            Asset.objects.filter(tag__in=wanted[i : i + 500]).values_list("tag", flat=True)
        )
    checked: list[CheckedRow] = []
    for start in range(0, total, PROGRESS_EVERY):
        part, part_errors = _check_rows(
            rows[start : start + PROGRESS_EVERY], catalogue, users, taken
        )
        checked.extend(part)
        errors.extend(part_errors)
        _progress(job, min(total, start + PROGRESS_EVERY))
    errors.sort(key=lambda e: e.line)
    if errors or dry_run:
        return ImportResult(total, 0, errors)
    try:
        created = _write(actor=actor, rows=checked, catalogue=catalogue)
    except IntegrityError:
        # Someone created one of these tags between the check and the write: nothing was
        # written (one transaction); the next run reports the duplicate line by line.
        message = _(
            "An asset tag of this file was taken meanwhile: nothing was imported, run it again."
        )
        return ImportResult(total, 0, [LineError(0, "", message)])
    return ImportResult(total, created, [])


@transaction.atomic
def _write(*, actor: User, rows: list[CheckedRow], catalogue: Catalogue) -> int:
    suppliers = dict(catalogue.suppliers)
    for row in rows:
        name = row.values["supplier_name"]
        if name and _fold(name) not in suppliers:
            suppliers[_fold(name)], _c = Supplier.objects.get_or_create(name=name)
    models = dict(catalogue.models)
    for row in rows:
        manufacturer, model_name = row.values["model_key"]
        key = (_fold(manufacturer), _fold(model_name))
        if key not in models:
            models[key] = AssetModel.objects.create(
                asset_type=row.values["type"], manufacturer=manufacturer, name=model_name
            )
    next_number = (Asset.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    created = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch: list[tuple[Any, ...]] = []
            for row in rows[start : start + BATCH]:
                v = row.values
                tag = v["tag"].upper()
                if not tag:
                    tag = f"{TAG_PREFIX}{next_number:06d}"
                    next_number += 1
                manufacturer, model_name = v["model_key"]
                model = models[(_fold(manufacturer), _fold(model_name))]
                supplier = suppliers.get(_fold(v["supplier_name"])) if v["supplier_name"] else None
                batch.append(
                    (
                        tag,
                        v["serial_number"],
                        v["hostname"],
                        v["mac_address"],
                        model.pk,
                        model.asset_type_id,
                        v["state"],
                        v["holder_id"],
                        v["site"].pk if v["site"] is not None else None,
                        v["stock_room"],
                        supplier.pk if supplier is not None else None,
                        ops.adapt_datefield_value(v["purchase_date"]),
                        ops.adapt_datefield_value(v["warranty_end"]),
                        ops.adapt_decimalfield_value(v["cost"], 10, 2),
                        v["notes"],
                        1,
                        now,
                        now,
                    )
                )
            # Plain parameterised inserts: the ORM's per-field preparation of bulk_create
            # costs more than the database itself at 50,000 rows.
            _insert(cursor, _ASSET_INSERT, _ASSET_COPY, batch)
            tags = [b[0] for b in batch]
            saved = Asset.objects.filter(tag__in=tags).values_list("pk", "state", "assigned_to_id")
            _insert(
                cursor,
                _EVENT_INSERT,
                _EVENT_COPY,
                [
                    (pk, EventKind.IMPORTED, actor.pk, "", state, None, holder, "", "{}", now)
                    for pk, state, holder in saved
                ],
            )
            created += len(batch)
    audit_record(action=AuditAction.ASSET_IMPORT, actor=actor, changes={"created": created})
    return created


_ASSET_INSERT = (
    "INSERT INTO assets_asset (tag, serial_number, hostname, mac_address, model_id, "
    "asset_type_id, state, assigned_to_id, site_id, stock_room, supplier_id, purchase_date, "
    "warranty_end, cost, notes, version, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_EVENT_INSERT = (
    "INSERT INTO assets_assetevent (asset_id, kind, actor_id, from_state, to_state, "
    "from_user_id, to_user_id, reason, changes, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


_ASSET_COPY = (
    "COPY assets_asset (tag, serial_number, hostname, mac_address, model_id, asset_type_id, "
    "state, assigned_to_id, site_id, stock_room, supplier_id, purchase_date, warranty_end, "
    "cost, notes, version, created_at, updated_at) FROM STDIN"
)
_EVENT_COPY = (
    "COPY assets_assetevent (asset_id, kind, actor_id, from_state, to_state, from_user_id, "
    "to_user_id, reason, changes, created_at) FROM STDIN"
)


def _insert(cursor: Any, insert: str, copy: str, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY (one stream for the whole batch); SQLite: executemany."""
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(copy) as stream:
            for row in rows:
                stream.write_row(row)
    else:
        cursor.executemany(insert, rows)


# --- Import jobs (background) ---------------------------------------------------------------


@transaction.atomic
def import_job_create(*, actor: User, upload: UploadedFile, dry_run: bool) -> ImportJob:
    if not permissions.assets.can(actor, "import"):
        raise PermissionDenied
    try:
        stored = files.store_upload(
            upload,
            folder="assets/imports",
            max_bytes=settings.ASSETS_IMPORT_MAX_BYTES,
            allowed_types=IMPORT_TYPES,
        )
    except files.UploadRejected as exc:
        raise ValidationError({"file": exc.message}) from exc
    job = ImportJob.objects.create(
        created_by=actor,
        dry_run=dry_run,
        storage_name=stored.storage_name,
        original_name=stored.original_name,
    )
    from relais.assets import tasks

    def enqueue() -> None:
        try:
            tasks.run_import(job.pk)
        except Exception:
            # The job stays "waiting": the page says so, and uploading again is the way out.
            logger.exception("could not enqueue an asset import", extra={"job_id": job.pk})

    transaction.on_commit(enqueue)
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a waiting job once (a second call finds it no longer waiting and does nothing)."""
    if not ImportJob.objects.filter(pk=job_id, state=ImportState.PENDING).update(
        state=ImportState.RUNNING
    ):
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        with default_storage.open(job.storage_name, "rb") as handle:
            raw = handle.read()
        result = assets_import(actor=job.created_by, raw=raw, dry_run=job.dry_run, job=job)
    except PermissionDenied:
        # Checked again when the job runs (SECURITY.md A7): whoever started it may have lost
        # the right to import, or left, since; nothing is done in their name.
        logger.warning(
            "asset import skipped: its author may no longer import", extra={"job": job_id}
        )
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportState.FAILED,
            finished_at=timezone.now(),
            errors=[
                LineError(
                    0, "", _("The person who started the import may no longer import.")
                ).as_dict()
            ],
        )
        files.delete_stored(job.storage_name)
        job.refresh_from_db()
        return job
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportState.FAILED,
            finished_at=timezone.now(),
            errors=[LineError(0, "", _("The import stopped on an unexpected error.")).as_dict()],
        )
        raise
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportState.FAILED if result.errors else ImportState.DONE,
        total_rows=result.total,
        processed_rows=result.total,
        created_count=result.created,
        errors=[e.as_dict() for e in result.errors[:1000]],
        finished_at=timezone.now(),
    )
    files.delete_stored(job.storage_name)
    job.refresh_from_db()
    return job


# --- Export -----------------------------------------------------------------------------------


def export_rows(assets: Iterable[Asset]) -> Iterator[list[Any]]:
    yield [COLUMN_LABELS[c] for c in EXPORT_COLUMNS]
    for a in assets:
        yield [
            neutralise(v)
            for v in (
                a.tag,
                a.serial_number,
                a.hostname,
                a.mac_address,
                a.asset_type.name,
                a.model.manufacturer,
                a.model.name,
                str(AssetState(a.state).label),
                a.assigned_to.email if a.assigned_to_id and a.assigned_to else "",
                a.site.code if a.site_id and a.site else "",
                a.stock_room,
                a.supplier.name if a.supplier_id and a.supplier else "",
                a.purchase_date.strftime("%d/%m/%Y") if a.purchase_date else "",
                a.warranty_end.strftime("%d/%m/%Y") if a.warranty_end else "",
                str(a.cost).replace(".", ",") if a.cost is not None else "",
                a.notes,
            )
        ]

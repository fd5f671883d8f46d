"""Importing members from a CSV: upload -> preview (columns can be re-mapped) -> import.

Its own blueprint, `member_import`. With JavaScript (static/js/import.js) the import runs in
chunks with a progress bar; without it, the same form imports everything in one POST.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from ...error_messages import message_for, register_messages
from ...extensions import db
from ...forms.community import UploadForm
from ...services.community import import_uploads as uploads
from ...services.community import member_import as mi
from ...services.errors import DomainError
from .. import access

bp = Blueprint("member_import", __name__)

CHUNK_ROWS = 1000  # people per request when JavaScript drives the import

register_messages(
    {
        "csv_empty": (400, _l("That file is empty.")),
        "csv_unreadable": (
            400,
            _l(
                "We couldn't read that file as a CSV. Export it again as CSV (comma, "
                "semicolon or tab separated) and try again."
            ),
        ),
        "no_email_column": (
            400,
            _l(
                "We couldn't find a column of email addresses in that file, so nobody was "
                "imported. Discord exports often have none: share an invite link instead, or "
                "add an email column."
            ),
        ),
        "too_many_rows": (
            400,
            _l("That file has more than 50,000 rows. Split it and import each part."),
        ),
        "invalid_mapping": (400, _l("Choose the columns from the lists.")),
        "import_expired": (
            410,
            _l("This import has already been done or has expired. Upload the file again."),
        ),
    }
)

FIELD_LABELS = {
    "email": _l("Email"),
    "name": _l("Full name"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "company": _l("Company"),
    "headline": _l("Headline / job title"),
    "status": _l("Status (deactivated accounts are skipped)"),
}

SKIP_LABELS = {
    "no_email": _l("no email"),
    "invalid_email": _l("invalid email"),
    "duplicate": _l("duplicate in the file"),
    "deactivated": _l("deactivated account"),
    "bot": _l("bot"),
    "guest": _l("guest (not chosen)"),
    "too_few_columns": _l("too few columns: the row was cut short, check the file"),
}


def skipped_summary(counts: dict[str, int]) -> list[str]:
    """ "2 deactivated accounts", "1 bot"...: each reason with its count, plural right."""
    say = {
        "no_email": lambda n: ngettext("%(num)d without email", "%(num)d without email", n),
        "invalid_email": lambda n: ngettext("%(num)d invalid email", "%(num)d invalid emails", n),
        "duplicate": lambda n: ngettext(
            "%(num)d duplicate in the file", "%(num)d duplicates in the file", n
        ),
        "deactivated": lambda n: ngettext(
            "%(num)d deactivated account", "%(num)d deactivated accounts", n
        ),
        "bot": lambda n: ngettext("%(num)d bot", "%(num)d bots", n),
        "guest": lambda n: ngettext("%(num)d guest", "%(num)d guests", n),
        "too_few_columns": lambda n: ngettext(
            "%(num)d row with too few columns", "%(num)d rows with too few columns", n
        ),
    }
    return [say[reason](n) for reason, n in counts.items() if n]


@bp.route("/g/<group_slug>/import", methods=["GET", "POST"])
@login_required
def upload(group_slug: str):
    group = access.group_for_organizer(group_slug)
    form = UploadForm()
    error = None
    if request.method == "POST":
        if form.validate():
            data = form.file.data.read()
            try:
                table = mi.read_csv(data)
                mi.detect_mapping(table)
            except DomainError as err:
                error = message_for(err.code)[1]
            else:
                token = uploads.save(
                    data,
                    group_id=group.id,
                    user_id=current_user.id,
                    filename=form.file.data.filename or "members.csv",
                )
                return redirect(url_for(".preview", group_slug=group.slug, token=token))
        page = render_template("community/import_upload.html", group=group, form=form, error=error)
        return page, 400
    return render_template("community/import_upload.html", group=group, form=form, error=None)


def _mapping(table: mi.Table, source) -> mi.Mapping:
    """The columns chosen in the form, or the detected ones on first view."""
    if "email" in source:
        return mi.mapping_from(table, {f: source.get(f, "") for f in (*mi.FIELDS, "guests")})
    return mi.detect_mapping(table)


@bp.get("/g/<group_slug>/import/<token>")
@login_required
def preview(group_slug: str, token: str):
    group = access.group_for_organizer(group_slug)
    data, meta = uploads.load(token, group_id=group.id)
    table = mi.read_csv(data)
    mapping = _mapping(table, request.args)
    preview = mi.preview(group, table, mapping)
    uploads.save_plan(token, meta, mapping, preview.plan.people)
    return render_template(
        "community/import_preview.html",
        group=group,
        token=token,
        meta=meta,
        preview=preview,
        field_labels=FIELD_LABELS,
        skip_labels=SKIP_LABELS,
        skipped_summary=skipped_summary(preview.plan.skipped_by_reason),
        chunk_rows=CHUNK_ROWS,
    )


@bp.post("/g/<group_slug>/import/<token>")
@login_required
def run(group_slug: str, token: str):
    """All at once (no JavaScript), or one chunk from `offset` (JavaScript, JSON answer)."""
    group = access.group_for_organizer(group_slug)
    data, meta = uploads.load(token, group_id=group.id)
    table = mi.read_csv(data)
    mapping = _mapping(table, request.form)
    people = uploads.planned_people(meta, mapping)
    if people is None:
        people = mi.plan(table, mapping).people
    skipped = len(table.rows) - len(people)
    offset = request.form.get("offset", type=int)
    options = {
        "imported_by": current_user,
        "announcements": request.form.get("announcements", "yes") != "no",
    }
    if offset is None:  # the whole file in this request
        result = mi.import_people(group, people, **options)
        db.session.commit()
        mi.after_import(result.added)
        db.session.commit()
        uploads.delete(token)
        _flash_summary(result.added, result.already_members, skipped)
        return redirect(url_for("members.index", group_slug=group.slug))

    offset = max(0, offset)
    chunk = people[offset : offset + CHUNK_ROWS]
    result = mi.import_people(group, chunk, **options)
    db.session.commit()
    totals = uploads.add_progress(token, added=result.added, already=result.already_members)
    done = offset + len(chunk) >= len(people)
    answer = {"done": done, "processed": offset + len(chunk), "total": len(people), **totals}
    if done:
        mi.after_import(totals["added"])
        db.session.commit()
        uploads.delete(token)
        _flash_summary(totals["added"], totals["already"], skipped)
        answer["redirect"] = url_for("members.index", group_slug=group.slug)
    return jsonify(answer)


def _flash_summary(added: int, already: int, skipped: int) -> None:
    flash(
        ngettext(
            "Import finished: %(added)d added, %(already)d already members, "
            "%(num)d row skipped. Each new member gets one welcome email.",
            "Import finished: %(added)d added, %(already)d already members, "
            "%(num)d rows skipped. Each new member gets one welcome email.",
            skipped,
            added=added,
            already=already,
        ),
        "success",
    )

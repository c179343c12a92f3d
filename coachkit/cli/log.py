"""``coachkit log``: the meeting log from the command line.

    coachkit log [--db URL] add meeting --school S1 --grade 3 --classroom C1 --cycle 2
    coachkit log add observation MEETING_ID "We notice ..." [--kind wonder]
    coachkit log add commitment MEETING_ID --action ... --owner ... --due-cycle 3 --student ST1
        [--next-year instead of --due-cycle: due after the year's last cycle]
    coachkit log add groups MEETING_ID groups.csv
    coachkit log update COMMITMENT_ID --status done --note "..."
    coachkit log list [meetings|observations|commitments|groups|updates] [--classroom C1] [--format csv]
    coachkit log export PATH            (PATH.json, or a folder of CSV files)
    coachkit log import PATH
    coachkit log migrate
    coachkit log set-level STUDENT TARGET LEVEL --by "Ms. Rivera" --reason "observed in conference"
    coachkit log remove-level STUDENT TARGET --by "Ms. Rivera"
    coachkit log levels [--student ST1] [--all]
    coachkit log goal STUDENT (--target T | --text "...") --by NAME [--with-teacher]
    coachkit log plan STUDENT TARGET --will "..." [--support ...] [--retake-date D]
        [--helper ...] --by NAME
    coachkit log reflect STUDENT [--proud "..."] [--hard "..."] [--portrait ATTRIBUTE] --by NAME
    coachkit log list [goals|plans|reflections|levels] [--student ST1]

Exit status: 0 ok, 1 bad data or a database failure, 2 usage error.
"""
from __future__ import annotations

import functools
import sys

import click

from ..errors import CoachkitDataError
from . import fail


def _open(ctx):
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    from ..store.engine import safe_url
    from ..store.log import MeetingLog
    obj = ctx.find_root().obj or {}
    sub = ctx.find_object(dict) or obj
    dataset = None
    if sub.get("dataset"):
        import coachkit
        try:
            dataset = coachkit.load_dataset(sub["dataset"])
        except CoachkitDataError as e:
            fail(f"could not load the dataset {sub['dataset']}: {e}")
    try:
        return MeetingLog(sub.get("db"), dataset=dataset)
    except (ArgumentError, NoSuchModuleError) as e:
        raise click.UsageError(f"--db: not a usable database URL ({e})")
    except SQLAlchemyError as e:
        from ..store.log import resolve_url
        fail(f"could not open the meeting log at {safe_url(resolve_url(sub.get('db')))}: "
              f"{e.__class__.__name__}: {getattr(e, 'orig', e)}")


def _guard(fn):
    """Bad data and database failures -> a one-line message and exit 1."""
    @functools.wraps(fn)
    def run(*a, **k):
        from sqlalchemy.exc import SQLAlchemyError

        from ..store.engine import MeetingLogBusy
        try:
            return fn(*a, **k)
        except (CoachkitDataError, MeetingLogBusy) as e:
            fail(str(e))
        except SQLAlchemyError as e:
            fail(f"database error: {e.__class__.__name__}: {getattr(e, 'orig', e)}")
    return run


# Options several commands share, declared once so their wording stays the same.
_on_date = click.option("--date", default=None, help="YYYY-MM-DD (default today).")
_written_by = click.option("--by", "author", required=True, help="Who writes it down.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="COACHKIT_DB", metavar="URL",
              help="SQLAlchemy URL or SQLite file (default: $COACHKIT_DB, else "
                   "sqlite:///coachkit.db in the working directory).")
@click.option("--dataset", type=click.Path(exists=True), metavar="PATH",
              help="Check classrooms and students against this dataset.")
@click.pass_context
def log(ctx, db, dataset):
    """The meeting log: what the team noticed, decided and committed to."""
    ctx.obj = {"db": db, "dataset": dataset}


@log.group()
def add():
    """Record a meeting, an observation, a commitment or the adopted groups."""


@add.command("meeting")
@click.option("--school", "school_id", required=True)
@click.option("--grade", required=True, help="K or 0-12.")
@click.option("--classroom", "classroom_id", default=None,
              help="Leave out for a whole-grade meeting.")
@click.option("--cycle", type=int, required=True)
@_on_date
@click.option("--attendee", "attendees", multiple=True, help="Repeat for each person.")
@click.pass_context
@_guard
def add_meeting(ctx, school_id, grade, classroom_id, cycle, date, attendees):
    """Start a meeting; prints its meeting id."""
    m = _open(ctx).start_meeting(school_id=school_id, grade=grade, classroom_id=classroom_id,
                                 cycle=cycle, date=date, attendees=list(attendees))
    click.echo(m.meeting_id)


def _text_arg(text):
    return sys.stdin.read() if text == "-" else text


@add.command("observation")
@click.argument("meeting_id")
@click.argument("text")
@click.option("--kind", type=click.Choice(["notice", "wonder"]), default="notice",
              show_default=True)
@click.pass_context
@_guard
def add_observation(ctx, meeting_id, text, kind):
    """Record what the team noticed or wondered (TEXT '-' reads standard input)."""
    click.echo(_open(ctx).add_observation(meeting_id, _text_arg(text), kind=kind,
                                          source="cli"))


@add.command("commitment")
@click.argument("meeting_id")
@click.option("--action", required=True, help="What will be done ('-' reads stdin).")
@click.option("--owner", required=True)
@click.option("--due-cycle", type=int, default=None,
              help="Default: the cycle after the meeting's (at the year's last cycle, "
                   "with --dataset: the next school year).")
@click.option("--next-year", is_flag=True,
              help="Due the next school year (after the year's last cycle).")
@click.option("--student", "student_ids", multiple=True, help="Repeat for each student.")
@click.option("--target", "target_id", default=None, help="The learning target it is about.")
@click.pass_context
@_guard
def add_commitment(ctx, meeting_id, action, owner, due_cycle, next_year, student_ids,
                   target_id):
    """Record a commitment; prints its id."""
    if next_year and due_cycle is not None:
        raise click.UsageError("--due-cycle and --next-year: give one of them")
    if next_year:
        from ..store import NEXT_YEAR
        due_cycle = NEXT_YEAR
    click.echo(_open(ctx).add_commitment(meeting_id, action=_text_arg(action), owner=owner,
                                         due_cycle=due_cycle, student_ids=list(student_ids),
                                         target_id=target_id))


@add.command("groups")
@click.argument("meeting_id")
@click.argument("groups_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "changed_by", default=None, help="Who adopted or changed them.")
@click.option("--note", default=None)
@click.pass_context
@_guard
def add_groups(ctx, meeting_id, groups_file, changed_by, note):
    """Record the adopted groups from a CSV (student_id, group, focus_target_id, reason)."""
    import pandas as pd
    groups = pd.read_csv(groups_file, dtype=str, keep_default_na=False).replace("", None)
    click.echo(_open(ctx).adopt_groups(meeting_id, groups, changed_by=changed_by, note=note))


@log.command("update")
@click.argument("commitment_id")
@click.option("--status", type=click.Choice(
    ["open", "in progress", "done", "partly done", "not done", "dropped"]), default=None)
@click.option("--note", default=None, help="Follow-up: did it work? ('-' reads stdin)")
@click.option("--by", default=None)
@click.pass_context
@_guard
def update_cmd(ctx, commitment_id, status, note, by):
    """Set a commitment's status and/or add a follow-up note."""
    if status is None and note is None:
        raise click.UsageError("give --status, --note or both")
    click.echo(_open(ctx).update_commitment(
        commitment_id, status=status, note=None if note is None else _text_arg(note), by=by))


WHAT = {"meetings": "meetings", "observations": "observations", "commitments": "commitments",
        "groups": "group_decisions", "block": "block_decisions",
        "updates": "commitment_updates"}
# The student's own records: filtered by student, not by meeting.
STUDENT_WHAT = {"goals": "goals", "plans": "plans", "reflections": "reflections",
                "levels": "level_overrides"}


def _show(df, what, fmt):
    """A table in the form asked for; CSV cells a spreadsheet would run as a formula are
    neutralised (OWASP CSV injection)."""
    if fmt == "csv":
        from ..store.transfer import spreadsheet_safe_frame
        # CRLF rows (RFC 4180): a CR inside a cell is then quoted, never a new row
        click.echo(spreadsheet_safe_frame(df).to_csv(index=False, lineterminator="\r\n"),
                   nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", date_format="iso", force_ascii=False))
    elif not len(df):
        click.echo(f"no {what}")
    else:
        import pandas as pd
        if "due" in df.columns:                # in words: "cycle 4", "next school year"
            df = df.drop(columns="due_cycle")
        with pd.option_context("display.max_columns", None, "display.width", 200,
                               "display.max_colwidth", 60):
            click.echo(df.to_string(index=False))


@log.command("list")
@click.argument("what", type=click.Choice([*WHAT, *STUDENT_WHAT]), default="meetings")
@click.option("--school", "school_id", default=None)
@click.option("--grade", default=None)
@click.option("--classroom", "classroom_id", default=None)
@click.option("--cycle", type=int, default=None)
@click.option("--student", "student_ids", multiple=True,
              help="Goals, plans, reflections, levels: only these students (repeat).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.pass_context
@_guard
def list_cmd(ctx, what, school_id, grade, classroom_id, cycle, student_ids, fmt):
    """Show meetings, observations, commitments, groups, the targeted-time block (block),
    commitment updates, or the students' goals, plans, reflections and levels set by
    hand."""
    from ..store import validate as v
    lg = _open(ctx)
    if what == "updates":
        df = lg.commitment_updates()
    elif what in STUDENT_WHAT:
        df = getattr(lg, STUDENT_WHAT[what])(student_id=list(student_ids) or None)
    else:
        filters = dict(school_id=school_id, classroom_id=classroom_id, cycle=cycle,
                       grade=None if grade is None else v.grade(grade))
        if what == "block":              # a whole-grade decision: no classroom
            filters.pop("classroom_id")
        df = getattr(lg, WHAT[what])(**filters)
    _show(df, what, fmt)


# ---- a teacher's judgment and the student's own records ------------------------------------
@log.command("set-level")
@click.argument("student_id")
@click.argument("target_id")
@click.argument("level")
@click.option("--by", "author", required=True, help="Who sets it (the teacher).")
@click.option("--reason", required=True, help="Why, e.g. 'observed in conference'.")
@_on_date
@click.pass_context
@_guard
def set_level_cmd(ctx, student_id, target_id, level, author, reason, date):
    """Set a student's level on a target by hand (1-4 or Beginning ... Extending)."""
    lg = _open(ctx)
    lg.set_level(student_id, target_id, level, author=author, reason=_text_arg(reason),
                 date=date)
    from ..store.overrides import describe_override
    row = lg.level_overrides(student_id=student_id, target_id=target_id).iloc[-1]
    click.echo(f"{student_id} on {target_id}: level {row['level']:g}, "
               + describe_override(row["author"], row["date"], row["reason"]))


@log.command("remove-level")
@click.argument("student_id")
@click.argument("target_id")
@click.option("--by", required=True, help="Who removes it.")
@click.option("--note", default=None, help="Why it is removed.")
@click.pass_context
@_guard
def remove_level_cmd(ctx, student_id, target_id, by, note):
    """Remove a level set by hand: the computed level applies again."""
    _open(ctx).remove_level(student_id, target_id, by=by, note=note)
    click.echo(f"{student_id} on {target_id}: the level set by hand is removed; the "
               f"computed level applies again")


@log.command("levels")
@click.option("--student", "student_ids", multiple=True, help="Repeat for each student.")
@click.option("--target", "target_ids", multiple=True, help="Repeat for each target.")
@click.option("--all", "history", is_flag=True, help="Include replaced and removed ones.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.pass_context
@_guard
def levels_cmd(ctx, student_ids, target_ids, history, fmt):
    """The levels set by hand, with who set them, when and why."""
    import pandas as pd

    from ..store.overrides import describe_override
    df = _open(ctx).level_overrides(student_id=list(student_ids) or None,
                                    target_id=list(target_ids) or None, current=not history)
    if fmt == "table" and len(df):
        df = df.assign(level=df["level"].map("{:g}".format), set=[
            describe_override(a, d, r) for a, d, r in zip(df["author"], df["date"], df["reason"])])
        cols = ["student_id", "target_id", "level", "set"]
        if history:
            df["removed"] = [
                "" if pd.isna(t) else f"removed by {b} on {t.month}/{t.day}"
                for t, b in zip(df["removed_at"], df["removed_by"])]
            cols.append("removed")
        df = df[cols]
    _show(df, "levels set by hand", fmt)


@log.command("goal")
@click.argument("student_id")
@click.option("--target", "target_id", default=None, help="The learning target of the goal.")
@click.option("--text", default=None, help="The goal in the student's own words ('-' reads stdin).")
@_written_by
@click.option("--with-teacher", is_flag=True, help="Set by the student with the teacher.")
@_on_date
@click.pass_context
@_guard
def goal_cmd(ctx, student_id, target_id, text, author, with_teacher, date):
    """Record a student's goal; prints its id."""
    click.echo(_open(ctx).add_goal(
        student_id, target_id=target_id, text=None if text is None else _text_arg(text),
        author=author, set_by="student and teacher" if with_teacher else "student", date=date))


@log.command("plan")
@click.argument("student_id")
@click.argument("target_id")
@click.option("--will", "actions", required=True, help="What I will do ('-' reads stdin).")
@click.option("--support", default=None, help="The support I get.")
@click.option("--retake-date", default=None, help="YYYY-MM-DD.")
@click.option("--helper", "helpers", multiple=True, help="Who helps (repeat).")
@_written_by
@_on_date
@click.pass_context
@_guard
def plan_cmd(ctx, student_id, target_id, actions, support, retake_date, helpers, author, date):
    """Record a learning plan for a target not yet proficient; prints its id."""
    click.echo(_open(ctx).add_plan(
        student_id, target_id, actions=_text_arg(actions), support=support,
        retake_date=retake_date, helpers=list(helpers) or None, author=author, date=date))


@log.command("reflect")
@click.argument("student_id")
@click.option("--proud", default=None, help="What I am proud of.")
@click.option("--hard", default=None, help="What was hard.")
@click.option("--portrait", "portrait_attribute", default=None,
              help="The Portrait of a Graduate attribute it names.")
@click.option("--target", "target_id", default=None)
@_written_by
@_on_date
@click.pass_context
@_guard
def reflect_cmd(ctx, student_id, proud, hard, portrait_attribute, target_id, author, date):
    """Record a student's reflection; prints its id."""
    if proud is None and hard is None:
        raise click.UsageError("give --proud, --hard or both")
    click.echo(_open(ctx).add_reflection(
        student_id, proud=proud, hard=hard, portrait_attribute=portrait_attribute,
        target_id=target_id, author=author, date=date))


@log.command("export")
@click.argument("path", type=click.Path())
@click.pass_context
@_guard
def export_cmd(ctx, path):
    """Write the whole log to PATH.json or to a folder of CSV files."""
    out = _open(ctx).export(path)
    click.echo(f"exported to {out}")


@log.command("import")
@click.argument("path", type=click.Path(exists=True))
@click.pass_context
@_guard
def import_cmd(ctx, path):
    """Add the records of an export (all or nothing; records already here are skipped)."""
    added = _open(ctx).import_(path)
    click.echo(", ".join(f"{n} {t}" for t, n in added.items()) + " added")


@log.command("migrate")
@click.pass_context
@_guard
def migrate_cmd(ctx):
    """Create the log's tables or upgrade them to this version of coachkit."""
    click.echo(f"schema version {_open(ctx).schema_version}")

"""`peeka org`: the workplace from the command line — register a kiosk device (its key shown
once), build a demo company, list a day's punches, grant and expire annual leave, and raise
the security alerts."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from peeka.cli.output import EXIT_ERROR, EXIT_OK, Subparsers, emit


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser("org", help="the workplace: kiosk devices, attendance")
    org_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = org_sub.add_parser("kiosk", help="register a kiosk device and print its key once")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=kiosk)
    p = org_sub.add_parser(
        "demo", help="build a demo company (members' passwords and a kiosk key printed once)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=demo)
    p = org_sub.add_parser(
        "alerts",
        help="raise the security alerts the last hours call for (and mail them where e-mail "
        "is set up); run it from a scheduler every few minutes",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=alerts)
    p = org_sub.add_parser(
        "leave",
        help="grant the annual leave due and book the expiries, for every active member "
        "(idempotent; run it daily from a scheduler)",
    )
    p.add_argument("--through", type=_date, help="YYYY-MM-DD (default: today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=leave)
    p = org_sub.add_parser("attendance", help="a day's punches")
    p.add_argument("--date", type=_date, required=True, help="YYYY-MM-DD")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=attendance)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-07") from None


def kiosk(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.workplace.attendance.services import KioskError, kiosk_create

    try:
        device, key = kiosk_create(name=args.name)
    except KioskError as exc:
        print(f"peeka: {exc.message} [{exc.code}]", file=sys.stderr)
        return EXIT_ERROR
    emit(
        args,
        {"kiosk": device.name, "key": key},
        f"kiosk {device.name} registered; its key (shown only now):\n{key}",
    )
    return EXIT_OK


def demo(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.workplace.demo import DemoError, demo_create

    try:
        made = demo_create()
    except DemoError as exc:
        print(f"peeka: {exc.message} [{exc.code}]", file=sys.stderr)
        return EXIT_ERROR
    lines = [
        f"{m['username']:<16} {m['password']}  {m['name']} ({m['role']})" for m in made.members
    ]
    emit(
        args,
        {
            "members": made.members,
            "kiosk": made.kiosk,
            "kiosk_key": made.kiosk_key,
            "punches": made.punches,
            "documents": made.documents,
        },
        "Demo company made. Passwords and the kiosk key are shown only now.\n"
        + "\n".join(lines)
        + f"\nkiosk {made.kiosk}: {made.kiosk_key}\n{made.punches} punches over the last week"
        + f"\napproval documents: {', '.join(f'{s} #{pk}' for s, pk in made.documents.items())}",
    )
    return EXIT_OK


def attendance(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.workplace.attendance.selectors import punches_on

    rows = [
        {
            "member": punch.member.user.get_username(),
            "direction": punch.direction,
            "at": punch.at.isoformat(),
            "method": punch.method,
        }
        for punch in punches_on(day=args.date)
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['at']}  {row['direction']:<3}  {row['method']:<6}  {row['member']}")
        if not rows:
            print(f"no punches on {args.date.isoformat()}")
    return EXIT_OK


def alerts(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.workplace.dashboards.services import alerts_check

    created = alerts_check()
    rows = [
        {
            "kind": alert.kind,
            "hour": alert.window_start.isoformat(),
            "count": alert.count,
            "baseline": alert.baseline,
        }
        for alert in created
    ]
    lines = [
        f"{row['kind']} in the hour from {row['hour']}: {row['count']} "
        f"(usually {row['baseline']:g})"
        for row in rows
    ]
    emit(args, {"alerts": rows}, "\n".join([*lines, f"{len(rows)} new alert(s)"]))
    return EXIT_OK


def leave(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from django.utils import timezone

    from peeka.workplace.leave.services import leave_run

    through = args.through or timezone.localdate()
    members, granted, expired = leave_run(through=through)
    emit(
        args,
        {"through": through.isoformat(), "members": members, "grants": granted,
         "expiries": expired},
        f"through {through.isoformat()}: {members} members, {granted} grants and "
        f"{expired} expiries added",
    )  # fmt: skip
    return EXIT_OK

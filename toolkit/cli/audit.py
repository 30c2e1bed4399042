"""``recall-toolkit audit``."""

from __future__ import annotations

from toolkit.cli._common import PROFILE_ARG, load_profile_arg


def register(sub) -> None:
    p = sub.add_parser(
        "audit",
        help="audit the published figures for consistency",
        description="Check the spec's published figures against each other "
        "(sums, mixtures, GRIM, claims); exit 1 if a finding is "
        "unresolved.",
    )
    p.add_argument("--profile", **PROFILE_ARG)
    p.add_argument("--all", action="store_true", help="also list consistent checks")
    p.add_argument("--json", metavar="OUT", default=None, help="also write findings as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.outputs import write_json
    from toolkit.profile.audit import audit_profile

    res = audit_profile(load_profile_arg(args.profile))
    print(res.render(show_all=args.all))
    if args.json:
        write_json(res.to_dict(), args.json)
        print(f"wrote the findings to {args.json}")
    return 0 if not res.unresolved else 1
